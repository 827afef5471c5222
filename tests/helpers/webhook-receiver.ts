/**
 * A notification webhook receiver on loopback, as a game backend would run one: it verifies each
 * request's signature and records what it received. It can be taken down (the port refuses
 * connections) and brought back on the same port, made to answer with an error, or to hold
 * requests without answering.
 */

import type { NotificationBody } from '../../src/domain/outbox-delivery.ts';
import {
  IDEMPOTENCY_KEY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../src/webhooks/signature.ts';

export const RECEIVER_SECRET = 'notify-webhook-test-secret';

export interface ReceivedNotification {
  readonly idempotencyKey: string;
  readonly body: NotificationBody;
  readonly rawBody: string;
  readonly signed: boolean;
  /** The status the receiver answered (0: it never answered). */
  status: number;
  readonly startedAt: number;
  endedAt: number;
}

/** How the receiver answers one request: a status, optionally after a delay, or 'hold' (never). */
export type ReceiverAnswer = { readonly status: number; readonly delayMs?: number } | 'hold';

export interface WebhookReceiver extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly received: readonly ReceivedNotification[];
  /** Requests answered with a 2xx, in the order they were answered. */
  accepted(): ReceivedNotification[];
  /** Accepted requests per idempotency key. */
  acceptedCounts(): Map<string, number>;
  /** The ids of one player's accepted messages, in the order they were answered. */
  acceptedIdsOf(userId: string): string[];
  answerWith(answer: (body: NotificationBody) => ReceiverAnswer): void;
  /** Closes the port: connections are refused until `up()`. */
  down(): Promise<void>;
  up(): void;
  stop(): Promise<void>;
}

export function startWebhookReceiver(options: { readonly port?: number } = {}): WebhookReceiver {
  const received: ReceivedNotification[] = [];
  let answer: (body: NotificationBody) => ReceiverAnswer = () => ({ status: 200 });
  let server: ReturnType<typeof Bun.serve> | undefined;
  const serve = (port: number) =>
    Bun.serve({
      hostname: '127.0.0.1',
      port,
      async fetch(request) {
        const rawBody = await request.text();
        const body = JSON.parse(rawBody) as NotificationBody;
        const record: ReceivedNotification = {
          idempotencyKey: request.headers.get(IDEMPOTENCY_KEY_HEADER) ?? '',
          body,
          rawBody,
          signed: verifyWebhookSignature(
            RECEIVER_SECRET,
            request.headers.get(TIMESTAMP_HEADER) ?? '',
            rawBody,
            request.headers.get(SIGNATURE_HEADER) ?? '',
          ),
          status: 0,
          startedAt: performance.now(),
          endedAt: 0,
        };
        received.push(record);
        const reply = answer(body);
        if (reply === 'hold') return new Promise<Response>(() => {});
        if (reply.delayMs) await Bun.sleep(reply.delayMs);
        record.status = reply.status;
        record.endedAt = performance.now();
        return new Response(reply.status < 300 ? 'ok' : 'not now', { status: reply.status });
      },
    });
  server = serve(options.port ?? 0);
  const port = server.port ?? 0;
  const accepted = () =>
    received.filter((r) => r.status >= 200 && r.status < 300).sort((a, b) => a.endedAt - b.endedAt);
  const stop = async () => {
    await server?.stop(true);
    server = undefined;
  };
  return {
    url: `http://127.0.0.1:${port}/notify`,
    port,
    received,
    accepted,
    acceptedCounts: () => {
      const counts = new Map<string, number>();
      for (const r of accepted()) counts.set(r.idempotencyKey, (counts.get(r.idempotencyKey) ?? 0) + 1);
      return counts;
    },
    acceptedIdsOf: (userId) =>
      accepted()
        .filter((r) => r.body.userId === userId)
        .map((r) => r.body.id),
    answerWith: (next) => {
      answer = next;
    },
    down: stop,
    up: () => {
      server ??= serve(port);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
