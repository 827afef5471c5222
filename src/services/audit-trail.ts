/**
 * Reading the audit trail: an admin sees all of a player's entries; a player sees the history of
 * one of their goals (without the admin's identity, which is not theirs to know).
 */
import type { Db } from '../db/client.ts';
import { readAuditEntries } from '../db/event-audit.ts';
import { type AuditEntry, type EventEntry, type GoalEffect, withUnassignedGoals } from '../domain/audit.ts';
import { type Catalog, type CurrentCatalog, findGoalInChallenge } from '../domain/catalog.ts';
import { challengeNotFound, goalNotFound, invalidRequest } from '../domain/errors.ts';
import { formatTimestamp } from '../domain/time.ts';

export const DEFAULT_AUDIT_LIMIT = 50;
export const MAX_AUDIT_LIMIT = 1_000;

/** One entry as the API answers it. */
export interface AuditEntryJson {
  readonly kind: AuditEntry['kind'];
  readonly recordedAt: string;
  readonly eventId?: string | null;
  readonly statCode?: string;
  readonly value?: number;
  readonly occurredAt?: string;
  readonly reason?: string;
  readonly namespace?: string;
  readonly action?: string;
  readonly adminUserId?: string;
  readonly goals: readonly GoalEffect[];
}

export interface GoalHistoryResponse {
  readonly challengeId: string;
  readonly goalId: string;
  readonly entries: readonly AuditEntryJson[];
}

export interface AuditTrail {
  /** Every entry of the player (only those about `goalId` when given), newest first. */
  playerEntries(
    userId: string,
    options: { readonly goalId?: string | undefined; readonly limit?: number | undefined },
  ): Promise<AuditEntryJson[]>;
  /** The player's own history of one goal; GOAL_NOT_FOUND for a goal not in the challenge. */
  goalHistory(
    userId: string,
    challengeId: string,
    goalId: string,
    limit?: number,
  ): Promise<GoalHistoryResponse>;
}

export function createAuditTrail(deps: {
  db: Db;
  catalog: CurrentCatalog;
  /**
   * The rules of a stored configuration, to name the goals an entry leaves implied; the catalog
   * in force when absent or when the configuration cannot be read.
   */
  catalogOf?: (configId: number) => Promise<Catalog | undefined>;
}): AuditTrail {
  // Without a way to read stored configurations (tests), the one in force stands in for all.
  const catalogOf = deps.catalogOf ?? (async () => deps.catalog());
  const matchingGoals = async (entry: EventEntry): Promise<string[]> => {
    const catalog =
      (entry.configId === undefined ? undefined : await catalogOf(entry.configId)) ?? deps.catalog();
    const goals =
      entry.kind === 'login'
        ? catalog.loginGoals
        : (catalog.statisticGoalsByStatCode.get(entry.statCode ?? '') ?? []);
    return goals.map((goal) => goal.goalId);
  };
  const read = async (userId: string, goalId: string | undefined, limit: number | undefined) => {
    const goal = goalId === undefined ? undefined : deps.catalog().goalById.get(goalId);
    const stored = await readAuditEntries(deps.db, userId, {
      ...(goalId === undefined
        ? {}
        : {
            goal: {
              goalId,
              // An unknown goal is implied by no event: only entries that list it match.
              countedBy:
                goal === undefined
                  ? undefined
                  : { kind: goal.eventSource, statCode: goal.requirement.statCode },
            },
          }),
      limit: checkedLimit(limit),
      catalogOf,
    });
    const entries: AuditEntry[] = [];
    for (const entry of stored) {
      const full =
        entry.kind === 'admin' || entry.configId === undefined
          ? entry
          : withUnassignedGoals(entry, await matchingGoals(entry));
      if (goalId === undefined || full.goals.some((effect) => effect.goalId === goalId)) entries.push(full);
    }
    return entries;
  };
  return {
    async playerEntries(userId, options) {
      const entries = await read(userId, options.goalId, options.limit);
      return entries.map((entry) => entryJson(entry, { goalId: options.goalId, withAdmin: true }));
    },
    async goalHistory(userId, challengeId, goalId, limit) {
      const catalog = deps.catalog();
      if (!catalog.challengeById.has(challengeId)) throw challengeNotFound(challengeId);
      if (!findGoalInChallenge(catalog, challengeId, goalId)) throw goalNotFound(goalId, challengeId);
      const entries = await read(userId, goalId, limit);
      return {
        challengeId,
        goalId,
        entries: entries.map((entry) => entryJson(entry, { goalId, withAdmin: false })),
      };
    },
  };
}

function checkedLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_AUDIT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) {
    throw invalidRequest(`limit must be an integer from 1 to ${MAX_AUDIT_LIMIT}`);
  }
  return limit;
}

function entryJson(
  entry: AuditEntry,
  options: { readonly goalId: string | undefined; readonly withAdmin: boolean },
): AuditEntryJson {
  const goals =
    options.goalId === undefined
      ? entry.goals
      : entry.goals.filter((effect) => effect.goalId === options.goalId);
  const recordedAt = formatTimestamp(entry.recordedAt);
  if (entry.kind === 'admin') {
    return {
      kind: 'admin',
      recordedAt,
      action: entry.action,
      ...(options.withAdmin ? { adminUserId: entry.adminUserId } : {}),
      goals,
    };
  }
  return {
    kind: entry.kind,
    recordedAt,
    eventId: entry.eventId,
    ...(entry.statCode === undefined ? {} : { statCode: entry.statCode, value: entry.value ?? 0 }),
    occurredAt: formatTimestamp(entry.occurredAt),
    ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    ...(entry.namespace === undefined ? {} : { namespace: entry.namespace }),
    goals,
  };
}
