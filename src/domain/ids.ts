/**
 * Limits on the identifiers players and the platform send. Ids end up in primary keys (a btree
 * entry holds at most ~2.7 kB) and in logs; PostgreSQL text cannot hold U+0000 at all. An id past
 * these limits is refused where it enters, with a message saying so, instead of failing the
 * database statement that carries it (and everything batched with it).
 */

/** AGS user ids are 32 characters; anything past this is garbage or an attempt to bloat rows and logs. */
export const MAX_USER_ID_LENGTH = 100;
/** Platform event ids are UUIDs; generous room for other senders. */
export const MAX_EVENT_ID_LENGTH = 256;
export const MAX_STAT_CODE_LENGTH = 256;

/** C0 and C1 control characters, DEL included: never part of a real id, and U+0000 breaks PostgreSQL text. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** Why `text` is not acceptable as an id of at most `maxLength` characters; undefined when it is. */
export function idProblem(text: string, maxLength: number): string | undefined {
  if (text.length > maxLength) return `is ${text.length} characters (max ${maxLength})`;
  if (hasControlCharacter(text)) return 'contains control characters';
  return undefined;
}
