/**
 * The admin side of live configuration: what is in force, what a candidate would change (with how
 * many players' rows each removed or retargeted goal has), and applying one.
 */
import { ConfigError, parseChallengeConfig } from '../config/challenge-config.ts';
import { configHistory, goalRowCounts, type StoredConfigHead } from '../db/challenge-configs.ts';
import type { Pool } from '../db/client.ts';
import { type ConfigDiff, configVersion, diffConfigs } from '../domain/config-diff.ts';
import { AppError } from '../domain/errors.ts';
import { formatTimestamp } from '../domain/time.ts';
import { applyConfigDocument } from './config-sync.ts';
import type { LiveCatalog } from './live-catalog.ts';

const CANDIDATE = 'candidate configuration';
const HISTORY_LENGTH = 20;

export interface ConfigHeadJson {
  readonly version: string;
  readonly source: string;
  readonly appliedBy: string;
  readonly appliedAt: string;
}

export interface ConfigResponse extends ConfigHeadJson {
  readonly config: unknown;
  /** The newest applied configurations, newest first (the one in force included). */
  readonly history: readonly ConfigHeadJson[];
}

export interface GoalImpact {
  readonly goalId: string;
  /** Players with a row for the goal, of them in progress, and completed but not claimed. */
  readonly players: number;
  readonly inProgress: number;
  readonly completedUnclaimed: number;
}

export type ValidationResponse =
  | {
      readonly valid: true;
      readonly version: string;
      readonly unchanged: boolean;
      readonly diff: ConfigDiff;
      readonly impact: {
        readonly removed: readonly GoalImpact[];
        readonly retargeted: readonly GoalImpact[];
      };
    }
  | {
      readonly valid: false;
      readonly errors: ReadonlyArray<{ readonly path: string; readonly message: string }>;
    };

export interface ConfigAdmin {
  get(): Promise<ConfigResponse>;
  validate(document: unknown): Promise<ValidationResponse>;
  /** INVALID_REQUEST (with the problem's path) when the candidate is not valid. */
  apply(document: unknown, adminUserId: string): Promise<ConfigHeadJson & { readonly diff: ConfigDiff }>;
}

export function createConfigAdmin(deps: { db: Pool; live: LiveCatalog; namespace: string }): ConfigAdmin {
  const { db, live } = deps;
  return {
    async get() {
      const inForce = live.inForce();
      return {
        ...headJson(inForce),
        config: inForce.document,
        history: (await configHistory(db, HISTORY_LENGTH)).map(headJson),
      };
    },
    async validate(document) {
      let challenges: ReturnType<typeof parseChallengeConfig>;
      try {
        challenges = parseChallengeConfig(document, CANDIDATE);
      } catch (error) {
        if (error instanceof ConfigError)
          return { valid: false, errors: [{ path: error.path, message: error.reason }] };
        throw error;
      }
      const inForce = live.inForce();
      const diff = diffConfigs(inForce.challenges, challenges);
      const retargetedIds = diff.goalsChanged
        .filter((change) => change.retargeted)
        .map((change) => change.goalId);
      const counts = await goalRowCounts(db, deps.namespace, [...diff.goalsRemoved, ...retargetedIds]);
      const impactOf = (goalId: string): GoalImpact => ({
        goalId,
        ...(counts.get(goalId) ?? { players: 0, inProgress: 0, completedUnclaimed: 0 }),
      });
      const version = configVersion(challenges);
      return {
        valid: true,
        version,
        unchanged: version === inForce.version,
        diff,
        impact: { removed: diff.goalsRemoved.map(impactOf), retargeted: retargetedIds.map(impactOf) },
      };
    },
    async apply(document, adminUserId) {
      const before = live.inForce().challenges;
      let applied: Awaited<ReturnType<typeof applyConfigDocument>>;
      try {
        applied = await applyConfigDocument(db, live, {
          document,
          source: 'api',
          appliedBy: adminUserId,
          sourceName: CANDIDATE,
        });
      } catch (error) {
        if (error instanceof ConfigError) {
          throw new AppError('INVALID_REQUEST', error.message, {
            details: [{ path: error.path, message: error.reason }],
          });
        }
        throw error;
      }
      return { ...headJson(applied), diff: diffConfigs(before, applied.challenges) };
    },
  };
}

const headJson = (head: StoredConfigHead): ConfigHeadJson => ({
  version: head.version,
  source: head.source,
  appliedBy: head.appliedBy,
  appliedAt: formatTimestamp(head.appliedAt),
});
