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
 *   cfg the stored configuration the flush applied (challenge_configs.id): the goals the event
 *       matched and `g` does not list had no row for the player (domain/audit.ts), and `g` names
 *       goals by their position in that configuration
 *   g   one array per goal: [goal, fromProgress, toProgress, fromStatus, toStatus] when it
 *       changed (toStatus left out when the status stayed), [goal, reason] when it did not; the
 *       goal is its id, or its position with `cfg`; statuses and reasons in the short codes below
 */
import { randomUUID } from 'node:crypto';
import type {
  AdminAction,
  AuditEntry,
  EventUnchangedReason,
  GoalEffect,
  GoalUnchangedReason,
} from '../domain/audit.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { GoalStatus } from '../domain/types.ts';
import type { Db } from './client.ts';

const STATUS_CODES: Readonly<Record<GoalStatus, string>> = {
  not_started: 'n',
  in_progress: 'i',
  completed: 'c',
  claimed: 'x',
};
const REASON_CODES: Readonly<Record<GoalUnchangedReason, string>> = {
  goal_not_assigned: 'na',
  goal_inactive: 'ia',
  already_completed: 'ac',
  already_claimed: 'ax',
  already_counted_today: 'at',
  rotated_period: 'rp',
  older_event: 'oe',
  negative_value_ignored: 'nv',
  value_unchanged: 'vu',
};
const invert = <T extends string>(codes: Readonly<Record<T, string>>): ReadonlyMap<string, T> =>
  new Map(Object.entries(codes).map(([name, code]) => [code as string, name as T]));
const STATUS_NAMES = invert(STATUS_CODES);
const REASON_NAMES = invert(REASON_CODES);

type GoalRef = string | number;
type StoredEffect =
  | [GoalRef, number, number, string, string]
  | [GoalRef, number, number, string]
  | [GoalRef, string];

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
  readonly cfg?: number;
  readonly g: StoredEffect[];
}

/** One row to write: the entry, and whether the row is keyed by the event's own id (dedup). */
export interface AuditRow {
  readonly entry: AuditEntry;
  readonly keyedByEventId: boolean;
}

/** A key for an entry that must not take part in dedup; a random UUID cannot meet a real event id. */
const generatedKey = (): string => `audit:${randomUUID()}`;

/** `catalog` is the configuration named by the entries' `configId`, so goals can be stored by position. */
function encode(row: AuditRow, catalog: Catalog | undefined): { key: string; audit: string } {
  const { entry } = row;
  const byPosition = entry.kind !== 'admin' && entry.configId !== undefined ? catalog : undefined;
  const ref = (goalId: string): GoalRef => byPosition?.goalPosition.get(goalId) ?? goalId;
  const g = entry.goals.map((effect): StoredEffect => {
    if (effect.result === 'unchanged') return [ref(effect.goalId), REASON_CODES[effect.reason]];
    const from = STATUS_CODES[effect.from.status];
    const to = STATUS_CODES[effect.to.status];
    return from === to
      ? [ref(effect.goalId), effect.from.progress, effect.to.progress, from]
      : [ref(effect.goalId), effect.from.progress, effect.to.progress, from, to];
  });
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
    ...(entry.configId === undefined ? {} : { cfg: entry.configId }),
    g,
  };
  return { key: ownKey ?? generatedKey(), audit: JSON.stringify(stored) };
}

