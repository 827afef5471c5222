/**
 * The `OnMessage` handler both event services share: validate, skip what cannot matter, hand the
 * rest to the pipeline and answer only once it has committed. It runs for every platform event,
 * so it allocates nothing beyond the event and the promise callbacks.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { type ErrorCode, GRPC_STATUS, GRPC_STATUS_OF } from '../domain/errors.ts';
import type { EventSource } from '../domain/types.ts';
import type { InFlightLimit } from './in-flight-limit.ts';
import type { IncomingEvent } from './incoming-event.ts';
/**
 * Exactly one per call: `received` = handled and committed, `rejected` = invalid event,
 * `skipped` = acknowledged without handling (code `NAMESPACE` or `IRRELEVANT`),
 * `failed` = the pipeline refused it (code = its error code).
 */
export type EventOutcome = 'received' | 'rejected' | 'skipped' | 'failed';

export interface OnMessageDeps {
  readonly namespace: string;
  /** When set, calls need metadata `authorization: Bearer <authToken>`. */
  readonly authToken?: string | undefined;
  handle(event: IncomingEvent): Promise<void>;
  isRelevant?(event: IncomingEvent): boolean;
  /**
   * Hand events of another namespace, and events no goal counts, to `handle` too instead of
   * acknowledging them at once: the audit trail records what every event did.
   */
  readonly recordSkipped?: boolean;
  onOutcome?(kind: EventSource, outcome: EventOutcome, code?: string): void;
  readonly logger?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

const EMPTY = {};
const INTERNAL_DETAILS = 'internal error while processing the event; it was not applied, retry it';
/** Distinct foreign namespaces warned about per server; a bound so a noisy sender cannot grow memory. */
const MAX_WARNED_NAMESPACES = 16;

/** An error that names one of our codes: an `AppError`, or its `{ code, message }` copy sent across `postMessage`. */
function errorCodeOf(error: unknown): ErrorCode | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'string' && Object.hasOwn(GRPC_STATUS_OF, code) ? (code as ErrorCode) : undefined;
}

function messageOf(error: unknown, fallback: string): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string')
    return error.message;
  return fallback;
}

/**
 * Whether the call's metadata carries the expected bearer token. Compared as digests in constant
 * time, so neither the token's content nor its length leaks through the answer's timing.
 */
function createTokenCheck(token: string): (metadata: grpc.Metadata) => boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(`Bearer ${token}`);
  return (metadata) => {
    const [value] = metadata.get('authorization');
    return typeof value === 'string' && timingSafeEqual(digest(value), expected);
  };
}

const UNAUTHENTICATED_DETAILS = 'OnMessage needs metadata authorization: Bearer <GRPC_AUTH_TOKEN>';
const OVERLOADED_DETAILS = 'too many events are waiting for their commit (EVENT_MAX_IN_FLIGHT): retry later';

export function createOnMessage(
  kind: EventSource,
  parse: (message: unknown) => IncomingEvent,
  deps: OnMessageDeps,
  /** Calls handed to `handle` and not yet answered, shared by both services; absent: no limit. */
  inFlight?: InFlightLimit,
): grpc.handleUnaryCall<unknown, object> {
  const { namespace, logger } = deps;
  // Called through `deps` so implementations may be methods that use `this`.
  const onOutcome = (outcome: EventOutcome, code?: string) => deps.onOutcome?.(kind, outcome, code);
  const warnedNamespaces = new Set<string>();
  const authorized = deps.authToken ? createTokenCheck(deps.authToken) : () => true;

  const toServiceError = (error: unknown, event: IncomingEvent | undefined): Partial<grpc.StatusObject> => {
    const code = errorCodeOf(error);
    if (code !== undefined) return { code: GRPC_STATUS_OF[code], details: messageOf(error, code) };
    // Unknown failures are logged here, once, and never leak their text to the caller.
    logger?.error({ err: error, kind, eventId: event?.id, userId: event?.userId }, 'event processing failed');
    return { code: GRPC_STATUS.INTERNAL, details: INTERNAL_DETAILS };
  };

  const warnForeign = (event: IncomingEvent) => {
    if (logger && warnedNamespaces.size < MAX_WARNED_NAMESPACES && !warnedNamespaces.has(event.namespace)) {
      warnedNamespaces.add(event.namespace);
      logger.warn(
        { kind, eventNamespace: event.namespace, namespace },
        'skipping events of another namespace (AB_NAMESPACE differs); they are acknowledged and not applied',
      );
    }
  };

  return (call, callback) => {
    if (!authorized(call.metadata)) {
      onOutcome('rejected', 'UNAUTHENTICATED');
      callback({ code: GRPC_STATUS.UNAUTHENTICATED, details: UNAUTHENTICATED_DETAILS });
      return;
    }
    let event: IncomingEvent;
    try {
      event = parse(call.request);
    } catch (error) {
      const status = toServiceError(error, undefined);
      onOutcome('rejected', errorCodeOf(error) ?? 'INTERNAL');
      callback(status);
      return;
    }
    if (event.namespace !== namespace) {
      warnForeign(event);
      if (!deps.recordSkipped) {
        onOutcome('skipped', 'NAMESPACE');
        callback(null, EMPTY);
        return;
      }
    } else if (!deps.recordSkipped && deps.isRelevant && !deps.isRelevant(event)) {
      onOutcome('skipped', 'IRRELEVANT');
      callback(null, EMPTY);
      return;
    }
    // Only calls that will wait take a place: skipped events above are answered even when overloaded.
    if (inFlight && !inFlight.tryEnter()) {
      onOutcome('failed', 'RESOURCE_EXHAUSTED');
      callback({ code: GRPC_STATUS.RESOURCE_EXHAUSTED, details: OVERLOADED_DETAILS });
      return;
    }
    let committed: Promise<void>;
    try {
      committed = deps.handle(event);
    } catch (error) {
      committed = Promise.reject(error);
    }
    committed.then(
      () => {
        inFlight?.leave();
        onOutcome('received');
        callback(null, EMPTY);
      },
      (error: unknown) => {
        inFlight?.leave();
        const status = toServiceError(error, event);
        onOutcome('failed', errorCodeOf(error) ?? 'INTERNAL');
        callback(status);
      },
    );
  };
}
