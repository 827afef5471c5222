import { latencyCheck, rateCheck } from '../lib/checks.ts';
import { singleOperation } from '../lib/plan.ts';
import { openSession } from '../lib/session.ts';
import { DEFAULT_USERS, type Scenario } from './scenario.ts';

/** `--list-mode`: how the players fetch their list. */
const LIST_OPERATIONS = { identity: 'list', gzip: 'list-gzip', poll: 'list-poll' } as const;
export type ListMode = keyof typeof LIST_OPERATIONS;
export const LIST_MODES = Object.keys(LIST_OPERATIONS) as ListMode[];

export const apiScenario: Scenario = {
  name: 'api',
  summary: 'GET /v1/challenges alone, list-heavy (SPEC: ≥ 3,000/s at p99 < 50 ms)',
  help: `Initialises --users players (default ${DEFAULT_USERS}; 100 default goals each), warms up for
--warmup s, then lists all challenges (the ~190 KB, 500-goal answer) for random players at
--rps (default 3000) for --duration s (default 60). --list-mode identity (default: uncompressed,
as the original's k6 scripts), gzip (Accept-Encoding: gzip), or poll (gzip, and If-None-Match with
the ETag of the player's previous answer, as a polling client; an unchanged list is 304).`,
  async run(options, ceilings = {}) {
    const rps = options.rps ?? 3000;
    const operation = LIST_OPERATIONS[options.listMode ?? 'identity'];
    const session = await openSession(options, 'api', options.users ?? DEFAULT_USERS);
    try {
      await session.seed();
      const stream = singleOperation(operation, rps, options.maxInFlight);
      if (options.warmup > 0)
        await session.run({ name: 'warm-up', durationS: options.warmup, measured: false, streams: [stream] });
      const result = await session.run({
        name: 'GET /v1/challenges',
        durationS: options.duration ?? 60,
        measured: true,
        streams: [stream],
      });
      const list = result.ops[operation];
      return session.outcome({
        checks: [
          rateCheck('GET /v1/challenges alone: rate', 3000, list, ceilings.httpMaxRate),
          latencyCheck(
            `GET /v1/challenges alone: latency at ${rps}/s`,
            'p99',
            50,
            list,
            ceilings.httpP99AtRps,
          ),
        ],
      });
    } finally {
      await session.close();
    }
  },
};
