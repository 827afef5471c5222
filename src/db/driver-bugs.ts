/**
 * Known postgres.js 3.4.x defects that a long-running service (event shards, API pool) must survive.
 *
 * When a connection closes while a transaction is open (PostgreSQL stopped or restarted, a backend
 * terminated, a network reset), the driver writes the transaction's ROLLBACK (or its next
 * statement) from a `setImmediate` to the socket it has already set to null. The TypeError is
 * thrown from that immediate, so no caller can catch it, and it kills the thread
 * (porsager/postgres#1066, #1154, #1208). The write is moot: the server already rolled the
 * transaction back, and the transaction's promise was rejected with CONNECTION_CLOSED. The
 * connection object is left with a half-written buffer and never works again, so the pool that
 * owns it must be replaced.
 */
export function isClosedSocketWrite(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const stack = error.stack ?? '';
  return /\bnextWrite\b/.test(stack) && /postgres[\\/](?:cjs[\\/])?src[\\/]connection\.js/.test(stack);
}
