/**
 * Applies one batch of events in one transaction, with the shared pure domain rules: dedup by
 * event id, lock the affected active rows in key order, fold each row's events in arrival order
 * with `applyGoalEvent`, write every changed row with one UNNEST statement.
 */

import type { Pool } from '../db/client.ts';
import {
  claimEventIds,
  type LockedProgress,
  lockActiveRows,
  writeProgressBatch,
} from '../db/event-progress.ts';
import type { Catalog } from '../domain/catalog.ts';
import { applyGoalEvent, type GoalEvent, type ProgressState } from '../domain/progress.ts';
import type { Goal } from '../domain/types.ts';
import type { PipelineEvent } from './pipeline-event.ts';

export type EventKind = PipelineEvent['kind'];

export interface BatchResult {
  readonly applied: number;
  readonly duplicates: number;
  readonly rowsWritten: number;
  /** Applied events by kind. */
  readonly appliedByKind?: Readonly<Record<EventKind, number>>;
  /** Redelivered events by kind (acknowledged, not applied again). */
  readonly duplicatesByKind?: Readonly<Record<EventKind, number>>;
}

interface KeyWork {
  readonly userId: string;
  readonly goal: Goal;
  readonly events: PipelineEvent[];
}

export function goalsMatching(catalog: Catalog, event: PipelineEvent): readonly Goal[] {
  return event.kind === 'login'
    ? catalog.loginGoals
    : (catalog.statisticGoalsByStatCode.get(event.statCode) ?? []);
}

export async function applyEventBatch(
  pool: Pool,
  catalog: Catalog,
  events: readonly PipelineEvent[],
  now: Date,
): Promise<BatchResult> {
  return pool.begin(async (tx) => {
    const ids = [...new Set(events.map((event) => event.id).filter((id) => id !== ''))];
    const fresh = await claimEventIds(tx, ids, now);
    const work = new Map<string, KeyWork>();
    const seen = new Set<string>();
    let applied = 0;
    const appliedByKind: Record<EventKind, number> = { login: 0, statistic: 0 };
    const duplicatesByKind: Record<EventKind, number> = { login: 0, statistic: 0 };
    for (const event of events) {
      if (event.id !== '') {
        if (!fresh.has(event.id) || seen.has(event.id)) {
          duplicatesByKind[event.kind]++;
          continue;
        }
        seen.add(event.id);
      }
      applied++;
      appliedByKind[event.kind]++;
      for (const goal of goalsMatching(catalog, event)) {
        const key = `${event.userId}\u0000${goal.goalId}`;
        const entry = work.get(key);
        if (entry) entry.events.push(event);
        else work.set(key, { userId: event.userId, goal, events: [event] });
      }
    }
    const keys = [...work.values()].map((entry) => ({
      userId: entry.userId,
      goalId: entry.goal.goalId,
      reopens: entry.goal.type === 'daily',
    }));
    const locked = await lockActiveRows(tx, keys);
    const changed: LockedProgress[] = [];
    for (const row of locked) {
      const entry = work.get(`${row.userId}\u0000${row.goalId}`);
      if (!entry) continue;
      let state: ProgressState = row;
      for (const event of entry.events) {
        state = applyGoalEvent(entry.goal, state, toGoalEvent(event), new Date(event.receivedAt));
      }
      if (!sameState(state, row)) changed.push({ ...state, userId: row.userId, goalId: row.goalId });
    }
    const rowsWritten = await writeProgressBatch(tx, changed, now);
    return { applied, duplicates: events.length - applied, rowsWritten, appliedByKind, duplicatesByKind };
  });
}

const toGoalEvent = (event: PipelineEvent): GoalEvent =>
  event.kind === 'login' ? { source: 'login' } : { source: 'statistic', value: event.value };

function sameState(a: ProgressState, b: ProgressState): boolean {
  return (
    a.progress === b.progress &&
    a.status === b.status &&
    a.progressDay === b.progressDay &&
    a.completedAt?.getTime() === b.completedAt?.getTime() &&
    a.claimedAt?.getTime() === b.claimedAt?.getTime()
  );
}
