/**
 * The SQL of the audit trail. The trail lives in `processed_events`, the table every event already
 * writes a row to for dedup: its `audit` column holds what the event did, so auditing an event
 * costs no extra row. Rows of applied events with an id are keyed by that id (the dedup key); every
 * other entry (an event without id, a redelivery, an event that matched nothing, an admin's change)
 * gets a generated key, so it never takes part in dedup.
 *
 * `audit` is compact JSON, because it is written for every event:
 *   k   kind: "l" login, "s" statistic, "a" admin
 *   t   when the event happened (ISO 8601); absent for admin entries
 *   c,v stat code and value (statistic events)
 *   e   the event's own id, present only when the row's key is generated (null: it had none)
 *   r   why the event changed nothing for the player (domain/audit.ts EventUnchangedReason)
 *   ns  the event's namespace (r = other_namespace)
 *   x,a admin entries: the action and the admin's user id
 *   g   one array per goal: [goalId, fromProgress, toProgress, fromStatus, toStatus] when it
 *       changed, [goalId, reason] when it did not
 */
import { randomUUID } from 'node:crypto';
import type {
  AdminAction,
  AuditEntry,
  EventUnchangedReason,
  GoalEffect,
  GoalUnchangedReason,
} from '../domain/audit.ts';
import type { GoalStatus } from '../domain/types.ts';
import type { Db } from './client.ts';

type StoredEffect = [string, number, number, GoalStatus, GoalStatus] | [string, GoalUnchangedReason];

interface StoredAudit {
  readonly k: 'l' | 's' | 'a';
  readonly t?: string;
  readonly c?: string;
  readonly v?: number;
  readonly e?: string | null;
  readonly r?: EventUnchangedReason;
  readonly ns?: string;
  readonly x?: AdminAction;
  readonly a?: string;
  readonly g: StoredEffect[];
}

/** One row to write: the entry, and whether the row is keyed by the event's own id (dedup). */
export interface AuditRow {
  readonly entry: AuditEntry;
  readonly keyedByEventId: boolean;
}

/** A key for an entry that must not take part in dedup; a random UUID cannot meet a real event id. */
const generatedKey = (): string => `audit:${randomUUID()}`;

function encode(row: AuditRow): { key: string; audit: string } {
  const { entry } = row;
  const g = entry.goals.map(
    (effect): StoredEffect =>
      effect.result === 'changed'
        ? [effect.goalId, effect.from.progress, effect.to.progress, effect.from.status, effect.to.status]
        : [effect.goalId, effect.reason],
  );
  if (entry.kind === 'admin') {
    return {
      key: generatedKey(),
      audit: JSON.stringify({ k: 'a', x: entry.action, a: entry.adminUserId, g }),
    };
  }
  const ownKey = row.keyedByEventId ? entry.eventId : null;
  if (row.keyedByEventId && ownKey === null) throw new Error('an entry keyed by its event id needs an id');
  const stored: StoredAudit = {
    k: entry.kind === 'login' ? 'l' : 's',
    t: entry.occurredAt.toISOString(),
    ...(entry.statCode === undefined ? {} : { c: entry.statCode, v: entry.value ?? 0 }),
    ...(row.keyedByEventId ? {} : { e: entry.eventId }),
    ...(entry.reason === undefined ? {} : { r: entry.reason }),
    ...(entry.namespace === undefined ? {} : { ns: entry.namespace }),
    g,
  };
  return { key: ownKey ?? generatedKey(), audit: JSON.stringify(stored) };
}

function decode(key: string, userId: string, recordedAt: Date, stored: StoredAudit): AuditEntry {
  const goals = stored.g.map(
    (effect): GoalEffect =>
      effect.length === 5
        ? {
            goalId: effect[0],
            result: 'changed',
            from: { progress: effect[1], status: effect[3] },
            to: { progress: effect[2], status: effect[4] },
          }
        : { goalId: effect[0], result: 'unchanged', reason: effect[1] },
  );
  if (stored.k === 'a') {
    return {
      kind: 'admin',
      userId,
      recordedAt,
      action: stored.x as AdminAction,
      adminUserId: stored.a ?? '',
      goals,
    };
  }
  return {
    kind: stored.k === 'l' ? 'login' : 'statistic',
    userId,
    recordedAt,
    eventId: stored.e === undefined ? key : stored.e,
    occurredAt: new Date(stored.t ?? recordedAt),
    ...(stored.c === undefined ? {} : { statCode: stored.c, value: stored.v ?? 0 }),
    ...(stored.r === undefined ? {} : { reason: stored.r }),
    ...(stored.ns === undefined ? {} : { namespace: stored.ns }),
    goals,
  };
}

/**
 * Ids among `ids` already applied. Read without a lock: the flush that uses it inserts the ids
 * later in its transaction and rolls back if any of them was taken meanwhile.
 */
export async function appliedEventIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db<{ event_id: string }[]>`
    select event_id from processed_events where event_id = any(${ids as string[]}::text[])`;
  return new Set(rows.map((row) => row.event_id));
}

/**
 * Writes audit rows, all recorded at `recordedAt`, in the order given (their `seq` keeps it).
 * Rows keyed by event ids are not sorted: two flushes inserting the same ids in opposite orders
 * could deadlock, which PostgreSQL breaks by failing one, and a failed flush is retried. Returns how many rows keyed by an event id were
 * written: with `claimed` false, fewer than given means another transaction applied one of those
 * events since `appliedEventIds` read them. With `claimed`, this transaction already inserted those
 * keys (`claimEventIds`), and their rows get the audit.
 */
export async function writeAuditRows(
  db: Db,
  rows: readonly AuditRow[],
  recordedAt: Date,
  options: { readonly claimed: boolean },
): Promise<number> {
  if (rows.length === 0) return 0;
  const keys: string[] = [];
  const users: string[] = [];
  const audits: string[] = [];
  const eventKeys = new Set<string>();
  for (const row of rows) {
    const { key, audit } = encode(row);
    if (row.keyedByEventId) eventKeys.add(key);
    keys.push(key);
    users.push(row.entry.userId);
    audits.push(audit);
  }
  const written = await db<{ event_id: string }[]>`
    insert into processed_events (event_id, user_id, processed_at, audit)
    select key, user_id, ${recordedAt}::timestamptz, audit::jsonb
    from unnest(${keys}::text[], ${users}::text[], ${audits}::text[]) with ordinality as r(key, user_id, audit, n)
    order by n
    ${options.claimed ? db`on conflict (event_id) do update set audit = excluded.audit` : db`on conflict (event_id) do nothing`}
    returning event_id`;
  return written.filter((row) => eventKeys.has(row.event_id)).length;
}

/** The player's entries, newest first; only those about `goalId` when given. */
export async function readAuditEntries(
  db: Db,
  userId: string,
  options: { readonly goalId?: string | undefined; readonly limit: number },
): Promise<AuditEntry[]> {
  const goalFilter = options.goalId === undefined ? null : JSON.stringify([[options.goalId]]);
  const rows = await db<{ event_id: string; processed_at: Date; audit: StoredAudit }[]>`
    select event_id, processed_at, audit from processed_events
    where user_id = ${userId} and audit is not null
      ${goalFilter === null ? db`` : db`and audit -> 'g' @> ${goalFilter}::text::jsonb`}
    order by processed_at desc, seq desc nulls last
    limit ${options.limit}`;
  return rows.map((row) => decode(row.event_id, userId, row.processed_at, row.audit));
}
