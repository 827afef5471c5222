import { countCheck } from '../lib/checks.ts';
import { openSession } from '../lib/session.ts';
import { gameplay, initWave, successCheck } from './combined.ts';
import type { Scenario } from './scenario.ts';

const SMOKE_MIX = [
  { op: 'list', weight: 40 },
  { op: 'list-active', weight: 10 },
  { op: 'initialize', weight: 10 },
  { op: 'initialize-new', weight: 5 },
  { op: 'set-active', weight: 20 },
  { op: 'claim', weight: 15 },
] as const;

export const smokeScenario: Scenario = {
  name: 'smoke',
  summary: 'every operation briefly at a low rate; fails on any error, drop or lost event (runs in CI)',
  help: `Initialises --users players (default 300) at 100/s, then for --duration s (default 20, at most
45) sends --rps (default 40) API requests/s over every player operation plus --eps (default 200)
events/s, redelivers failures and checks loss. Exits with status 1 unless everything succeeded.`,
  async run(options) {
    const users = options.users ?? 300;
    const durationS = Math.min(45, options.duration ?? 20);
    const session = await openSession(options, 'smoke', users);
    try {
      const before = await session.audit();
      const wave = await session.run(initWave(users, 100, options.maxInFlight));
      const plan = (seconds: number) =>
        gameplay(seconds, options.rps ?? 40, options.eps ?? 200, options.maxInFlight, SMOKE_MIX);
      const warmup =
        options.warmup > 0
          ? [await session.run({ ...plan(options.warmup), name: 'warm-up', measured: false })]
          : [];
      const play = await session.run(plan(durationS));
      const loss = await session.lossSince(before, [...warmup, play]);
      const missing = SMOKE_MIX.filter(({ op }) => !play.ops[op]?.done).map(({ op }) => op);
      return session.outcome({
        loss,
        checks: [
          successCheck('smoke: every operation answered as expected', [wave, play]),
          countCheck(
            'smoke: operations never run',
            missing.length,
            `missing${missing.length ? ` (${missing.join(', ')})` : ''}`,
          ),
          countCheck('smoke: loss', loss?.lost, 'lost'),
          countCheck('smoke: duplicates', loss?.appliedTwice, 'applied twice'),
          countCheck('smoke: undeliverable events', loss?.undeliverable, 'undeliverable'),
        ],
      });
    } finally {
      await session.close();
    }
  },
};
