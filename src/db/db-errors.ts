/**
 * What a database failure means for the caller: "unavailable right now, retry the same work"
 * (the connection, the server's state, a timeout), or "this statement can never succeed" (bad data,
 * a value past a limit), which retrying the same work would only repeat.
 */
import type { ErrorCode } from '../domain/errors.ts';

const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  // SQLSTATE: admin shutdown, crash shutdown, cannot connect now, too many connections.
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/**
 * SQLSTATE of failures that the same statement may not hit again: serialization failure, deadlock,
 * lock wait timeout (`lock_timeout`), statement cancelled (`statement_timeout`), out of memory or
 * disk (class 53).
 */
const RETRYABLE_CODES = new Set(['40001', '40P01', '55P03', '57014']);

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;

/** The database cannot be reached or cannot serve right now; clients should retry later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (code === undefined) return false;
  // SQLSTATE class 08: connection exceptions; class 53: insufficient resources.
  return CONNECTION_CODES.has(code) || RETRYABLE_CODES.has(code) || /^(08|53)/.test(code);
}

/**
 * The connection itself was lost or refused, or the server is shutting down or starting (SQLSTATE
 * class 08, 57P01–57P03): other connections opened before are likely broken too.
 */
export function isConnectionLost(error: unknown): boolean {
  const code = codeOf(error);
  if (code === undefined) return false;
  return CONNECTION_CODES.has(code) || /^08/.test(code) || /^57P0[123]$/.test(code);
}

/**
 * A lock wait ran past `lock_timeout` (SQLSTATE 55P03): another session holds a row this work
 * needs, which says nothing about the rest of the work.
 */
export const isLockNotAvailable = (error: unknown): boolean => codeOf(error) === '55P03';

/** A unique index (`constraint`, when given) refused a row: SQLSTATE 23505. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (codeOf(error) !== '23505') return false;
  return (
    constraint === undefined ||
    (typeof error === 'object' &&
      error !== null &&
      'constraint_name' in error &&
      error.constraint_name === constraint)
  );
}

/**
 * For work that failed for a reason other than availability: the error code to answer it with.
 * Data exceptions (class 22, e.g. a character PostgreSQL text cannot hold) and program limits
 * (class 54, e.g. a key too long for its index) mean the input is unacceptable; anything else is
 * our fault.
 */
export function rejectionCode(error: unknown): ErrorCode {
  const code = codeOf(error) ?? '';
  return /^(22|54)/.test(code) ? 'INVALID_REQUEST' : 'INTERNAL';
}
