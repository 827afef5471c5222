/**
 * Runs one phase on the generator processes and merges what they report: per operation totals and
 * latency histograms, a per-second timeline for the chart, generator CPU, and the acknowledged
 * logins for the loss check. Prints a live progress line while it runs.
 */
import { fileURLToPath } from 'node:url';
import { type LatencySummary, summarizeHistogram } from './histogram.ts';
import type { OperationContext } from './operations.ts';
import type { FromGenerator, PhasePlan, ToGenerator } from './plan.ts';
import type { ResourceSampler } from './resources.ts';
import type { PhaseWrites } from './table-writes.ts';
import { type OperationTally, tallyOf } from './tally.ts';

export interface OperationResult {
  /** Arrivals per second asked for; undefined for closed-loop ('max') streams and waves. */
  readonly targetRate: number | undefined;
  readonly achievedRate: number;
  readonly done: number;
  readonly ok: number;
  readonly errors: number;
  readonly dropped: number;
  readonly successRate: number;
  readonly statuses: Record<string, number>;
  readonly latency: LatencySummary;
  /** Of the successful answers only. */
  readonly okLatency: LatencySummary;
}

export interface TimelinePoint {
  /** Seconds since the phase started. */
  readonly second: number;
  readonly ops: Record<
    string,
    { readonly rate: number; readonly p50: number; readonly p99: number; readonly errors: number }
  >;
  readonly generatorCpuPct: number;
}

export interface PhaseResult {
  readonly name: string;
  readonly measured: boolean;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly seconds: number;
  readonly ops: Record<string, OperationResult>;
  readonly timeline: readonly TimelinePoint[];
  readonly generators: number;
  /** Seconds in which some generator process used over 90 % of a core. */
  readonly generatorSaturatedSeconds: number;
  readonly generatorCpuMeanPct: number;
  readonly generatorLagMaxMs: number;
  readonly acknowledgedLogins: readonly (readonly [string, number])[][];
  readonly redelivered: number;
  readonly undeliverable: number;
  /** Row versions PostgreSQL wrote during the phase; measured phases with a readable database only. */
  readonly writes?: PhaseWrites;
}

export interface PhaseOptions {
  readonly phase: PhasePlan;
  readonly context: Omit<OperationContext, 'generatorIndex' | 'generatorCount'>;
  readonly generators: number;
  readonly sampler?: ResourceSampler;
  readonly label: string;
  /** Reports the pids of running generators to the resource sampler. */
  readonly onGenerators?: (pids: readonly number[]) => void;
}

const GENERATOR_FILE = fileURLToPath(new URL('./generator.ts', import.meta.url));
const SATURATED_CPU_MS = 900;

