/**
 * `bun run loadtest <scenario> [options]`: measures the service with the original's load-test
 * workload, open loop, and writes a report to loadtest/results/<timestamp>-<scenario>/.
 */
import { parseArgs } from 'node:util';
import type { LoadtestOptions } from './lib/options.ts';
import { describeMachine, writeReport } from './lib/report.ts';
import { WEBHOOK_MODES, type WebhookMode } from './lib/webhook-receiver.ts';
import { generateChallengeConfig, WORKLOAD_VARIANTS, type WorkloadVariant } from './lib/workload.ts';
import { allScenario } from './scenarios/all.ts';
import { apiScenario, LIST_MODES, type ListMode } from './scenarios/api.ts';
import { ceilingScenario } from './scenarios/ceiling.ts';
import { combinedScenario } from './scenarios/combined.ts';
import { eventsScenario } from './scenarios/events.ts';
import { initScenario } from './scenarios/init.ts';
import type { Scenario } from './scenarios/scenario.ts';
import { smokeScenario } from './scenarios/smoke.ts';
import { streamsScenario } from './scenarios/streams.ts';

const SCENARIOS: readonly Scenario[] = [
  apiScenario,
  eventsScenario,
  combinedScenario,
  initScenario,
  ceilingScenario,
  smokeScenario,
  streamsScenario,
  allScenario,
];

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  'print-config': { type: 'boolean' },
  spawn: { type: 'boolean' },
  target: { type: 'string' },
  grpc: { type: 'string' },
  'database-url': { type: 'string' },
  'service-pid': { type: 'string' },
  'service-dir': { type: 'string' },
  shards: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  rps: { type: 'string' },
  eps: { type: 'string' },
  'init-rps': { type: 'string' },
  users: { type: 'string' },
  generators: { type: 'string' },
  'max-in-flight': { type: 'string' },
  connections: { type: 'string' },
  timeout: { type: 'string' },
  'dev-secret': { type: 'string' },
  namespace: { type: 'string' },
  out: { type: 'string' },
  workload: { type: 'string' },
  'list-mode': { type: 'string' },
  streams: { type: 'string' },
  'idle-streams': { type: 'boolean' },
  webhook: { type: 'string' },
} as const;

const HELP = `Usage: bun run loadtest <scenario> [options]

Load tests the challenge service with the original's workload: 10 challenges × 50 goals (100 of
them default-assigned, plus one audit goal that counts logins for the loss check), players
user-000001…, events 20 % login / 80 % statistics over 5 stat codes with values 0–999. Load is open
loop (constant arrival rate): latency counts from each request's scheduled start, and arrivals
that find --max-in-flight requests still running are dropped and reported.

Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(10)}${s.summary}`).join('\n')}

${SCENARIOS.map((s) => `${s.name}:\n${s.help.replace(/^/gm, '  ')}`).join('\n\n')}

Target (one of):
  --spawn               start a fresh embedded PostgreSQL and the service (bun src/main.ts) for the run
  --target URL          a running service's HTTP base URL (default http://127.0.0.1:8000), with
    --grpc HOST:PORT      its event port (default 127.0.0.1:6565)
    --database-url URL    its database, for the loss check (the audit goal must be configured:
                          start the service with the config from --print-config)
    --service-pid PID     its process, to sample CPU and RSS (PostgreSQL: every 'postgres' process)
  --service-dir DIR     with --spawn: run the service from another checkout (before/after comparisons)
  --shards N            with --spawn: EVENT_SHARDS for the service
  --webhook slow|down   with --spawn: point NOTIFY_WEBHOOK_URL at a receiver that answers after 2 s
                        (slow) or at a port nothing listens on (down)

Load:
  --duration S          measured seconds (per phase; scenario default otherwise)
  --warmup S            unmeasured seconds before measuring (default 5)
  --rps N               API requests per second
  --eps N               events per second
  --init-rps N          combined: rate of the initialize wave (default 300)
  --users N             players (default 10000; smoke 300)
  --streams N           streams: live streams to hold open (default 10000)
  --idle-streams        streams: for players the load never touches (only holding them is measured)
  --generators N        generator processes sharing the load (default 1); add more when the report
                        warns that a generator was saturated
  --max-in-flight N     requests in flight at most per stream before arrivals are dropped (default 2000)
  --connections N       HTTP/2 connections per generator for events (default 4)
  --timeout MS          per-request timeout (default 10000)
  --dev-secret S        sign dev-mode JWTs with S instead of sending x-mock-user-id (AUTH_MODE=dev)
  --namespace NS        event and token namespace (default loadtest)
  --workload W          with --spawn (and --print-config): original (default), or rotating: a third
                        of the default goals rotate daily with relative progress

