/**
 * What happened to one operation over some span (a second in a generator, a whole phase in the
 * main process): counts, answers by status, latencies, and how late the generator sent. Tallies
 * from several generators or seconds merge exactly.
 */
import { Histogram, type HistogramData } from './histogram.ts';

/** A tally as sent between processes. */
export interface TallyData {
  readonly done: number;
  readonly ok: number;
  readonly dropped: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly latency: HistogramData;
  /** Latency of the successful answers only: refusals answered at once would flatter `latency`. */
  readonly okLatency: HistogramData;
  /** Largest delay between an arrival's schedule and its send: the generator falling behind. */
  readonly lagMaxMs: number;
}

export class OperationTally {
  done = 0;
  ok = 0;
  dropped = 0;
  readonly statuses: Record<string, number> = {};
  readonly latency = new Histogram();
  readonly okLatency = new Histogram();
  lagMaxMs = 0;

  record(ok: boolean, status: string, latencyMs: number, lagMs: number): void {
    this.done++;
    if (ok) {
      this.ok++;
      this.okLatency.record(latencyMs);
    }
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    this.latency.record(latencyMs);
    if (lagMs > this.lagMaxMs) this.lagMaxMs = lagMs;
  }

  merge(other: TallyData): this {
    this.done += other.done;
    this.ok += other.ok;
    this.dropped += other.dropped;
    for (const [status, n] of Object.entries(other.statuses))
      this.statuses[status] = (this.statuses[status] ?? 0) + n;
    this.latency.merge(other.latency);
    this.okLatency.merge(other.okLatency);
    this.lagMaxMs = Math.max(this.lagMaxMs, other.lagMaxMs);
    return this;
  }

  toJSON(): TallyData {
    return { ...this, latency: this.latency.toJSON(), okLatency: this.okLatency.toJSON() };
  }
}

/** The tally of `key` in `tallies`, created on first use. */
export function tallyOf(tallies: Map<string, OperationTally>, key: string): OperationTally {
  let tally = tallies.get(key);
  if (!tally) {
    tally = new OperationTally();
    tallies.set(key, tally);
  }
  return tally;
}
