import { countCheck, latencyCheck, rateCheck } from '../lib/checks.ts';
import { singleOperation } from '../lib/plan.ts';
import { openSession } from '../lib/session.ts';
import { DEFAULT_USERS, type Scenario } from './scenario.ts';

export const eventsScenario: Scenario = {
  name: 'events',
  summary: 'gRPC events alone, with the loss check (SPEC: ≥ 5,000/s, p99 < 100 ms, zero loss)',
  help: `Initialises --users players (default ${DEFAULT_USERS}), then sends events at --eps (default 5000)
for --warmup + --duration s (default 60): 20 % userLoggedIn, 80 % statItemUpdated over 5 stat codes
with values 0–999, unique ids, random players. Failed events are redelivered with their ids after
the run; then every player's audit counter is compared with the logins acknowledged.`,
  async run(options, ceilings = {}) {
    const eps = options.eps ?? 5000;
    const session = await openSession(options, 'events', options.users ?? DEFAULT_USERS);
    try {
      await session.seed();
      const before = await session.audit();
      const stream = singleOperation('event', eps, options.maxInFlight);
      const phases = [];
      if (options.warmup > 0) {
        phases.push(
          await session.run({
            name: 'warm-up',
            durationS: options.warmup,
            measured: false,
            streams: [stream],
          }),
        );
      }
      const result = await session.run({
        name: 'events',
        durationS: options.duration ?? 60,
        measured: true,
        streams: [stream],
      });
      phases.push(result);
      const loss = await session.lossSince(before, phases);
      const event = result.ops['event'];
      return session.outcome({
        loss,
        checks: [
          rateCheck('events alone: rate', 5000, event, ceilings.grpcMaxRate),
          latencyCheck(`events alone: latency at ${eps}/s`, 'p99', 100, event, ceilings.grpcP99AtEps),
          countCheck('events alone: loss', loss?.lost, 'lost'),
          countCheck('events alone: duplicates', loss?.appliedTwice, 'applied twice'),
        ],
      });
    } finally {
      await session.close();
    }
  },
};
