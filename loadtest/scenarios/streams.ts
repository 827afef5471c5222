import { type StreamStats, startStreamHolder } from '../lib/open-streams.ts';
import type { PhasePlan } from '../lib/plan.ts';
import { singleOperation } from '../lib/plan.ts';
import type { Check } from '../lib/report.ts';
import type { OperationResult, PhaseResult } from '../lib/run-phase.ts';
import { openSession } from '../lib/session.ts';
import { DEFAULT_USERS, type Scenario } from './scenario.ts';

const DEFAULT_STREAMS = 10_000;
const PERCENTILES = ['p50', 'p95', 'p99'] as const;
const OPS = ['list', 'event'] as const;

function load(name: string, durationS: number, rps: number, eps: number, maxInFlight: number): PhasePlan {
  return {
    name,
    durationS,
    measured: true,
    streams: [singleOperation('list', rps, maxInFlight), singleOperation('event', eps, maxInFlight)],
  };
}

/** Latency with streams ÷ without, per operation and percentile, over the rounds together. */
function ratioChecks(
  without: readonly PhaseResult[],
  withStreams: readonly PhaseResult[],
  streams: number,
): Check[] {
  const sum = (phases: readonly PhaseResult[], op: string, p: (typeof PERCENTILES)[number]) =>
    phases.reduce(
      (total, phase) => total + ((phase.ops[op] as OperationResult | undefined)?.latency[p] ?? 0),
      0,
    );
  return OPS.flatMap((op) =>
    PERCENTILES.map((p): Check => {
      const off = sum(without, op, p) / without.length;
      const on = sum(withStreams, op, p) / withStreams.length;
      const ratio = on / off;
      return {
        name: `${op} ${p} with ${streams} streams open ÷ without`,
        target: '≤ 1.10',
        measured: `${ratio.toFixed(2)} (${on.toFixed(2)} ms vs ${off.toFixed(2)} ms)`,
        pass: Number.isFinite(ratio) && ratio <= 1.1,
      };
    }),
  );
}

const describeStats = (stats: StreamStats) =>
  `${stats.open} open, ${stats.ended} ended by the service, holder CPU ${stats.cpuPct.toFixed(0)} %; events ${Object.entries(
    stats.events,
  )
    .map(([type, count]) => `${type} ${count}`)
    .join(
      ', ',
    )}; delay from occurredAt p50 ${stats.delay.p50.toFixed(1)} ms, p99 ${stats.delay.p99.toFixed(1)} ms`;

export const streamsScenario: Scenario = {
  name: 'streams',
  summary: `list + events with and without N live streams open (default ${DEFAULT_STREAMS.toLocaleString('en')}): latency ratios`,
  help: `Initialises --users players (default ${DEFAULT_USERS}), warms up, then runs the same load four
times, without, with --streams N (default ${DEFAULT_STREAMS}) open, with, and without again, each
for --duration s (default 30): --rps list requests/s (default 300) and --eps events/s (default 500) for
random players. The streams belong to players 1…N (one each, ?active_only=true), so the events reach
them as goal.progress and goal.completed events; with --idle-streams they belong to players the load
never touches (after --users), so only their holding is measured. A separate process holds them
over plain TCP.
Reports the p50/p95/p99 of list and events with streams ÷ without (target ≤ 1.10), and what the
streams received. Each stream is a file descriptor in the service and in the holder: N near
\`ulimit -n\` needs a higher limit (\`ulimit -n 65536\` before the run).`,
  async run(options) {
    const users = options.users ?? DEFAULT_USERS;
    const streams = options.streams ?? DEFAULT_STREAMS;
    if (streams > users && !options.idleStreams)
      throw new Error(`--streams (${streams}) cannot exceed --users (${users}) unless --idle-streams`);
    const rps = options.rps ?? 300;
    const eps = options.eps ?? 500;
    const durationS = options.duration ?? 30;
    const session = await openSession(options, 'streams', users);
    const holder = startStreamHolder({
      httpBase: session.target.httpBase,
      devSecret: options.devSecret,
      namespace: options.namespace,
    });
    const notes: string[] = [];
    try {
      await session.seed();
      if (options.warmup > 0)
        await session.run({
          ...load('warm-up', options.warmup, rps, eps, options.maxInFlight),
          measured: false,
        });
      const without: PhaseResult[] = [];
      const withStreams: PhaseResult[] = [];
      const phase = (name: string) => session.run(load(name, durationS, rps, eps, options.maxInFlight));
      // Without, with, with, without: the workload's own drift (goals completing over the run)
      // weighs on both sides alike, instead of favouring whichever runs later.
      without.push(await phase('without streams (1)'));
      const opened = await holder.open(streams, options.idleStreams ? users + 1 : 1);
      const opens: Check = {
        name: 'streams opened',
        target: `${streams}`,
        measured: `${opened.open} in ${opened.seconds.toFixed(1)} s${opened.failed ? `, ${opened.failed} failed (${opened.firstError})` : ''}`,
        pass: opened.open === streams,
      };
      await holder.stats();
      for (const round of [1, 2]) {
        withStreams.push(await phase(`with ${streams} streams (${round})`));
        notes.push(`with ${streams} streams (${round}): ${describeStats(await holder.stats())}`);
      }
      await holder.close();
      // The service frees a stream when it sees the disconnect; give it a moment before the next phase.
      await Bun.sleep(2_000);
      without.push(await phase('without streams (2)'));
      return session.outcome({ checks: [opens, ...ratioChecks(without, withStreams, streams)], notes });
    } finally {
      await holder.stop();
      await session.close();
    }
  },
};
