/**
 * A notification webhook receiver for `--spawn --webhook`: `slow` answers every notification with
 * 200 after 2 s, `down` is a port nothing listens on (connections are refused). The spawned service
 * is pointed at it with NOTIFY_WEBHOOK_URL, so a run measures what delivery costs the event path and
 * the API when the receiver misbehaves.
 */
import { freePort } from '../../src/db/embedded-postgres.ts';

export const WEBHOOK_MODES = ['slow', 'down'] as const;
export type WebhookMode = (typeof WEBHOOK_MODES)[number];

const SLOW_ANSWER_MS = 2_000;

export interface LoadtestReceiver {
  readonly url: string;
  readonly secret: string;
  readonly description: string;
  /** One line: what the receiver got and what the outbox holds. */
  summary(databaseUrl: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startLoadtestReceiver(mode: WebhookMode): Promise<LoadtestReceiver> {
  let received = 0;
  let answered = 0;
  const server =
    mode === 'slow'
      ? Bun.serve({
          hostname: '127.0.0.1',
          port: 0,
          async fetch() {
            received++;
            await Bun.sleep(SLOW_ANSWER_MS);
            answered++;
            return new Response('ok');
          },
        })
      : undefined;
  const port = server?.port ?? (await freePort());
  return {
    url: `http://127.0.0.1:${port}/notify`,
    secret: 'loadtest-webhook-secret',
    description:
      mode === 'slow'
        ? `a webhook receiver answering after ${SLOW_ANSWER_MS} ms`
        : 'a webhook receiver that is down',
    async summary(databaseUrl) {
      const { createPool } = await import('../../src/db/client.ts');
      const db = createPool({ url: databaseUrl, maxConnections: 1 });
      try {
        const [counts] = await db<{ delivered: number; pending: number; parked: number }[]>`
          select count(*) filter (where delivered_at is not null)::int as delivered,
            count(*) filter (where delivered_at is null and parked_at is null)::int as pending,
            count(*) filter (where parked_at is not null)::int as parked
          from outbox_messages`;
        return `webhook (${mode}): ${received} requests received, ${answered} answered; outbox: ${counts?.delivered} delivered, ${counts?.pending} pending, ${counts?.parked} parked`;
      } finally {
        await db.end();
      }
    },
    stop: async () => {
      await server?.stop(true);
    },
  };
}
