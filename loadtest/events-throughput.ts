/**
 * Sustained event throughput of the gRPC pipeline, closed loop: `--concurrency` calls always in
 * flight over `--connections` HTTP/2 connections, 20 % login / 80 % statistic events over 5 stat
 * codes with values 0–999, unique event ids, users drawn from `--users`.
 *
 *   bun loadtest/events-throughput.ts --spawn [--duration 60] [--concurrency 200]
 *   bun loadtest/events-throughput.ts --target 127.0.0.1:6565 --metrics http://127.0.0.1:8000/metrics
 *   bun loadtest/events-throughput.ts --empty-server     (ceiling: grpc-js with handlers that answer at once)
 *
 * `--spawn` starts a private PostgreSQL and the service (the original's 500-goal workload; every
 * user has the 100 default goals assigned) and checks afterwards that the database holds exactly
 * the acknowledged login events.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createPool } from '../src/db/client.ts';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { LOGIN_SERVICE_NAME, loadEventProtos, STAT_SERVICE_NAME } from '../src/events/proto.ts';
import { frame, GrpcH2Connection } from './lib/grpc-h2.ts';
import { summarize } from './lib/stats.ts';
import { AUDIT_GOAL_ID, generateChallengeConfig, STAT_CODES } from './lib/workload.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    metrics: { type: 'string' },
    spawn: { type: 'boolean', default: false },
    'empty-server': { type: 'boolean', default: false },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '200' },
    connections: { type: 'string', default: '4' },
    users: { type: 'string', default: '10000' },
    namespace: { type: 'string', default: 'loadtest' },
    shards: { type: 'string' },
  },
});
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const concurrency = Number(values.concurrency);
const userCount = Number(values.users);
const namespace = values.namespace;

const protos = loadEventProtos();
const loginPath = `/${LOGIN_SERVICE_NAME}/OnMessage`;
const statPath = `/${STAT_SERVICE_NAME}/OnMessage`;
const runId = Date.now().toString(36);
const userId = (n: number) => `user-${String(n).padStart(6, '0')}`;

let cleanup: () => Promise<void> = async () => {};
let target = values.target ?? '';
let metricsUrl = values.metrics;
let databaseUrl: string | undefined;
let servicePid: number | undefined;

if (values['empty-server']) {
  const child = Bun.spawn(['bun', new URL('./lib/empty-grpc-server.ts', import.meta.url).pathname], {
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  target = `127.0.0.1:${new TextDecoder().decode(value).trim()}`;
  servicePid = child.pid;
  cleanup = async () => {
    child.kill('SIGTERM');
    await child.exited;
  };
} else if (values.spawn) {
  const spawned = await spawnService();
  target = spawned.target;
  metricsUrl = spawned.metricsUrl;
  databaseUrl = spawned.databaseUrl;
  servicePid = spawned.pid;
  cleanup = spawned.stop;
}
if (!target) throw new Error('give --target host:port, --spawn or --empty-server');

const connections = Array.from({ length: Number(values.connections) }, () => new GrpcH2Connection(target));
let sequence = 0;
let loginsAcked = 0;
const acknowledgedLoginsByUser = new Map<string, number>();

function nextCall(): { path: string; body: Buffer; user: string; login: boolean } {
  const n = sequence++;
  const user = userId(1 + Math.floor(Math.random() * userCount));
  const id = `${runId}-${n}`;
  if (Math.random() < 0.2) {
    const message = protos.UserLoggedIn.encode({ id, user_id: user, namespace }).finish();
    return { path: loginPath, body: frame(message), user, login: true };
  }
  const statCode = STAT_CODES[Math.floor(Math.random() * STAT_CODES.length)] ?? 'wins';
  const message = protos.StatItemUpdated.encode({
    id,
    user_id: user,
    namespace,
    payload: {
      stat_code: statCode,
      latest_value: Math.floor(Math.random() * 1000),
      user_id: user,
      namespace,
    },
  }).finish();
  return { path: statPath, body: frame(message), user, login: false };
}

const latencies: number[] = [];
const statuses = new Map<number, number>();
let measuring = false;
let running = true;

async function worker(index: number) {
  const connection = connections[index % connections.length];
  if (!connection) return;
  while (running) {
    const call = nextCall();
    const result = await connection.call(call.path, call.body);
    if (result.status === 0 && call.login) {
      loginsAcked++;
      acknowledgedLoginsByUser.set(call.user, (acknowledgedLoginsByUser.get(call.user) ?? 0) + 1);
    }
    if (!measuring) continue;
    latencies.push(result.ms);
    statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
  }
}

const workers = Array.from({ length: concurrency }, (_, i) => worker(i));
await Bun.sleep(warmupS * 1000);
const warmCount = sequence;
measuring = true;
const started = performance.now();
const wallCpu = process.cpuUsage();
const serviceCpuStart = servicePid ? processCpuSeconds(servicePid) : 0;
for (let elapsed = 0; elapsed < durationS; elapsed += 5) {
  await Bun.sleep(Math.min(5, durationS - elapsed) * 1000);
  const so = summarize(latencies.slice(-20_000));
  console.log(
    `  ${Math.min(durationS, elapsed + 5)}s  calls=${latencies.length}  rate=${(latencies.length / ((performance.now() - started) / 1000)).toFixed(0)}/s  recent p99=${so.p99.toFixed(1)} ms`,
  );
}
measuring = false;
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(wallCpu);
const serviceCpu = servicePid ? processCpuSeconds(servicePid) - serviceCpuStart : Number.NaN;
running = false;
await Promise.all(workers);
for (const connection of connections) connection.close();

const summary = summarize(latencies);
const errors = [...statuses.entries()].filter(([status]) => status !== 0);
console.log(
  `\ntarget ${target}${values['empty-server'] ? ' (empty grpc-js handler)' : ''}, ${concurrency} in flight over ${connections.length} connections, ${durationS}s after ${warmupS}s warm-up (${warmCount} warm-up calls)`,
);
console.log(
  `events/s ${(summary.count / seconds).toFixed(0)}   ok ${statuses.get(0) ?? 0}   errors ${errors.map(([s, n]) => `status ${s}: ${n}`).join(', ') || 0}`,
);
console.log(
  `latency ms  p50 ${summary.p50.toFixed(2)}  p95 ${summary.p95.toFixed(2)}  p99 ${summary.p99.toFixed(2)}  max ${summary.max.toFixed(2)}`,
);
console.log(
  `generator CPU ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)} %   server process CPU ${((serviceCpu / seconds) * 100).toFixed(0)} % (100 % = one core; PostgreSQL not included)`,
);

if (metricsUrl) {
  await Bun.sleep(1_200);
  const text = await (await fetch(metricsUrl)).text();
  const sum = sumSeries(text, 'challenge_flush_batch_size_sum');
  const count = sumSeries(text, 'challenge_flush_batch_size_count');
  console.log(
    `flushes ${count}   mean batch ${(sum / count).toFixed(1)} events   (challenge_flush_batch_size)`,
  );
  for (const outcome of ['applied', 'duplicate', 'failed', 'rejected']) {
    console.log(`  events ${outcome}: ${sumSeries(text, 'challenge_events_total', `outcome="${outcome}"`)}`);
  }
}

if (databaseUrl) {
  const pool = createPool({ url: databaseUrl, maxConnections: 1 });
  const rows = await pool<{ user_id: string; progress: number }[]>`
    select user_id, progress from user_goal_progress where goal_id = ${AUDIT_GOAL_ID}`;
  let lost = 0;
  let doubled = 0;
  for (const row of rows) {
    const acked = acknowledgedLoginsByUser.get(row.user_id) ?? 0;
    if (row.progress < acked) lost += acked - row.progress;
    if (row.progress > acked) doubled += row.progress - acked;
  }
  await pool.end();
  // The audit goal counts every applied login: stored == acknowledged means nothing lost or doubled.
  console.log(
    `login events acknowledged ${loginsAcked}   events lost: ${lost}   events applied twice: ${doubled}`,
  );
}
await cleanup();

function sumSeries(text: string, name: string, filter = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && line.includes(filter)) total += Number(line.split(' ').at(-1));
  }
  return total;
}

function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function spawnService() {
  const work = mkdtempSync(join(tmpdir(), 'challenge-events-'));
  const configPath = join(work, 'challenges.json');
  const config = generateChallengeConfig({ auditGoal: true });
  writeFileSync(configPath, JSON.stringify(config));
  const pg = await startEmbeddedPostgres({
    dataDir: `.data/loadtest-pg-${process.pid}`,
    database: 'events',
    persistent: false,
  });
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: pg.url,
    HTTP_PORT: String(httpPort),
    GRPC_PORT: String(grpcPort),
    CHALLENGE_CONFIG_PATH: configPath,
    AUTH_MODE: 'mock',
    AB_NAMESPACE: namespace,
    LOG_LEVEL: 'warn',
  };
  if (values.shards) env['EVENT_SHARDS'] = values.shards;
  const child = Bun.spawn(['bun', 'src/main.ts'], { env, stdout: 'ignore', stderr: 'inherit' });
  const base = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      if (i > 300) throw new Error('service did not start');
    }
    await Bun.sleep(100);
  }
  // Every user gets the 100 default goals, as /initialize would give them.
  const pool = createPool({ url: pg.url, maxConnections: 1 });
  const defaults = config.challenges.flatMap((c) =>
    c.goals.filter((g) => g.defaultAssigned).map((g) => ({ goalId: g.goalId, challengeId: c.challengeId })),
  );
  await pool`
    insert into user_goal_progress (user_id, goal_id, challenge_id, namespace, assigned_at)
    select 'user-' || lpad(u::text, 6, '0'), d.goal_id, d.challenge_id, ${namespace}, now()
    from generate_series(1, ${userCount}) as u,
      unnest(${defaults.map((d) => d.goalId)}::text[], ${defaults.map((d) => d.challengeId)}::text[]) as d(goal_id, challenge_id)`;
  await pool`analyze user_goal_progress`;
  await pool.end();
  console.log(`seeded ${userCount} users × ${defaults.length} default goals`);
  return {
    target: `127.0.0.1:${grpcPort}`,
    metricsUrl: `${base}/metrics`,
    databaseUrl: pg.url,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await child.exited;
      await pg.stop();
    },
  };
}
