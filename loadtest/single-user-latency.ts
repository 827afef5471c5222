/**
 * Sequential latency of the player endpoints with the original's 500-goal configuration:
 * starts a private PostgreSQL and the service as a separate process, then times N calls one after
 * another over HTTP. Usage: bun loadtest/single-user-latency.ts [--calls 1000]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { type Summary, summarize } from './lib/stats.ts';
import { generateChallengeConfig } from './lib/workload.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '1000' } } });
const calls = Number(values.calls);

const work = mkdtempSync(join(tmpdir(), 'challenge-latency-'));
const configPath = join(work, 'challenges.json');
writeFileSync(configPath, JSON.stringify(generateChallengeConfig()));
const pg = await startEmbeddedPostgres({
  dataDir: `.data/loadtest-pg-${process.pid}`,
  database: 'latency',
  persistent: false,
});
const port = await freePort();
const service = Bun.spawn(['bun', 'src/main.ts'], {
  env: {
    ...process.env,
    DATABASE_URL: pg.url,
    HTTP_PORT: String(port),
    CHALLENGE_CONFIG_PATH: configPath,
    AUTH_MODE: 'mock',
    LOG_LEVEL: 'error',
  },
  stdout: 'ignore',
  stderr: 'inherit',
});

const base = `http://127.0.0.1:${port}`;
try {
  await waitForHealth(base);
  const call = async (method: string, path: string, user: string) => {
    const started = performance.now();
    const response = await fetch(`${base}${path}`, { method, headers: { 'x-mock-user-id': user } });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status}`);
    return performance.now() - started;
  };
  const time = async (label: string, run: (i: number) => Promise<number>) => {
    for (let i = 0; i < 50; i++) await run(i + 1_000_000); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < calls; i++) samples.push(await run(i));
    report(label, summarize(samples));
  };
  console.log(`config: 10 challenges × 50 goals (100 default-assigned); ${calls} sequential calls each`);
  await time('POST /initialize, new player', (i) => call('POST', '/v1/challenges/initialize', `new-${i}`));
  await call('POST', '/v1/challenges/initialize', 'player-1');
  await time('POST /initialize, returning player', () =>
    call('POST', '/v1/challenges/initialize', 'player-1'),
  );
  await time('GET /v1/challenges (500 goals)', () => call('GET', '/v1/challenges', 'player-1'));
  await time('GET /v1/challenges?active_only=true', () =>
    call('GET', '/v1/challenges?active_only=true', 'player-1'),
  );
} finally {
  service.kill('SIGTERM');
  await service.exited;
  await pg.stop();
}

function report(label: string, s: Summary): void {
  const f = (n: number) => n.toFixed(2).padStart(7);
  console.log(
    `${label.padEnd(40)} p50 ${f(s.p50)} ms   p99 ${f(s.p99)} ms   max ${f(s.max)} ms   n=${s.count}`,
  );
}

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  throw new Error('service did not become healthy within 30 s');
}
