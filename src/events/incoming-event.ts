/**
 * The validated platform event the pipeline consumes, parsed from a decoded `UserLoggedIn` or
 * `StatItemUpdated` (snake_case fields, as proto-loader produces with `keepCase`).
 */
import { AppError } from '../domain/errors.ts';

export type IncomingEvent =
  | { kind: 'login'; id: string; userId: string; namespace: string }
  | { kind: 'statistic'; id: string; userId: string; namespace: string; statCode: string; value: number };

type Fields = Readonly<Record<string, unknown>>;

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null;
const text = (fields: Fields, key: string): string => {
  const value = fields[key];
  return typeof value === 'string' ? value : '';
};

function eventFields(message: unknown): Fields {
  if (!isFields(message)) throw new AppError('INVALID_REQUEST', 'message cannot be nil');
  return message;
}

function requireUserId(fields: Fields): string {
  const userId = text(fields, 'user_id');
  if (userId === '') throw new AppError('INVALID_REQUEST', 'userId cannot be empty');
  return userId;
}

/**
 * `id` is '' when the sender set none; such events cannot be de-duplicated and are applied
 * at least once.
 */
export function parseLoginEvent(message: unknown): IncomingEvent {
  const fields = eventFields(message);
  const userId = requireUserId(fields);
  return { kind: 'login', id: text(fields, 'id'), userId, namespace: text(fields, 'namespace') };
}

/**
 * `value` is the statistic's `latest_value` as sent: it may be fractional, negative or NaN, and
 * the progress rules decide what such values mean.
 */
export function parseStatEvent(message: unknown): IncomingEvent {
  const fields = eventFields(message);
  const userId = requireUserId(fields);
  const payload = fields['payload'];
  if (!isFields(payload)) throw new AppError('INVALID_REQUEST', 'payload cannot be nil');
  const statCode = text(payload, 'stat_code');
  if (statCode === '') throw new AppError('INVALID_REQUEST', 'statCode cannot be empty');
  const latest = payload['latest_value'];
  return {
    kind: 'statistic',
    id: text(fields, 'id'),
    userId,
    namespace: text(fields, 'namespace'),
    statCode,
    value: typeof latest === 'number' ? latest : Number.NaN,
  };
}
