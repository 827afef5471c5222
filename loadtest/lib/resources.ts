/**
 * Samples CPU and memory of the processes under test once a second from /proc: the service, the
 * PostgreSQL server (postmaster and its backends), and the generator processes. CPU is in percent of
 * one core; memory is RSS for single processes. PostgreSQL's backends share their buffers, so
 * summing their RSS would count shared memory once per backend: its figure is every process's
 * private memory plus the shared memory of the process holding the most of it.
 *
 * Everything is read from the kernel's counters (`stat`, `status`), which cost microseconds.
 * `smaps_rollup` (exact PSS) walks every page table of the process while holding its memory map
 * lock: for PostgreSQL's thirty processes that took 170 ms of CPU a sweep under load, a sixth of a
 * core on the machine under test, and it stalls the process being read.
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
  /**
   * The share of all the machine's cores that was busy (0–100 %), whoever used it. Near 100 % every
   * thread waits for a core, and latencies measure that wait more than the service.
   */
  readonly machineBusyPct?: number;
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

interface Resident {
  /** Private (anonymous) memory. */
  readonly anonKb: number;
  /** Shared memory and mapped files: PostgreSQL's shared buffers, libraries. */
  readonly sharedKb: number;
}

function readResident(pid: number): Resident | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);
    return { anonKb: kb('RssAnon'), sharedKb: kb('RssFile') + kb('RssShmem') };
  } catch {
    return undefined;
  }
}

/** The machine's CPU time so far (`/proc/stat`, in ticks): all of it, and what was idle. */
function readMachineTicks(): { total: number; idle: number } | undefined {
  try {
    const fields =
      readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    return { total, idle: (fields[3] ?? 0) + (fields[4] ?? 0) };
  } catch {
    return undefined;
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
  /** `sharedOnce`: count shared memory once for all the processes (PostgreSQL), not once each. */
  const measure = (pids: readonly number[], sharedOnce: boolean, dt: number): ProcessSample | undefined => {
    let ticks = 0;
    let kb = 0;
    let mostShared = 0;
    let alive = 0;
    for (const pid of pids) {
      const stat = readStat(pid);
      const resident = readResident(pid);
      if (!stat || !resident) continue;
      alive++;
      const before = lastTicks.get(pid);
      if (before !== undefined) ticks += stat.ticks - before;
      lastTicks.set(pid, stat.ticks);
      kb += resident.anonKb + (sharedOnce ? 0 : resident.sharedKb);
      mostShared = Math.max(mostShared, resident.sharedKb);
    }
    if (alive === 0) return undefined;
    return {
      cpuPct: (ticks / TICKS_PER_SECOND / dt) * 100,
      memoryMb: (kb + (sharedOnce ? mostShared : 0)) / 1024,
    };
  };
  let lastMachine = readMachineTicks();
  const machineBusy = (): number | undefined => {
    const machine = readMachineTicks();
    const before = lastMachine;
    lastMachine = machine;
    if (!machine || !before || machine.total <= before.total) return undefined;
    return (1 - (machine.idle - before.idle) / (machine.total - before.total)) * 100;
  };
  const sample = () => {
    const now = performance.now();
    const dt = (now - lastAt) / 1000;
    lastAt = now;
    samples.push({
      at: Date.now(),
      service: watch.service === undefined ? undefined : measure([watch.service], false, dt),
      postgres: measure(postgresPids(watch.postgres), true, dt),
      generators: measure(watch.generators(), false, dt),
      machineBusyPct: machineBusy(),
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

/** Mean and peak of the machine's busy share over the samples taken between `from` and `to` (epoch ms). */
export function summarizeMachine(
  samples: readonly ResourceSample[],
  from: number,
  to: number,
): { readonly busyMeanPct: number; readonly busyMaxPct: number } | undefined {
  const busy = samples
    .filter((sample) => sample.at >= from && sample.at <= to)
    .map((sample) => sample.machineBusyPct)
    .filter((value): value is number => value !== undefined);
  if (busy.length === 0) return undefined;
  return {
    busyMeanPct: busy.reduce((sum, value) => sum + value, 0) / busy.length,
    busyMaxPct: Math.max(...busy),
  };
}
