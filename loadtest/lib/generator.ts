/**
 * A load generator process. The main process starts one or more of these (`--generators`) so the
 * generator's own CPU never caps the rate; each runs its share of a phase and reports one window of
 * results per second over IPC, then its acknowledged logins for the loss check.
 */
import { runArrivals } from './arrivals.ts';
import { createOperations, type OperationName } from './operations.ts';
import { type FromGenerator, type StreamPlan, shareOf, type ToGenerator } from './plan.ts';
import { type OperationTally, type TallyData, tallyOf } from './tally.ts';

const send = (message: FromGenerator) => process.send?.(message);

process.on('message', (message: ToGenerator) => {
  if (message.type === 'run') void run(message);
});

function pickerFor(stream: StreamPlan): () => OperationName {
  const total = stream.mix.reduce((sum, entry) => sum + entry.weight, 0);
  return () => {
    let roll = Math.random() * total;
    for (const entry of stream.mix) {
      roll -= entry.weight;
      if (roll < 0) return entry.op;
    }
    return stream.mix.at(-1)?.op ?? 'list';
  };
}

async function run({ phase, context, startAt }: ToGenerator): Promise<void> {
  const operations = createOperations(context);
  let windows = new Map<string, OperationTally>();
  let cpu = process.cpuUsage();
  let second = 0;
  const flush = () => {
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const ops: Record<string, TallyData> = {};
    for (const [op, window] of windows) ops[op] = window.toJSON();
    windows = new Map();
    send({ type: 'tick', second: second++, cpuMs: (used.user + used.system) / 1000, ops });
  };
  const wait = startAt - Date.now();
  if (wait > 0) await Bun.sleep(wait);
  cpu = process.cpuUsage();
  const started = Date.now();
  const ticker = setInterval(flush, 1000);

  await Promise.all(
    phase.streams.map((stream) => {
      const pick = pickerFor(stream);
      const share = shareOf(stream, context.generatorCount);
      const waveOnly = stream.waveUsers !== undefined;
      return runArrivals({
        rate: share.rate,
        maxInFlight: share.maxInFlight,
        startAt: performance.timeOrigin + performance.now(),
        durationMs: phase.durationS * 1000,
        arrivals: waveOnly ? operations.waveSize(stream.waveUsers ?? 0) : undefined,
        start: async () => {
          const op = pick();
          return { ...(await operations.run(op)), label: op };
        },
        events: {
          onDone(outcome, latencyMs, lagMs) {
            tallyOf(windows, outcome.label ?? stream.name).record(
              outcome.ok,
              outcome.status,
              latencyMs,
              lagMs,
            );
          },
          onDropped() {
            tallyOf(windows, pick()).dropped++;
          },
        },
      });
    }),
  );
  const elapsedMs = Date.now() - started;
  clearInterval(ticker);
  flush();
  const { redelivered, undeliverable } = await operations.redeliver();
  operations.close();
  // The main process ends this process once the report has arrived: disconnecting here could drop
  // a large report still queued on the IPC channel.
  send({
    type: 'done',
    elapsedMs,
    acknowledgedLogins: operations.acknowledgedLogins(),
    redelivered,
    undeliverable,
  });
}
