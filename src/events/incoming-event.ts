/**
 * The validated platform event the pipeline consumes, parsed from a decoded `UserLoggedIn` or
 * `StatItemUpdated` (snake_case fields, as proto-loader produces with `keepCase`). Everything that
 * would fail the database statement later (control characters, ids too long for a key) is refused
 * here with INVALID_ARGUMENT, so one bad event cannot fail the batch it would share with others.
 */
import { AppError } from '../domain/errors.ts';
import { parseEventTimestamp } from '../domain/event-time.ts';
import { idProblem, MAX_EVENT_ID_LENGTH, MAX_STAT_CODE_LENGTH, MAX_USER_ID_LENGTH } from '../domain/ids.ts';

interface EventEnvelope {
  readonly id: string;
  readonly userId: string;
  readonly namespace: string;
  /** The platform's `timestamp`, epoch milliseconds; undefined when absent or unparseable. */
  readonly timestampMs: number | undefined;
}

export type IncomingEvent =
  | (EventEnvelope & { readonly kind: 'login' })
  | (EventEnvelope & {
      readonly kind: 'statistic';
      readonly statCode: string;
      readonly value: number;
      /** The update's own increment (`payload.inc`); 0 when absent. */
      readonly inc: number;
    });

type Fields = Readonly<Record<string, unknown>>;

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null;
const text = (fields: Fields, key: string): string => {
  const value = fields[key];
  return typeof value === 'string' ? value : '';
};

/** An id of the event, checked; `field` is the name the sender knows it by. */
function checkedId(value: string, field: string, maxLength: number): string {
  const problem = idProblem(value, maxLength);
  if (problem) throw new AppError('INVALID_REQUEST', `${field} ${problem}`);
  return value;
}

/**
 * `id` is '' when the sender set none; such events cannot be de-duplicated and are applied
 * at least once.
 */
function envelope(message: unknown): EventEnvelope {
  if (!isFields(message)) throw new AppError('INVALID_REQUEST', 'message cannot be nil');
  const userId = checkedId(text(message, 'user_id'), 'userId', MAX_USER_ID_LENGTH);
  if (userId === '') throw new AppError('INVALID_REQUEST', 'userId cannot be empty');
  return {
    id: checkedId(text(message, 'id'), 'id', MAX_EVENT_ID_LENGTH),
    userId,
    namespace: text(message, 'namespace'),
    timestampMs: parseEventTimestamp(text(message, 'timestamp')),
  };
}

export function parseLoginEvent(message: unknown): IncomingEvent {
  return { kind: 'login', ...envelope(message) };
}

/**
 * `value` is the statistic's `latest_value` as sent: it may be fractional, negative or NaN, and
 * the progress rules decide what such values mean.
 */
export function parseStatEvent(message: unknown): IncomingEvent {
  const fields = envelope(message);
  const payload = (message as Fields)['payload'];
  if (!isFields(payload)) throw new AppError('INVALID_REQUEST', 'payload cannot be nil');
  const statCode = checkedId(text(payload, 'stat_code'), 'statCode', MAX_STAT_CODE_LENGTH);
  if (statCode === '') throw new AppError('INVALID_REQUEST', 'statCode cannot be empty');
  const latest = payload['latest_value'];
  const inc = payload['inc'];
  return {
    kind: 'statistic',
    ...fields,
    statCode,
    value: typeof latest === 'number' ? latest : Number.NaN,
    inc: typeof inc === 'number' && Number.isFinite(inc) ? inc : 0,
  };
}
