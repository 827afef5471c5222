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
/*
 * Patched (patches/postgres@3.4.9.patch, applied by `bun install`): a transaction's BEGIN sent on a
 * busy connection where it filled the pipeline (or the socket's buffer) did not reserve the
 * connection for the transaction (porsager/postgres#823, #1189, unmerged fixes in #1207, #1218).
 * The transaction failed with UNSAFE_TRANSACTION, and the connection went back to the pool still
 * inside it, so other callers' statements ran in that transaction; a socket drain could also hand a
 * reserved connection back to the pool between a transaction's statements. Seen as a claim
 * answered 500 under 5x load; reproduced in tests/db/driver-transactions.test.ts.
 */

export function isClosedSocketWrite(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const stack = error.stack ?? '';
  return /\bnextWrite\b/.test(stack) && /postgres[\\/](?:cjs[\\/])?src[\\/]connection\.js/.test(stack);
}
