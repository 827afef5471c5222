import { latencyCheck } from '../lib/checks.ts';
import type { OperationName } from '../lib/operations.ts';
import { singleOperation } from '../lib/plan.ts';
import { openSession } from '../lib/session.ts';
import { DEFAULT_USERS, type Scenario } from './scenario.ts';

export const initScenario: Scenario = {
  name: 'init',
  summary: 'POST /initialize for new and for returning players (SPEC: p95 < 10 / < 5 ms at 300/s)',
  help: `Initialises --users players (default ${DEFAULT_USERS}) so they are returning players, then
calls /initialize at --rps (default 300) for --duration s each (default 30): first for players never
seen before (each call creates the 100 default rows), then for random returning players.`,
  async run(options, ceilings = {}) {
    const rps = options.rps ?? 300;
    const durationS = options.duration ?? 30;
    const session = await openSession(options, 'init', options.users ?? DEFAULT_USERS);
    const stream = (op: OperationName) => singleOperation(op, rps, options.maxInFlight);
    try {
      await session.seed();
      if (options.warmup > 0) {
        await session.run({
          name: 'warm-up',
          durationS: options.warmup,
          measured: false,
          streams: [stream('initialize')],
        });
      }
      const fresh = await session.run({
        name: 'new players',
        durationS,
        measured: true,
        streams: [stream('initialize-new')],
      });
      const returning = await session.run({
        name: 'returning players',
        durationS,
        measured: true,
        streams: [stream('initialize')],
      });
      return session.outcome({
        checks: [
          latencyCheck(
            `initialize, new player at ${rps}/s`,
            'p95',
            10,
            fresh.ops['initialize-new'],
            ceilings.httpP95At300,
          ),
          latencyCheck(
            `initialize, returning player at ${rps}/s`,
            'p95',
            5,
            returning.ops['initialize'],
            ceilings.httpP95At300,
          ),
        ],
      });
    } finally {
      await session.close();
    }
  },
};
