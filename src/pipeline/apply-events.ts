/**
 * Applies one batch of events in one transaction, with the shared pure domain rules: dedup by
 * event id, read the affected active rows, fold each row's events in arrival order with
 * `applyGoalEvent`, write every changed row with one UNNEST statement. A goal that follows its stat
 * (domain/stat-values.ts) is folded from what it shows, and when the stat carries its whole change
 * only the stat is written: one row per player and stat instead of one per goal.
 *
 * Rows and stats are not locked while they are read. HTTP writes to the same rows (claim,
 * activation, initialize) are rare, and a lock would cost one more write per row; instead the
 * write is guarded on each row's version (a stat's on its `seq`). If any changed in between, the
 * whole transaction rolls back (dedup ids included) and the batch runs again with rows and stats
 * locked `FOR UPDATE`, so every row is always folded from the state it is written over. Rows read
 * but left unchanged need no guard: each row's fold depends on that row alone, so the batch orders
 * before any later writer of it. Nor do rows whose change the stat carries: a writer that changed
 * one meanwhile took over what it showed, and the stat written after it reaches the row only if
 * it still follows (active, not claimed), as the event would have after that writer.
 *
 * With the audit on, every event also gets its record of what it did (domain/audit.ts), written in
 * the same transaction as the progress it changed, so the audit never disagrees with the state.
 */

import type { ChangeNotices } from '../db/change-notices.ts';
import type { Db, Pool } from '../db/client.ts';
import { type AuditRow, appliedEventIds, writeAuditRows } from '../db/event-audit.ts';
import {
  claimEventIds,
  type ProgressKeyGroup,
  type ProgressWrite,
  type ReadProgress,
  readChangeableRows,
  writeProgressBatch,
} from '../db/event-progress.ts';
import {
  readStatValues,
  type StatKey,
  type StatWrite,
  type StoredStat,
  statKeyOf,
  writeStatValues,
} from '../db/stat-values.ts';
import type { EventEntry, EventUnchangedReason, GoalEffect } from '../domain/audit.ts';
import type { Catalog } from '../domain/catalog.ts';
import { outboxMessageTypeOf } from '../domain/outbox-message.ts';
import {
  type EventProgress,
  evaluateGoalEvent,
  type GoalEvent,
  isSameProgress,
  type UnchangedReason,
} from '../domain/progress.ts';
import { progressNoticePayloads } from '../domain/progress-notice.ts';
import { nextPeriodStart } from '../domain/rotation.ts';
import {
  applyStatEvent,
  followedStat,
  LOGIN_STAT,
  type StatState,
  shownState,
  withStat,
} from '../domain/stat-values.ts';
import type { EventSource, Goal, RotationSchedule } from '../domain/types.ts';
import type { PipelineEvent } from './pipeline-event.ts';

export interface BatchResult {
  /** Applied events by kind. */
  readonly appliedByKind: Readonly<Record<EventSource, number>>;
  /** Redelivered events by kind (acknowledged, not applied again). */
  readonly duplicatesByKind: Readonly<Record<EventSource, number>>;
  /** Events recorded in the audit only: another namespace, or no goal counts them. */
  readonly skippedByKind: Readonly<Record<EventSource, number>>;
  /** Goal progress rows and stat values written: what the batch cost PostgreSQL in row versions. */
  readonly rowsWritten: number;
  /**
   * What to tell other processes now that the batch committed (db/change-notices.ts): the players
   * the batch wrote outbox messages for, and progress notices for the changes it wrote without.
   */
  readonly notices: { readonly outboxPlayers: readonly string[]; readonly progress: readonly string[] };
}

export interface ApplyOptions {
  /**
   * Record what every event did in the audit trail (domain/audit.ts), in the same transaction.
   * On by default.
   */
  readonly audit?: boolean;
  /**
   * The stored configuration `catalog` comes from. The audit then records it instead of a
   * `goal_not_assigned` effect per goal the player has no row for (see domain/audit.ts).
   */
  readonly configId?: number | undefined;
}

export function goalsMatching(catalog: Catalog, event: PipelineEvent): readonly Goal[] {
  return event.kind === 'login'
    ? catalog.loginGoals
    : (catalog.statisticGoalsByStatCode.get(event.statCode) ?? []);
}

/** Which goals an event advances: all login goals, or the statistic goals of one stat code. */
const statisticKey = (statCode: string): string => `statistic:${statCode}`;
const eventKey = (event: PipelineEvent): string =>
  event.kind === 'login' ? 'login' : statisticKey(event.statCode);
const goalKey = (goal: Goal): string =>
  goal.eventSource === 'login' ? 'login' : statisticKey(goal.requirement.statCode);
