/**
 * The notice a writer sends when players' goals changed without an outbox message (progress that
 * moved but did not complete, a goal that follows a stat moving with it): which goals of which
 * players, and the instant the writer stamped on the change, so a live stream can read exactly
 * those goals instead of looking through every goal of the player.
 * PostgreSQL limits a notification's payload to 8000 bytes, so a large flush sends several.
 */

/** One player's goals a notice names. */
export interface NoticedGoals {
  readonly userId: string;
  readonly goalIds: readonly string[];
}

export interface ProgressNotice {
  /** The `updated_at` the writer gave every change it made. */
  readonly at: Date;
  /** A player's goals may be split over several entries, and over several notices. */
  readonly changes: readonly NoticedGoals[];
}

/** Below PostgreSQL's 8000-byte limit, with room for the envelope. */
export const MAX_NOTICE_BYTES = 7_900;

/**
 * The notices' payloads, each a JSON `{"at":<epoch ms>,"goals":[[userId, goalId, …], …]}` of at
 * most `maxBytes` bytes. A player whose goals do not fit in what is left of a payload continues in
 * the next one. An id that alone would not fit is left out (ids are at most a few hundred bytes,
 * so it never is).
 */
export function progressNoticePayloads(
  at: Date,
  changes: Iterable<NoticedGoals>,
  maxBytes = MAX_NOTICE_BYTES,
): string[] {
  const head = `{"at":${at.getTime()},"goals":[`;
  const tail = ']}';
  const empty = Buffer.byteLength(head) + tail.length;
  const payloads: string[] = [];
  let entries: string[] = [];
  let bytes = empty;
  const finish = () => {
    if (entries.length > 0) payloads.push(`${head}${entries.join(',')}${tail}`);
    entries = [];
    bytes = empty;
  };
  for (const { userId, goalIds } of changes) {
    const user = JSON.stringify(userId);
    const userBytes = Buffer.byteLength(user);
    let entry: string[] = [];
    // `[user]` plus a comma before the entry when it is not the payload's first.
    let entryBytes = 0;
    const close = () => {
      if (entry.length > 0) {
        entries.push(`[${user},${entry.join(',')}]`);
        bytes += entryBytes;
      }
      entry = [];
      entryBytes = 0;
    };
    for (const goalId of goalIds) {
      const goal = JSON.stringify(goalId);
      const goalBytes = Buffer.byteLength(goal) + 1;
      if (empty + userBytes + 2 + goalBytes > maxBytes) continue;
      const opening = entry.length === 0 ? userBytes + 2 + (entries.length > 0 ? 1 : 0) : 0;
      if (bytes + entryBytes + opening + goalBytes > maxBytes) {
        close();
        finish();
      }
      if (entry.length === 0) entryBytes = userBytes + 2 + (entries.length > 0 ? 1 : 0);
      entry.push(goal);
      entryBytes += goalBytes;
    }
    close();
  }
  finish();
  return payloads;
}

/** The notice in a payload; undefined for anything else (a notification sent by hand, say). */
export function parseProgressNotice(payload: string): ProgressNotice | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { at, goals } = value as { at?: unknown; goals?: unknown };
  if (typeof at !== 'number' || !Number.isFinite(at) || !Array.isArray(goals)) return undefined;
  const changes: NoticedGoals[] = [];
  for (const entry of goals) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
    const goalIds = entry.slice(1).filter((goalId): goalId is string => typeof goalId === 'string');
    if (goalIds.length > 0) changes.push({ userId: entry[0], goalIds });
  }
  return { at: new Date(at), changes };
}
