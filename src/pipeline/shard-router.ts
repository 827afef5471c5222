/**
 * Ingress side of the hand-off: routes each call's event to the shard owning its user and settles
 * the call when that shard reports the event committed (or failed). Events for each shard are
 * collected during one event-loop turn and posted as ONE message; per-message postMessage costs
 * more than the gRPC call itself at these rates.
 */
import { AppError } from '../domain/errors.ts';
import { eventInstant } from '../domain/event-time.ts';
import { type PipelineEvent, shardOf } from './pipeline-event.ts';
import type { AcksMessage, EventsMessage } from './protocol.ts';

interface RoutableEnvelope {
  readonly id: string;
  readonly userId: string;
  /** The platform's own event time (epoch ms), when it sent one. */
  readonly timestampMs: number | undefined;
  /** The event's namespace when it is not the service's (routed only to be audited). */
  readonly foreignNamespace?: string | undefined;
}

export type RoutableEvent =
  | (RoutableEnvelope & { readonly kind: 'login' })
  | (RoutableEnvelope & {
      readonly kind: 'statistic';
      readonly statCode: string;
      readonly value: number;
      readonly inc: number;
    });

export interface ShardRouter {
  route(event: RoutableEvent): Promise<void>;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: AppError) => void;
}

/** `now` is when an event counts as received (epoch ms); tests pass a shared movable clock. */
export function createShardRouter(ports: readonly MessagePort[], now: () => number = Date.now): ShardRouter {
  const waiters = new Map<number, Waiter>();
  const queues: PipelineEvent[][] = ports.map(() => []);
  let seq = 0;
  let scheduled = false;

  const flushQueues = () => {
    scheduled = false;
    for (let shard = 0; shard < ports.length; shard++) {
      const queue = queues[shard];
      if (!queue || queue.length === 0) continue;
      queues[shard] = [];
      const message: EventsMessage = { type: 'events', events: queue };
      ports[shard]?.postMessage(message);
    }
  };

  for (const port of ports) {
    port.onmessage = (event) => {
      const acks = event.data as AcksMessage;
      for (const id of acks.ok) {
        waiters.get(id)?.resolve();
        waiters.delete(id);
      }
      for (const failure of acks.failed) {
        waiters.get(failure.seq)?.reject(new AppError(failure.code, failure.message));
        waiters.delete(failure.seq);
      }
    };
  }

  return {
    route(event) {
      const id = ++seq;
      const receivedAt = now();
      const occurredAt = eventInstant(event.timestampMs, receivedAt);
      const plain: PipelineEvent =
        event.kind === 'login'
          ? { kind: 'login', id: event.id, userId: event.userId, seq: id, receivedAt, occurredAt }
          : {
              kind: 'statistic',
              id: event.id,
              userId: event.userId,
              statCode: event.statCode,
              value: event.value,
              inc: event.inc,
              seq: id,
              receivedAt,
              occurredAt,
            };
      const routed: PipelineEvent =
        event.foreignNamespace === undefined ? plain : { ...plain, foreignNamespace: event.foreignNamespace };
      const shard = shardOf(event.userId, ports.length);
      queues[shard]?.push(routed);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushQueues);
      }
      return new Promise<void>((resolve, reject) => waiters.set(id, { resolve, reject }));
    },
  };
}