const rowKey = (userId: string, goalId: string): string => `${userId}\u0000${goalId}`;

/** A guarded write found a row (or an event id) taken since it was read; rolls the transaction back. */
class WriteConflict extends Error {}

export async function applyEventBatch(
  pool: Pool,
  catalog: Catalog,
  events: readonly PipelineEvent[],
  now: Date,
  options: ApplyOptions = {},
): Promise<BatchResult> {
  const audit = options.audit ?? true;
  const { configId } = options;
  try {
    return await pool.begin((tx) =>
      applyInTransaction(tx, catalog, events, now, { lock: false, audit, configId }),
    );
  } catch (error) {
    if (!(error instanceof WriteConflict)) throw error;
    return pool.begin((tx) => applyInTransaction(tx, catalog, events, now, { lock: true, audit, configId }));
  }
}

/**
 * Two round trips. First the dedup check and the row read, sent together: the read covers the
 * users of every event in the batch, so it is a superset when some of them turn out to be
 * redelivered, and only the fresh events are folded. Then the progress write and the event rows; the
 * notices of the players whose progress changed are the caller's to send after the commit.
 *
 * Without the audit, the first round trip inserts the event ids (`claimEventIds`). With it, the
 * ids are only looked up, and inserted in the second round trip together with what each event did,
 * so an event costs one row, written once; if another transaction inserted one of the ids in
 * between, the batch rolls back and runs again the locked way, where the ids are claimed first
 * (an insert waits for a concurrent one of the same id) and the audit is written over them.
 */
