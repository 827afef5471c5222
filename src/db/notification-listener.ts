/**
 * One connection that LISTENs on some channels for the life of the process, outside every pool.
 *
 * postgres.js has `sql.listen`, but when its connection drops it listens again only once and
 * swallows a failure, so a database restart that outlasts that one attempt would leave the process
 * deaf for good. Here the connection is watched: whenever it closes, LISTEN is retried with a
 * capped backoff until it succeeds, and `onListening` tells the caller each time it does, because
 * notifications sent while no connection listened are lost and the caller must catch up.
 */
import postgres from 'postgres';

export interface NotificationListener {
  /** Resolves once the first LISTEN succeeded. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export interface NotificationListenerOptions {
  readonly url: string;
  readonly channels: readonly string[];
  readonly onNotification: (channel: string, payload: string) => void;
  /** After every successful LISTEN; `reconnected` is false the first time. */
  readonly onListening: (reconnected: boolean) => void;
  readonly onError: (error: unknown) => void;
  readonly maxRetryMs?: number;
}

export function startNotificationListener(options: NotificationListenerOptions): NotificationListener {
  const maxRetryMs = options.maxRetryMs ?? 5_000;
  let stopped = false;
  let listening = false;
  let listenedBefore = false;
  let failures = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  // `onnotify` is a connection option postgres.js supports but does not declare.
  const settings = {
    max: 1,
    // The connection is the subscription: never closed for being idle or old.
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: 5,
    onnotice: () => {},
    connection: { application_name: 'challenge-service-listener' },
    onnotify: (channel: string, payload: string) => options.onNotification(channel, payload),
    onclose: () => {
      if (!listening) return;
      listening = false;
      schedule();
    },
  };
  const sql = postgres(options.url, settings);
  const statement = options.channels.map((channel) => `listen "${channel.replaceAll('"', '""')}"`).join(';');

  const listen = async () => {
    retry = undefined;
    if (stopped) return;
    try {
      await sql.unsafe(statement);
      if (stopped) return;
      listening = true;
      failures = 0;
      const reconnected = listenedBefore;
      listenedBefore = true;
      options.onListening(reconnected);
      signalReady();
    } catch (error) {
      if (stopped) return;
      failures++;
      options.onError(error);
      schedule();
    }
  };
  const schedule = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => void listen(), Math.min(maxRetryMs, 100 * 2 ** Math.min(failures, 10)));
  };
  void listen();

  return {
    ready,
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await sql.end({ timeout: 1 }).catch(() => {});
    },
  };
}
