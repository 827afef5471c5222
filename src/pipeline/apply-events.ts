/**
 * Applies one batch of events in one transaction, with the shared pure domain rules: dedup by
 * event id, read the affected active rows, fold each row's events in arrival order with
 * `applyGoalEvent`, write every changed row with one UNNEST statement.
 *
 * Rows are not locked while they are read. HTTP writes to the same rows (claim, activation,
 * initialize) are rare, and a lock would cost one more write per row; instead the write is
 * guarded on each row's version. If any row changed in between, the whole transaction rolls back
 * (dedup ids included) and the batch runs again with the rows locked `FOR UPDATE`, so every row
 * is always folded from the state it is written over. Rows read but left unchanged need no guard:
 * each row's fold depends on that row alone, so the batch orders before any later writer of it.
 */

import type { Db, Pool } from '../db/client.ts';
import {
  claimEventIds,
  type ProgressKeyGroup,
  readChangeableRows,
  type VersionedProgress,
  writeProgressBatch,
} from '../db/event-progress.ts';
import type { Catalog } from '../domain/catalog.ts';
import { applyGoalEvent, type EventProgress, type GoalEvent } from '../domain/progress.ts';
import { nextPeriodStart } from '../domain/rotation.ts';
import type { EventSource, Goal, RotationSchedule } from '../domain/types.ts';
import type { PipelineEvent } from './pipeline-event.ts';

export interface BatchResult {
  /** Applied events by kind. */
  readonly appliedByKind: Readonly<Record<EventSource, number>>;
  /** Redelivered events by kind (acknowledged, not applied again). */
  readonly duplicatesByKind: Readonly<Record<EventSource, number>>;
  /** Progress rows updated: what the batch cost PostgreSQL in row versions. */
  readonly rowsWritten: number;
}

export function goalsMatching(catalog: Catalog, event: PipelineEvent): readonly Goal[] {
  return event.kind === 'login'
    ? catalog.loginGoals
    : (catalog.statisticGoalsByStatCode.get(event.statCode) ?? []);
}

/** Which goals an event advances: all login goals, or the statistic goals of one stat code. */
const eventKey = (event: PipelineEvent): string =>
  event.kind === 'login' ? 'login' : `statistic:${event.statCode}`;
const goalKey = (goal: Goal): string =>
  goal.eventSource === 'login' ? 'login' : `statistic:${goal.requirement.statCode}`;

/** A guarded write found a row changed since it was read; rolls the transaction back. */
class WriteConflict extends Error {}

export async function applyEventBatch(
  pool: Pool,
  catalog: Catalog,
  events: readonly PipelineEvent[],
  now: Date,
): Promise<BatchResult> {
  try {
    return await pool.begin((tx) => applyInTransaction(tx, catalog, events, now, { lock: false }));
  } catch (error) {
    if (!(error instanceof WriteConflict)) throw error;
    return pool.begin((tx) => applyInTransaction(tx, catalog, events, now, { lock: true }));
  }
}

/**
 * The dedup insert and the row read are sent together (one round trip): the read covers the users
 * of every event in the batch, so it is a superset when some of them turn out to be redelivered,
 * and only the fresh events are folded.
 */