async function applyInTransaction(
  tx: Db,
  catalog: Catalog,
  events: readonly PipelineEvent[],
  now: Date,
  options: { readonly lock: boolean; readonly audit: boolean; readonly configId: number | undefined },
): Promise<BatchResult> {
  const { audit, lock, configId } = options;
  const userOf = new Map<string, string>();
  for (const event of events) {
    if (event.id !== '' && event.foreignNamespace === undefined && !userOf.has(event.id)) {
      userOf.set(event.id, event.userId);
    }
  }
  const ids = [...userOf.keys()];
  const { groups, reopeningGoalIds } = keyGroups(catalog, events);
  const claimFirst = !audit || lock;
  const readOptions = { lock, everyRow: audit };
  // Stats before rows, the order every writer locks them in (takeOverStats): the unlocked flush
  // writes the stats first, because a row that follows one takes the stat's new `seq`.
  const readRowsAndStats = async () => {
    const [stats, rows] = await Promise.all([
      readStatValues(tx, statKeysOf(catalog, events), { lock }),
      readChangeableRows(tx, groups, reopeningGoalIds, readOptions),
    ]);
    return [rows, stats] as const;
  };
  const [fresh, [rows, stats]] = claimFirst
    ? await Promise.all([claimEventIds(tx, ids, now, userOf), readRowsAndStats()])
    : await Promise.all([
        appliedEventIds(tx, ids).then((applied) => new Set(ids.filter((id) => !applied.has(id)))),
        readRowsAndStats(),
      ]);
  // user → event key → the user's fresh events of that key, in arrival order
  const work = new Map<string, Map<string, PipelineEvent[]>>();
  const seen = new Set<string>();
  const appliedByKind: Record<EventSource, number> = { login: 0, statistic: 0 };
  const duplicatesByKind: Record<EventSource, number> = { login: 0, statistic: 0 };
  const skippedByKind: Record<EventSource, number> = { login: 0, statistic: 0 };
  const entries = new Map<PipelineEvent, AuditEntryDraft>();
  const auditRows: AuditRow[] = [];
  const record = (event: PipelineEvent, draft: AuditEntryDraft) => {
    entries.set(event, draft);
    auditRows.push({ entry: draft, keyedByEventId: draft.keyed });
  };
  for (const event of events) {
    if (event.foreignNamespace !== undefined) {
      skippedByKind[event.kind]++;
      if (audit) record(event, draftEntry(event, now, { reason: 'other_namespace', configId }));
      continue;
    }
    if (event.id !== '') {
      if (!fresh.has(event.id) || seen.has(event.id)) {
        duplicatesByKind[event.kind]++;
        if (audit) record(event, draftEntry(event, now, { reason: 'duplicate_event_id', configId }));
        continue;
      }
      seen.add(event.id);
    }
    if (goalsMatching(catalog, event).length === 0) {
      // Reaches a shard only to be audited (or when the configuration changed on the way).
      skippedByKind[event.kind]++;
      if (audit)
        record(
          event,
          draftEntry(event, now, { reason: 'no_goal_for_stat_code', keyed: event.id !== '', configId }),
        );
      continue;
    }
    appliedByKind[event.kind]++;
    if (audit) record(event, draftEntry(event, now, { keyed: event.id !== '', configId }));
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
  const statChanges = new StatChanges(stats, work);
  const changed: ProgressWrite[] = [];
  // Goals whose change the outbox does not record, by player: the progress notice names them.
  const noticed = new Map<string, string[]>();
  const outboxPlayers = new Set<string>();
  for (const row of rows) {
    const goal = catalog.goalById.get(row.goalId);
    const rowEvents = goal && work.get(row.userId)?.get(goalKey(goal));
    if (!goal || !rowEvents || !row.isActive) continue;
    const statCode = followedStat(goal);
    const stat = statCode === undefined ? undefined : statChanges.of(row.userId, statCode);
    const shown: EventProgress =
      row.statCode !== null && row.statCode === stat?.key.statCode ? shownState(row, stat.read) : row;
    let state = shown;
    for (const event of rowEvents) {
      const next = evaluateGoalEvent(goal, state, toGoalEvent(event), new Date(event.occurredAt));
      entries.get(event)?.goals.push(goalEffect(goal.goalId, state, next));
      if (typeof next !== 'string') state = next;
    }
    if (isSameProgress(state, shown)) continue;
    const { isActive } = row;
    if (outboxMessageTypeOf({ ...shown, isActive }, { ...state, isActive }) !== undefined)
      outboxPlayers.add(row.userId);
    else {
      const goals = noticed.get(row.userId);
      if (goals) goals.push(row.goalId);
      else noticed.set(row.userId, [row.goalId]);
    }
    if (stat?.next) {
      stat.write = true;
      // A row already following its stat shows the new value without a write of its own, unless
      // something the stat does not carry changed (it completed).
      if (row.statCode === stat.key.statCode && isSameProgress(state, withStat(row, stat.next))) continue;
    }
    changed.push({
      ...state,
      userId: row.userId,
      goalId: row.goalId,
      version: row.version,
      // The original's column, kept current for operators: when the row's rotation period ends.
      expiresAt:
        goal.rotation && state.periodStart ? periodEnd(goal.rotation.schedule, state.periodStart) : null,
      statCode: stat ? stat.key.statCode : null,
      // A row counting logins shows the count past where it was when the row started counting.
      statBase: stat?.key.statCode === LOGIN_STAT ? valueAfter(stat) - state.progress : 0,
    });
  }
  const statWrites = statChanges.writes();
  if (audit) explainUnread(catalog, rows, entries, { listUnassigned: configId === undefined });
  const keyedRows = auditRows.filter((row) => row.keyedByEventId).length;
  const [statsWritten, rowsWritten, keyedWritten] = await Promise.all([
    writeStatValues(tx, statWrites, now),
    writeProgressBatch(tx, changed, now),
    audit ? writeAuditRows(tx, auditRows, now, { claimed: claimFirst, catalog }) : Promise.resolve(0),
  ]);
  if (
    statsWritten !== statWrites.length ||
    rowsWritten !== changed.length ||
    keyedWritten !== (audit ? keyedRows : 0)
  ) {
    if (!lock)
      throw new WriteConflict('a progress row, a stat or an event id was taken while the batch was applied');
    throw new Error(
      `wrote ${rowsWritten} of ${changed.length} locked progress rows and ${statsWritten} of ${statWrites.length} stats`,
    );
  }
  // The progress notices name the goals this flush changed without an outbox message, for live
  // streams of any replica (src/stream/), with the changes stamped `now`.
  const notices = {
    outboxPlayers: [...outboxPlayers],
    progress: progressNoticePayloads(
      now,
      [...noticed].map(([userId, goalIds]) => ({ userId, goalIds })),
    ),
  };
  return { appliedByKind, duplicatesByKind, skippedByKind, rowsWritten: rowsWritten + statsWritten, notices };
}

/** Tells other processes what a committed batch changed (db/change-notices.ts). */
export function announceBatch(notices: ChangeNotices, result: BatchResult): void {
  notices.outboxChanged(result.notices.outboxPlayers);
  notices.progressMoved(result.notices.progress);
}

/** One player's stat in this batch: as read, after the batch's events, and whether to write it. */
interface StatChange {
  readonly key: StatKey;
  readonly read: StoredStat | undefined;
  /** Undefined when the batch's events leave the value as it was. */
  readonly next: StatState | undefined;
  /** A goal row that follows (or starts to follow) the stat changed with it. */
  write: boolean;
}

/** The batch's stats, each folded from its events the first time a goal row asks for it. */
class StatChanges {
  private readonly changes = new Map<string, StatChange>();

  constructor(
    private readonly stats: ReadonlyMap<string, StoredStat>,
    private readonly work: ReadonlyMap<string, ReadonlyMap<string, readonly PipelineEvent[]>>,
  ) {}

  of(userId: string, statCode: string): StatChange {
    const key = { userId, statCode };
    const id = statKeyOf(key);
    const known = this.changes.get(id);
    if (known) return known;
    const read = this.stats.get(id);
    let value: StatState | undefined = read;
    let next: StatState | undefined;
    const events = this.work.get(userId)?.get(statCode === LOGIN_STAT ? 'login' : statisticKey(statCode));
    for (const event of events ?? []) {
      const after = applyStatEvent(value, toGoalEvent(event), new Date(event.occurredAt));
      if (after) value = next = after;
    }
    const change: StatChange = { key, read, next, write: false };
    this.changes.set(id, change);
    return change;
  }

  writes(): StatWrite[] {
    const writes: StatWrite[] = [];
    for (const change of this.changes.values()) {
      if (!change.write || !change.next) continue;
      writes.push({ ...change.key, ...change.next, read: change.read });
    }
    return writes;
  }
}

/** The stat's value once the batch is applied. */
const valueAfter = (stat: StatChange): number => (stat.next ?? stat.read)?.value ?? 0;

/** The stats the batch's events may change: those some goal follows. */
function statKeysOf(catalog: Catalog, events: readonly PipelineEvent[]): StatKey[] {
  const keys = new Map<string, StatKey>();
  for (const event of events) {
    if (event.foreignNamespace !== undefined) continue;
    const key = { userId: event.userId, statCode: event.kind === 'login' ? LOGIN_STAT : event.statCode };
    const id = statKeyOf(key);
    if (keys.has(id)) continue;
    if (goalsMatching(catalog, event).some((goal) => followedStat(goal) === key.statCode)) keys.set(id, key);
  }
  return [...keys.values()];
}

/** An audit entry being filled in while the batch folds; `keyed`: stored under the event's own id. */
type AuditEntryDraft = EventEntry & { readonly goals: GoalEffect[]; readonly keyed: boolean };

function draftEntry(
  event: PipelineEvent,
  now: Date,
  options: {
    readonly reason?: EventUnchangedReason;
    readonly keyed?: boolean;
    readonly configId: number | undefined;
  },
): AuditEntryDraft {
  return {
    kind: event.kind,
    userId: event.userId,
    recordedAt: now,
    eventId: event.id === '' ? null : event.id,
    occurredAt: new Date(event.occurredAt),
    ...(event.kind === 'statistic' ? { statCode: event.statCode, value: event.value } : {}),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(event.foreignNamespace === undefined ? {} : { namespace: event.foreignNamespace }),
    ...(options.configId === undefined ? {} : { configId: options.configId }),
    goals: [],
    keyed: options.keyed ?? false,
  };
}

function goalEffect(
  goalId: string,
  before: EventProgress,
  next: EventProgress | UnchangedReason,
): GoalEffect {
  if (typeof next === 'string') return { goalId, result: 'unchanged', reason: next };
  return {
    goalId,
    result: 'changed',
    from: { progress: before.progress, status: before.status },
    to: { progress: next.progress, status: next.status },
  };
}

/**
 * The goals an applied event matched whose row was not folded: inactive, or (with
 * `listUnassigned`) the player has none; otherwise the entry's configuration implies those.
 */
function explainUnread(
  catalog: Catalog,
  rows: readonly ReadProgress[],
  entries: ReadonlyMap<PipelineEvent, AuditEntryDraft>,
  options: { readonly listUnassigned: boolean },
): void {
  // Inactive rows are rare and, with the configuration recorded, unassigned goals stay implied:
  // then most batches have nothing to add, and the per-goal lookups below are skipped.
  const inactive = rows.filter((row) => !row.isActive);
  if (inactive.length === 0 && !options.listUnassigned) return;
  const active = new Map(rows.map((row) => [rowKey(row.userId, row.goalId), row.isActive]));
  const inactiveUsers = new Set(inactive.map((row) => row.userId));
  for (const [event, entry] of entries) {
    if (entry.reason !== undefined) continue;
    if (!options.listUnassigned && !inactiveUsers.has(event.userId)) continue;
    for (const goal of goalsMatching(catalog, event)) {
      const isActive = active.get(rowKey(event.userId, goal.goalId));
      if (isActive === true || (isActive === undefined && !options.listUnassigned)) continue;
      entry.goals.push({
        goalId: goal.goalId,
        result: 'unchanged',
        reason: isActive === undefined ? 'goal_not_assigned' : 'goal_inactive',
      });
    }
  }
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
