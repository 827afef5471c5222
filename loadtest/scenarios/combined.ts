import { countCheck, latencyCheck } from '../lib/checks.ts';
import { type PhasePlan, type StreamPlan, singleOperation } from '../lib/plan.ts';
import type { Check } from '../lib/report.ts';
import type { PhaseResult } from '../lib/run-phase.ts';
import { openSession } from '../lib/session.ts';
import { DEFAULT_USERS, type Scenario } from './scenario.ts';

/** The original's gameplay mix (its M3 scenario 3): 70 % list, 10 % initialize, 15 % set-active, 5 % claim. */
export const GAMEPLAY_MIX: StreamPlan['mix'] = [
  { op: 'list', weight: 70 },
  { op: 'initialize', weight: 10 },
  { op: 'set-active', weight: 15 },
  { op: 'claim', weight: 5 },
];

export function initWave(users: number, rps: number, maxInFlight: number): PhasePlan {
  return {
    name: 'initialize wave',
    durationS: Math.ceil(users / rps) + 60,
    measured: true,
    streams: [singleOperation('initialize-wave', rps, maxInFlight, users)],
  };
}

export function gameplay(
  durationS: number,
  rps: number,
  eps: number,
  maxInFlight: number,
  mix = GAMEPLAY_MIX,
): PhasePlan {
  return {
    name: 'gameplay',
    durationS,
    measured: true,
    streams: [{ name: 'api', rate: rps, maxInFlight, mix }, singleOperation('event', eps, maxInFlight)],
  };
}

/** Every operation of every given phase answered as expected, none dropped. */
export function successCheck(name: string, phases: readonly PhaseResult[]): Check {
  let done = 0;
  let ok = 0;
  let dropped = 0;
  for (const phase of phases) {
    for (const op of Object.values(phase.ops)) {
      done += op.done;
      ok += op.ok;
      dropped += op.dropped;
    }
  }
  return {
    name,
    target: '100 % success',
    measured: `${((ok / Math.max(1, done)) * 100).toFixed(3)} % of ${done}${dropped ? `, ${dropped} dropped` : ''}`,
    pass: done > 0 && ok === done && dropped === 0,
  };
}

export const combinedScenario: Scenario = {
  name: 'combined',
  summary:
    'initialize wave, then 300 API requests/s (mixed) + 500 events/s (SPEC: every p95 < 10 ms, events < 20 ms)',
  help: `Initialises --users players (default ${DEFAULT_USERS}) at --init-rps (default 300) as a measured
wave, then for --duration s (default 600) sends --rps (default 300) API requests/s — 70 % list,
10 % initialize, 15 % set-active, 5 % claim — plus --eps (default 500) events/s, and checks loss.`,
  async run(options, ceilings = {}) {
    const users = options.users ?? DEFAULT_USERS;
    const rps = options.rps ?? 300;
    const eps = options.eps ?? 500;
    const session = await openSession(options, 'combined', users);
    try {
      const before = await session.audit();
      const wave = await session.run(initWave(users, options.initRps ?? 300, options.maxInFlight));
      const play = await session.run(gameplay(options.duration ?? 600, rps, eps, options.maxInFlight));
      const loss = await session.lossSince(before, [play]);
      const at = `at ${rps}/s + ${eps} events/s`;
      return session.outcome({
        loss,
        checks: [
          successCheck('combined: success', [wave, play]),
          latencyCheck(
            `combined: initialize wave at ${options.initRps ?? 300}/s`,
            'p95',
            10,
            wave.ops['initialize-wave'],
            ceilings.httpP95At300,
          ),
          ...(['list', 'initialize', 'set-active', 'claim'] as const).map((op) =>
            latencyCheck(`combined: ${op} ${at}`, 'p95', 10, play.ops[op], ceilings.httpP95At300),
          ),
          latencyCheck(`combined: events ${at}`, 'p95', 20, play.ops['event'], ceilings.grpcP95At500),
          countCheck('combined: loss', loss?.lost, 'lost'),
          countCheck('combined: duplicates', loss?.appliedTwice, 'applied twice'),
        ],
      });
    } finally {
      await session.close();
    }
  },
};
