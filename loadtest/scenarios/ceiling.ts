import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import type { CeilingKey, Ceilings } from '../lib/checks.ts';
import { measureUpsertCeiling } from '../lib/database.ts';
import type { OperationContext, OperationName } from '../lib/operations.ts';
import { singleOperation } from '../lib/plan.ts';
import { startResourceSampler, summarizeResources } from '../lib/resources.ts';
import { type OperationResult, type PhaseResult, runPhase } from '../lib/run-phase.ts';
import type { Scenario } from './scenario.ts';

const serverFile = (name: string) => fileURLToPath(new URL(`../lib/${name}`, import.meta.url));

/** Starts a ceiling server process and reads the port it prints. */
async function startServer(file: string) {
  const child = Bun.spawn(['bun', serverFile(file)], { stdout: 'pipe', stderr: 'inherit' });
  const { value } = await child.stdout.getReader().read();
  const port = Number(new TextDecoder().decode(value).trim());
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${file} did not report a port`);
  return {
    pid: child.pid,
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await child.exited;
    },
  };
}

export const ceilingScenario: Scenario = {
  name: 'ceiling',
  summary: "this machine's ceilings: empty gRPC handler, static Elysia answer, raw PostgreSQL upsert",
  help: `Measures the bare stack with the same generator, each for --duration s (default 10): an empty
grpc-js OnMessage handler (closed loop, then at --eps, default 5000, and at 500/s); a static Elysia
answer as large as the 500-goal list (closed loop, then at --rps, default 3000) and a small one at
300/s; and PostgreSQL's UNNEST upsert of 1,000-row batches into a copy of user_goal_progress
(embedded PostgreSQL, or --database-url). Other scenarios' targets are reported beside these.`,
  async run(options) {
    const seconds = options.duration ?? 10;
    const grpc = await startServer('empty-grpc-server.ts');
    const http = await startServer('static-server.ts');
    let servers = [grpc.pid, http.pid];
    const sampler = startResourceSampler({ generators: () => servers });
    const phases: PhaseResult[] = [];
    const ceilings: Ceilings = {};
    const context: Omit<OperationContext, 'generatorIndex' | 'generatorCount'> = {
      httpBase: `http://127.0.0.1:${http.port}`,
      grpcTarget: `127.0.0.1:${grpc.port}`,
      namespace: options.namespace,
      users: 10_000,
      runId: Date.now().toString(36),
      grpcConnections: options.connections,
      timeoutMs: options.timeoutMs,
    };
    /** Runs one operation against a ceiling server; returns its results (undefined if it never ran). */
    const measure = async (
      name: string,
      op: OperationName,
      rate: number | 'max',
      maxInFlight: number,
      measured = true,
    ) => {
      const result = await runPhase({
        phase: {
          name,
          durationS: measured ? seconds : options.warmup,
          measured,
          streams: [singleOperation(op, rate, maxInFlight)],
        },
        context,
        generators: options.generators,
        label: 'ceiling',
        sampler,
      });
      if (measured) phases.push(result);
      return result.ops[op];
    };
    const eps = options.eps ?? 5000;
    const rps = options.rps ?? 3000;
    const limit = options.maxInFlight;
    // What each ceiling measures; a server's first row is preceded by an unmeasured warm-up (JIT,
    // connections), as the service is in the other scenarios.
    const plan: {
      key: CeilingKey;
      name: string;
      op: OperationName;
      rate: number | 'max';
      inFlight: number;
      figure: (result: OperationResult) => number;
      warmFirst?: boolean;
    }[] = [
      {
        key: 'grpcMaxRate',
        name: 'empty gRPC handler, closed loop',
        op: 'event',
        rate: 'max',
        inFlight: 200,
        figure: (r) => r.achievedRate,
        warmFirst: true,
      },
      {
        key: 'grpcP99AtEps',
        name: `empty gRPC handler at ${eps}/s`,
        op: 'event',
        rate: eps,
        inFlight: limit,
        figure: (r) => r.latency.p99,
      },
      {
        key: 'grpcP95At500',
        name: 'empty gRPC handler at 500/s',
        op: 'event',
        rate: 500,
        inFlight: limit,
        figure: (r) => r.latency.p95,
      },
      {
        key: 'httpMaxRate',
        name: 'static Elysia list, closed loop',
        op: 'list',
        rate: 'max',
        inFlight: 64,
        figure: (r) => r.achievedRate,
        warmFirst: true,
      },
      {
        key: 'httpP99AtRps',
        name: `static Elysia list at ${rps}/s`,
        op: 'list',
        rate: rps,
        inFlight: limit,
        figure: (r) => r.latency.p99,
      },
      {
        key: 'httpP95At300',
        name: 'static Elysia small answer at 300/s',
        op: 'initialize',
        rate: 300,
        inFlight: limit,
        figure: (r) => r.latency.p95,
      },
    ];
    try {
      for (const row of plan) {
        if (row.warmFirst && options.warmup > 0)
          await measure('warm-up', row.op, row.rate, row.inFlight, false);
        const result = await measure(row.name, row.op, row.rate, row.inFlight);
        if (result) ceilings[row.key] = row.figure(result);
      }
    } finally {
      servers = [];
      await grpc.stop();
      await http.stop();
      sampler.stop();
    }
    const pg = options.databaseUrl
      ? undefined
      : await startEmbeddedPostgres({
          dataDir: `.data/loadtest-ceiling-${process.pid}`,
          database: 'ceiling',
          persistent: false,
        });
    try {
      const upsert = await measureUpsertCeiling(options.databaseUrl ?? pg?.url ?? '', { seconds });
      ceilings.pgUpsertRows = upsert.rowsPerSecond;
    } finally {
      await pg?.stop();
    }
    return {
      target: 'bare stack on this machine (no service)',
      phases,
      resources: { generators: summarizeResources(sampler.samples, 'generators') },
      resourceSamples: [...sampler.samples],
      ceilings,
      checks: [],
      warnings: [],
      notes: [
        'In this scenario "generators" in the resource table are the ceiling servers, not the load generators.',
      ],
    };
  },
};
