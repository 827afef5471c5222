/**
 * Sends `count` events with bounded concurrency and an optional rate, and tallies the outcome.
 * Failures are counted by gRPC status name; nothing is retried (the summary should show what the
 * service answered, not hide it).
 */
import { status as grpcStatus } from '@grpc/grpc-js';

export interface SendPlan {
  count: number;
  concurrency: number;
  /** Events per second over the whole run; unset = as fast as the concurrency allows. */
  rate?: number;
}

export interface SendSummary {
  sent: number;
  ok: number;
  failedByStatus: Map<string, number>;
  /** Failures that never reached the service (no connection could be made). */
  unreachable: number;
  /** The first error message seen for each status, to explain the failures. */
  firstErrorByStatus: Map<string, string>;
  elapsedMs: number;
}

function statusNameOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number')
    return grpcStatus[error.code] ?? `STATUS_${error.code}`;
  return 'CLIENT_ERROR';
}

function messageOf(error: unknown): string {
  const text =
    typeof error === 'object' && error !== null && 'details' in error && typeof error.details === 'string'
      ? error.details
      : error instanceof Error
        ? error.message
        : String(error);
  // grpc-js appends a resolver note that is empty for plain addresses.
  return text.replace(/\s*Resolution note:\s*$/, '');
}

/**
 * Whether a call failed because no connection could be made (nothing listening, wrong address,
 * TLS mismatch): grpc-js reports those as UNAVAILABLE "No connection established", unlike an
 * UNAVAILABLE answered by the service itself.
 */
function isUnreachable(error: unknown): boolean {
  return (
    statusNameOf(error) === 'UNAVAILABLE' &&
    /No connection established|ECONNREFUSED|Failed to connect/i.test(messageOf(error))
  );
}

/** `send(n)` sends the n-th event (0-based). */
export async function sendEvents(plan: SendPlan, send: (n: number) => Promise<void>): Promise<SendSummary> {
  const summary: SendSummary = {
    sent: 0,
    ok: 0,
    failedByStatus: new Map(),
    unreachable: 0,
    firstErrorByStatus: new Map(),
    elapsedMs: 0,
  };
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < plan.count) {
      const n = next++;
      if (plan.rate !== undefined) {
        // Schedule against the start time, not the previous send, so slow calls do not lower the rate.
        const wait = started + (n * 1000) / plan.rate - performance.now();
        if (wait > 0) await Bun.sleep(wait);
      }
      summary.sent++;
      try {
        await send(n);
        summary.ok++;
      } catch (error) {
        const name = statusNameOf(error);
        summary.failedByStatus.set(name, (summary.failedByStatus.get(name) ?? 0) + 1);
        if (isUnreachable(error)) summary.unreachable++;
        if (!summary.firstErrorByStatus.has(name)) summary.firstErrorByStatus.set(name, messageOf(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, plan.count)) }, lane));
  summary.elapsedMs = performance.now() - started;
  return summary;
}

/** One line, e.g. `sent=3 ok=2 failed=1 (UNAVAILABLE=1) elapsed=0.012s rate=250/s`. */
export function formatSummary(summary: SendSummary): string {
  const failed = summary.sent - summary.ok;
  const byStatus = [...summary.failedByStatus].map(([name, count]) => `${name}=${count}`).join(' ');
  const seconds = summary.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(summary.sent / seconds) : summary.sent;
  return `sent=${summary.sent} ok=${summary.ok} failed=${failed}${byStatus ? ` (${byStatus})` : ''} elapsed=${seconds.toFixed(3)}s rate=${rate}/s`;
}
