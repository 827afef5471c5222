/**
 * The notice a writer sends when players' goals changed without an outbox message (progress that
 * moved but did not complete, reset, claim, assign or unassign): which players, and the instant the
 * writer stamped on the rows it changed (`updated_at`), so a reader can find exactly those rows.
 * PostgreSQL limits a notification's payload to 8000 bytes, so a large flush sends several.
 */

export interface ProgressNotice {
  /** The `updated_at` the writer gave every row it changed. */
  readonly at: Date;
  readonly userIds: readonly string[];
}

/** Below PostgreSQL's 8000-byte limit, with room for the envelope. */
export const MAX_NOTICE_BYTES = 7_900;

/**
 * The notices' payloads, each a JSON `{"at":<epoch ms>,"users":[…]}` of at most `maxBytes` bytes.
 * A user id that alone would not fit is left out (ids are at most 100 characters, so it never is).
 */
export function progressNoticePayloads(
  at: Date,
  userIds: Iterable<string>,
  maxBytes = MAX_NOTICE_BYTES,
): string[] {
  const head = `{"at":${at.getTime()},"users":[`;
  const overhead = Buffer.byteLength(head) + 2;
  const payloads: string[] = [];
  let users: string[] = [];
  let bytes = overhead;
  for (const userId of userIds) {
    const quoted = JSON.stringify(userId);
    const size = Buffer.byteLength(quoted);
    if (overhead + size > maxBytes) continue;
    if (users.length > 0 && bytes + 1 + size > maxBytes) {
      payloads.push(`${head}${users.join(',')}]}`);
      users = [];
      bytes = overhead;
    }
    bytes += (users.length > 0 ? 1 : 0) + size;
    users.push(quoted);
  }
  if (users.length > 0) payloads.push(`${head}${users.join(',')}]}`);
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
  const { at, users } = value as { at?: unknown; users?: unknown };
  if (typeof at !== 'number' || !Number.isFinite(at) || !Array.isArray(users)) return undefined;
  const userIds = users.filter((user): user is string => typeof user === 'string');
  return { at: new Date(at), userIds };
}