function decode(
  key: string,
  userId: string,
  recordedAt: Date,
  stored: StoredAudit,
  catalog: Catalog | undefined,
): AuditEntry {
  // A position whose configuration cannot be read is shown as such rather than guessed.
  const goalId = (ref: GoalRef): string =>
    typeof ref === 'string' ? ref : (catalog?.goals[ref]?.goalId ?? `#${ref}`);
  const status = (code: string): GoalStatus => STATUS_NAMES.get(code) ?? (code as GoalStatus);
  const goals = stored.g.map((effect): GoalEffect => {
    if (effect.length === 2) {
      const reason = REASON_NAMES.get(effect[1]) ?? (effect[1] as GoalUnchangedReason);
      return { goalId: goalId(effect[0]), result: 'unchanged', reason };
    }
    const from = status(effect[3]);
    return {
      goalId: goalId(effect[0]),
      result: 'changed',
      from: { progress: effect[1], status: from },
      to: { progress: effect[2], status: effect[4] === undefined ? from : status(effect[4]) },
    };
  });
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
    ...(stored.cfg === undefined ? {} : { configId: stored.cfg }),
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
  options: { readonly claimed: boolean; readonly catalog?: Catalog | undefined },
): Promise<number> {
  if (rows.length === 0) return 0;
  const keys: string[] = [];
  const users: string[] = [];
  const audits: string[] = [];
  const eventKeys = new Set<string>();
  for (const row of rows) {
    const { key, audit } = encode(row, options.catalog);
    if (row.keyedByEventId) eventKeys.add(key);
    keys.push(key);
    users.push(row.entry.userId);
    audits.push(audit);
  }
  // The audits go as one JSON array text rather than a text[]: an array literal would escape
  // every quote of every JSON document, on both sides of the wire.
  const written = await db<{ event_id: string }[]>`
    insert into processed_events (event_id, user_id, processed_at, audit)
    select r.key, r.user_id, ${recordedAt}::timestamptz, a.audit
    from unnest(${keys}::text[], ${users}::text[]) with ordinality as r(key, user_id, n)
    join jsonb_array_elements(${`[${audits.join(',')}]`}::text::jsonb) with ordinality as a(audit, n) using (n)
    order by n
    ${options.claimed ? db`on conflict (event_id) do update set audit = excluded.audit` : db`on conflict (event_id) do nothing`}
    returning event_id`;
  return written.filter((row) => eventKeys.has(row.event_id)).length;
}

/**
 * The player's entries, newest first. With `goal`, only those that may concern it: entries that
 * name it by id, and events of the kind and stat code that count it recorded with `cfg` (which name
 * goals by position, or leave them implied); the caller keeps those that do. `catalogOf` gives the
 * configuration of a `cfg`.
 */
export async function readAuditEntries(
  db: Db,
  userId: string,
  options: {
    readonly goal?: {
      readonly goalId: string;
      /** The events that count the goal under the configuration in force; none for a goal it lacks. */
      readonly countedBy?: { readonly kind: 'login' | 'statistic'; readonly statCode: string } | undefined;
    };
    readonly limit: number;
    readonly catalogOf?: ((configId: number) => Promise<Catalog | undefined>) | undefined;
  },
): Promise<AuditEntry[]> {
  const { goal } = options;
  const listing = goal === undefined ? null : JSON.stringify([[goal.goalId]]);
  const counted = goal?.countedBy;
  const implied =
    counted === undefined
      ? null
      : JSON.stringify(counted.kind === 'login' ? { k: 'l' } : { k: 's', c: counted.statCode });
  const rows = await db<{ event_id: string; processed_at: Date; audit: StoredAudit }[]>`
    select event_id, processed_at, audit from processed_events
    where user_id = ${userId} and audit is not null
      ${
        goal === undefined
          ? db``
          : implied === null
            ? db`and audit -> 'g' @> ${listing}::text::jsonb`
            : db`and (audit -> 'g' @> ${listing}::text::jsonb
              or (audit ? 'cfg' and audit @> ${implied}::text::jsonb and not audit ? 'r'))`
      }
    order by processed_at desc, seq desc nulls last
    limit ${options.limit}`;
  const catalogs = new Map<number, Catalog | undefined>();
  const entries: AuditEntry[] = [];
  for (const row of rows) {
    const { cfg } = row.audit;
    if (cfg !== undefined && !catalogs.has(cfg)) catalogs.set(cfg, await options.catalogOf?.(cfg));
    entries.push(
      decode(
        row.event_id,
        userId,
        row.processed_at,
        row.audit,
        cfg === undefined ? undefined : catalogs.get(cfg),
      ),
    );
  }
  return entries;
}