Output:
  --out DIR             where reports go (default loadtest/results)
  --list-mode M         api: identity (default), gzip, or poll (If-None-Match, as a polling client)
  --print-config        print the workload's challenge configuration (JSON) and exit
  -h, --help            this text

Every run prints a live progress line and writes report.md, report.json and chart.svg. Event
scenarios end with "events lost: N" and "events applied twice: N". smoke exits with status 1 when
anything failed.
`;

function listModeOf(value: string | undefined): ListMode | undefined {
  if (value === undefined) return undefined;
  if (!LIST_MODES.some((mode) => mode === value))
    throw new Error(`--list-mode must be one of ${LIST_MODES.join(', ')}, got "${value}"`);
  return value as ListMode;
}

function integer(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0)
    throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return parsed;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const workload = values.workload ?? 'original';
  if (!WORKLOAD_VARIANTS.some((variant) => variant === workload)) {
    throw new Error(`--workload must be one of ${WORKLOAD_VARIANTS.join(', ')}, got "${workload}"`);
  }
  const variant = workload as WorkloadVariant;
  if (values['print-config']) {
    console.log(JSON.stringify(generateChallengeConfig({ auditGoal: true, variant }), null, 2));
    return 0;
  }
  const name = positionals[0];
  if (values.help || !name) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) {
    console.error(`unknown scenario "${name}"; one of: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  if (values.spawn && values.target) throw new Error('give either --spawn or --target, not both');
  const webhook = values.webhook;
  if (webhook !== undefined && !WEBHOOK_MODES.some((mode) => mode === webhook))
    throw new Error(`--webhook must be one of ${WEBHOOK_MODES.join(', ')}, got "${webhook}"`);
  if (webhook !== undefined && !values.spawn) throw new Error('--webhook needs --spawn');
  const options: LoadtestOptions = {
    duration: integer(values.duration, 'duration'),
    warmup: integer(values.warmup, 'warmup', 5) ?? 5,
    rps: integer(values.rps, 'rps'),
    eps: integer(values.eps, 'eps'),
    initRps: integer(values['init-rps'], 'init-rps'),
    users: integer(values.users, 'users'),
    target: values.target?.replace(/\/+$/, ''),
    grpc: values.grpc,
    databaseUrl: values['database-url'],
    servicePid: integer(values['service-pid'], 'service-pid'),
    spawn: values.spawn ?? false,
    serviceDir: values['service-dir'],
    shards: integer(values.shards, 'shards'),
    generators: Math.max(1, integer(values.generators, 'generators', 1) ?? 1),
    maxInFlight: Math.max(1, integer(values['max-in-flight'], 'max-in-flight', 2000) ?? 2000),
    connections: Math.max(1, integer(values.connections, 'connections', 4) ?? 4),
    timeoutMs: integer(values.timeout, 'timeout', 10_000) ?? 10_000,
    devSecret: values['dev-secret'],
    namespace: values.namespace ?? 'loadtest',
    listMode: listModeOf(values['list-mode']),
    streams: integer(values.streams, 'streams'),
    idleStreams: values['idle-streams'] ?? false,
    out: values.out ?? 'loadtest/results',
    workload: variant,
    ...(webhook === undefined ? {} : { webhook: webhook as WebhookMode }),
  };
  const startedAt = new Date().toISOString();
  const outcome = await scenario.run(options);
  const report = {
    scenario: scenario.name,
    command: `bun run loadtest ${argv.join(' ')}`,
    startedAt,
    machine: describeMachine(),
    ...outcome,
  };
  const dir = writeReport(options.out, report);
  console.log('');
  for (const check of report.checks) {
    console.log(
      `${check.pass ? 'pass' : 'FAIL'}  ${check.name}: ${check.measured} (${check.target})${check.ceiling ? `, ceiling ${check.ceiling}, ratio ${check.ratio?.toFixed(2)}` : ''}`,
    );
  }
  for (const warning of report.warnings) console.log(`warning: ${warning}`);
  if (report.loss) {
    console.log(`events lost: ${report.loss.lost}`);
    console.log(`events applied twice: ${report.loss.appliedTwice}`);
  }
  console.log(`report: ${dir}/report.md`);
  return scenario === smokeScenario && report.checks.some((check) => !check.pass) ? 1 : 0;
}

let exitCode: number;
try {
  exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(`loadtest: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 2;
}
// Exit explicitly: after a failure, a sampler timer or a child's pipe must not keep the tool alive.
process.exit(exitCode);