export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  const { phase } = options;
  const totals = new Map<string, OperationTally>();
  const perSecond = new Map<
    number,
    { ops: Map<string, OperationTally>; cpuMs: number; saturated: boolean }
  >();
  const logins: (readonly (readonly [string, number])[])[] = [];
  let redelivered = 0;
  let undeliverable = 0;
  let elapsedMs = 0;
  const startAt = Date.now() + 300;

  const absorb = (message: FromGenerator) => {
    if (message.type === 'done') {
      logins.push([...message.acknowledgedLogins]);
      redelivered += message.redelivered;
      undeliverable += message.undeliverable;
      elapsedMs = Math.max(elapsedMs, message.elapsedMs);
      return;
    }
    let second = perSecond.get(message.second);
    if (!second) {
      second = { ops: new Map(), cpuMs: 0, saturated: false };
      perSecond.set(message.second, second);
    }
    second.cpuMs += message.cpuMs;
    if (message.cpuMs > SATURATED_CPU_MS) second.saturated = true;
    for (const [op, window] of Object.entries(message.ops)) {
      tallyOf(totals, op).merge(window);
      tallyOf(second.ops, op).merge(window);
    }
  };

  const children = Array.from({ length: options.generators }, (_, index) => {
    let reported = false;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = () => {
        reported = true;
        resolve();
      };
    });
    const child = Bun.spawn(['bun', GENERATOR_FILE], {
      stdio: ['ignore', 'inherit', 'inherit'],
      ipc(message: FromGenerator) {
        absorb(message);
        if (message.type === 'done') finish();
      },
    });
    const request: ToGenerator = {
      type: 'run',
      phase,
      context: { ...options.context, generatorIndex: index, generatorCount: options.generators },
      startAt,
    };
    child.send(request);
    const exited = child.exited.then((code) => {
      if (!reported)
        throw new Error(`generator ${index} exited (code ${code}) without reporting its results`);
    });
    return { child, done: Promise.race([finished, exited]) };
  });
  options.onGenerators?.(children.map(({ child }) => child.pid));

  const live = setInterval(
    () => printLive(options.label, phase, startAt, totals, perSecond, options.sampler),
    1000,
  );
  try {
    await Promise.all(children.map(({ done }) => done));
  } finally {
    clearInterval(live);
    for (const { child } of children) child.kill();
    options.onGenerators?.([]);
  }
  const endedAt = Date.now();
  if (process.stdout.isTTY) process.stdout.write('\n');

  const seconds = Math.max(0.001, Math.min(phase.durationS, elapsedMs / 1000));
  const ops: Record<string, OperationResult> = {};
  for (const [op, acc] of totals) {
    const targetRate = targetRateOf(phase, op);
    ops[op] = {
      targetRate,
      achievedRate: acc.done / seconds,
      done: acc.done,
      ok: acc.ok,
      errors: acc.done - acc.ok,
      dropped: acc.dropped,
      successRate: acc.done ? acc.ok / acc.done : Number.NaN,
      statuses: acc.statuses,
      latency: summarizeHistogram(acc.latency),
      okLatency: summarizeHistogram(acc.okLatency),
    };
  }
  const timeline: TimelinePoint[] = [...perSecond.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, entry]) => ({
      second,
      generatorCpuPct: entry.cpuMs / 10,
      ops: Object.fromEntries(
        [...entry.ops].map(([op, acc]) => [
          op,
          {
            rate: acc.done,
            p50: acc.latency.percentile(50),
            p99: acc.latency.percentile(99),
            errors: acc.done - acc.ok,
          },
        ]),
      ),
    }));
  const cpuSeconds = [...perSecond.values()];
  return {
    name: phase.name,
    measured: phase.measured,
    startedAt: startAt,
    endedAt,
    seconds,
    ops,
    timeline,
    generators: options.generators,
    generatorSaturatedSeconds: cpuSeconds.filter((entry) => entry.saturated).length,
    generatorCpuMeanPct:
      cpuSeconds.reduce((sum, entry) => sum + entry.cpuMs, 0) / 10 / Math.max(1, cpuSeconds.length),
    generatorLagMaxMs: Math.max(0, ...[...totals.values()].map((acc) => acc.lagMaxMs)),
    acknowledgedLogins: logins.map((part) => [...part]),
    redelivered,
    undeliverable,
  };
}

function targetRateOf(phase: PhasePlan, op: string): number | undefined {
  let rate = 0;
  for (const stream of phase.streams) {
    if (stream.rate === 'max' || stream.waveUsers !== undefined) continue;
    const total = stream.mix.reduce((sum, entry) => sum + entry.weight, 0);
    for (const entry of stream.mix) if (entry.op === op) rate += (stream.rate * entry.weight) / total;
  }
  return rate > 0 ? rate : undefined;
}

const fmt = (ms: number) => (Number.isNaN(ms) ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

function printLive(
  label: string,
  phase: PhasePlan,
  startAt: number,
  totals: ReadonlyMap<string, OperationTally>,
  perSecond: ReadonlyMap<number, { ops: Map<string, OperationTally>; cpuMs: number; saturated: boolean }>,
  sampler: ResourceSampler | undefined,
): void {
  const elapsed = Math.max(0, (Date.now() - startAt) / 1000);
  const parts = [...totals].map(
    ([op, acc]) =>
      `${op} ${(acc.done / Math.max(1, elapsed)).toFixed(0)}/s p99 ${fmt(acc.latency.percentile(99))}ms` +
      (acc.done - acc.ok ? ` err ${acc.done - acc.ok}` : '') +
      (acc.dropped ? ` drop ${acc.dropped}` : ''),
  );
  const last = perSecond.get(perSecond.size - 1);
  const resources = sampler?.latest();
  const extra = [
    last ? `gen ${(last.cpuMs / 10).toFixed(0)}%${last.saturated ? ' SATURATED' : ''}` : '',
    resources?.service
      ? `svc ${resources.service.cpuPct.toFixed(0)}% ${resources.service.memoryMb.toFixed(0)}MB`
      : '',
    resources?.postgres ? `pg ${resources.postgres.cpuPct.toFixed(0)}%` : '',
  ].filter(Boolean);
  const line = `[${label} ${phase.name} ${elapsed.toFixed(0)}/${phase.durationS}s] ${parts.join(' · ')} | ${extra.join(' ')}`;
  if (process.stdout.isTTY)
    process.stdout.write(`\r\x1b[2K${line.slice(0, (process.stdout.columns ?? 200) - 1)}`);
  else if (Math.round(elapsed) % 10 === 0) console.log(line);
}