async function applyInTransaction(
  tx: Db,
  catalog: Catalog,
  events: readonly PipelineEvent[],
  now: Date,
  options: { readonly lock: boolean },
): Promise<BatchResult> {
  const userOf = new Map<string, string>();
  for (const event of events)
    if (event.id !== '' && !userOf.has(event.id)) userOf.set(event.id, event.userId);
  const ids = [...userOf.keys()];
  const { groups, reopeningGoalIds } = keyGroups(catalog, events);
  const [fresh, rows] = await Promise.all([
    claimEventIds(tx, ids, now, userOf),
    readChangeableRows(tx, groups, reopeningGoalIds, options),
  ]);
  // user → event key → the user's fresh events of that key, in arrival order
  const work = new Map<string, Map<string, PipelineEvent[]>>();
  const seen = new Set<string>();
  const appliedByKind: Record<EventSource, number> = { login: 0, statistic: 0 };
  const duplicatesByKind: Record<EventSource, number> = { login: 0, statistic: 0 };
  for (const event of events) {
    if (event.id !== '') {
      if (!fresh.has(event.id) || seen.has(event.id)) {
        duplicatesByKind[event.kind]++;
        continue;
      }
      seen.add(event.id);
    }
    appliedByKind[event.kind]++;
    let byKey = work.get(event.userId);
    if (!byKey) {
      byKey = new Map();
      work.set(event.userId, byKey);
    }
    const key = eventKey(event);
    const list = byKey.get(key);
    if (list) list.push(event);
    else byKey.set(key, [event]);
  }
  const changed: Array<VersionedProgress & { readonly expiresAt: Date | null }> = [];
  for (const row of rows) {
    const goal = catalog.goalById.get(row.goalId);
    const rowEvents = goal && work.get(row.userId)?.get(goalKey(goal));
    if (!goal || !rowEvents) continue;
    let state: EventProgress = row;
    for (const event of rowEvents) {
      state = applyGoalEvent(goal, state, toGoalEvent(event), new Date(event.occurredAt));
    }
    if (!sameState(state, row)) {
      changed.push({
        ...state,
        userId: row.userId,
        goalId: row.goalId,
        version: row.version,
        // The original's column, kept current for operators: when the row's rotation period ends.
        expiresAt:
          goal.rotation && state.periodStart ? periodEnd(goal.rotation.schedule, state.periodStart) : null,
      });
    }
  }
  const rowsWritten = await writeProgressBatch(tx, changed, now);
  if (rowsWritten !== changed.length) {
    if (!options.lock) throw new WriteConflict('a progress row changed while the batch was applied');
    throw new Error(`wrote ${rowsWritten} of ${changed.length} locked progress rows`);
  }
  return { appliedByKind, duplicatesByKind, rowsWritten };
}

/**
 * One group per event key present in the batch: its users and the goals that key advances, both
 * sorted, groups in key order, so every flusher locks rows in one global order.
 */
function keyGroups(
  catalog: Catalog,
  events: readonly PipelineEvent[],
): { groups: ProgressKeyGroup[]; reopeningGoalIds: string[] } {
  const usersByKey = new Map<string, { users: Set<string>; goals: readonly Goal[] }>();
  for (const event of events) {
    const key = eventKey(event);
    const entry = usersByKey.get(key);
    if (entry) entry.users.add(event.userId);
    else {
      const goals = goalsMatching(catalog, event);
      if (goals.length > 0) usersByKey.set(key, { users: new Set([event.userId]), goals });
    }
  }
  const groups: ProgressKeyGroup[] = [];
  const reopeningGoalIds: string[] = [];
  for (const key of [...usersByKey.keys()].sort()) {
    const { users, goals } = usersByKey.get(key) as { users: Set<string>; goals: readonly Goal[] };
    groups.push({ userIds: [...users].sort(), goalIds: goals.map((goal) => goal.goalId).sort() });
    for (const goal of goals) if (canReopen(goal)) reopeningGoalIds.push(goal.goalId);
  }
  return { groups, reopeningGoalIds };
}

const toGoalEvent = (event: PipelineEvent): GoalEvent =>
  event.kind === 'login' ? { source: 'login' } : { source: 'statistic', value: event.value, inc: event.inc };

/** Goals whose claimed rows events can still change: a new day or a new rotation period opens them again. */
const canReopen = (goal: Goal): boolean => goal.type === 'daily' || goal.rotation?.allowReselection === true;

const periodEnd = (schedule: RotationSchedule, periodStart: string): Date =>
  nextPeriodStart(schedule, new Date(`${periodStart}T00:00:00Z`));

function sameState(a: EventProgress, b: EventProgress): boolean {
  return (
    a.progress === b.progress &&
    a.status === b.status &&
    a.progressDay === b.progressDay &&
    a.baselineValue === b.baselineValue &&
    a.periodStart === b.periodStart &&
    a.lastEventAt?.getTime() === b.lastEventAt?.getTime() &&
    a.completedAt?.getTime() === b.completedAt?.getTime() &&
    a.claimedAt?.getTime() === b.claimedAt?.getTime()
  );
}
