/**
 * Samples CPU and memory of the processes under test once a second from /proc: the service, the
 * PostgreSQL server (postmaster and its backends), and the generator processes. CPU is in percent of
 * one core; memory is RSS for single processes and PSS summed for PostgreSQL, whose backends share
 * their buffers (summing their RSS would count shared memory many times).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export interface ProcessSample {
  readonly cpuPct: number;
  readonly memoryMb: number;
}

export interface ResourceSample {
  readonly at: number;
  readonly service?: ProcessSample;
  readonly postgres?: ProcessSample;
  readonly generators?: ProcessSample;
}

export interface ResourceWatch {
  readonly service?: number;
  /** The postmaster; when absent, every process named `postgres` on the machine counts. */
  readonly postgres?: number;
  readonly generators: () => readonly number[];
}

function readStat(pid: number): { ticks: number; ppid: number; comm: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    return { ticks: Number(fields[11]) + Number(fields[12]), ppid: Number(fields[1]), comm };
  } catch {
    return undefined;
  }
}

function memoryKb(pid: number, field: 'Rss' | 'Pss'): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function postgresPids(postmaster: number | undefined): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    if (
      postmaster === undefined ? stat.comm === 'postgres' : pid === postmaster || stat.ppid === postmaster
    ) {
      pids.push(pid);
    }
  }
  return pids;
}

export function startResourceSampler(watch: ResourceWatch, intervalMs = 1000) {
  const samples: ResourceSample[] = [];
  const lastTicks = new Map<number, number>();
  let lastAt = performance.now();
  const measure = (pids: readonly number[], field: 'Rss' | 'Pss', dt: number): ProcessSample | undefined => {
    let ticks = 0;
    let kb = 0;
    let alive = 0;
    for (const pid of pids) {
      const stat = readStat(pid);
      if (!stat) continue;
      alive++;
      const before = lastTicks.get(pid);
      if (before !== undefined) ticks += stat.ticks - before;
      lastTicks.set(pid, stat.ticks);
      kb += memoryKb(pid, field);
    }
    if (alive === 0) return undefined;
    return { cpuPct: (ticks / TICKS_PER_SECOND / dt) * 100, memoryMb: kb / 1024 };
  };
  const sample = () => {
    const now = performance.now();
    const dt = (now - lastAt) / 1000;
    lastAt = now;
    samples.push({
      at: Date.now(),
      service: watch.service === undefined ? undefined : measure([watch.service], 'Rss', dt),
      postgres: measure(postgresPids(watch.postgres), 'Pss', dt),
      generators: measure(watch.generators(), 'Rss', dt),
    });
  };
  sample();
  samples.length = 0;
  const timer = setInterval(sample, intervalMs);
  return {
    samples,
    latest: (): ResourceSample | undefined => samples.at(-1),
    stop: () => clearInterval(timer),
  };
}

export type ResourceSampler = ReturnType<typeof startResourceSampler>;

export interface ResourceSummary {
  readonly cpuMeanPct: number;
  readonly cpuMaxPct: number;
  readonly memoryMaxMb: number;
}

/** Mean and peak over the samples taken between `from` and `to` (epoch ms). */
export function summarizeResources(
  samples: readonly ResourceSample[],
  which: 'service' | 'postgres' | 'generators',
  from = 0,
  to = Number.POSITIVE_INFINITY,
): ResourceSummary | undefined {
  const picked = samples
    .filter((sample) => sample.at >= from && sample.at <= to)
    .map((sample) => sample[which])
    .filter((sample): sample is ProcessSample => sample !== undefined);
  if (picked.length === 0) return undefined;
  return {
    cpuMeanPct: picked.reduce((sum, s) => sum + s.cpuPct, 0) / picked.length,
    cpuMaxPct: Math.max(...picked.map((s) => s.cpuPct)),
    memoryMaxMb: Math.max(...picked.map((s) => s.memoryMb)),
  };
}
