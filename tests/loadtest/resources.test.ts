import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { startResourceSampler, summarizeMachine } from '../../loadtest/lib/resources.ts';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';

// A server of this file's own, so that its processes are on this machine whatever database the
// other tests use.
const dataDir = resolve(`.data/resources-pg-${process.pid}`);
let server: EmbeddedPostgresHandle;
let postmaster: number;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ dataDir, database: 'resources', persistent: false });
  postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}, 120_000);

afterAll(async () => {
  await server.stop();
});

/** The postmaster and its children, as `ps` would list them. */
function postgresProcesses(): number[] {
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The exact figure (proportional set size, summed), and what summing resident sizes would say. */
function exactMemoryMb(pids: readonly number[]): { pssMb: number; rssSumMb: number } {
  let pss = 0;
  let rss = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
      rss += Number(/^Rss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return { pssMb: pss / 1024, rssSumMb: rss / 1024 };
}

describe('the load test resource sampler', () => {
  test("PostgreSQL's memory counts the buffers its backends share once, not once per backend", async () => {
    const setup = postgres(server.url, { max: 1, onnotice: () => {} });
    await setup`create table filler as select g as id, repeat('x', 200) as pad from generate_series(1, 100000) g`;
    // Six backends that each read the whole table through the shared buffers.
    const readers = postgres(server.url, { max: 6, onnotice: () => {} });
    try {
      await Promise.all(
        Array.from({ length: 6 }, () => readers.begin((sql) => sql`select count(*), max(pad) from filler`)),
      );
      const sampler = startResourceSampler({ postgres: postmaster, generators: () => [] }, 100);
      await Bun.sleep(350);
      sampler.stop();
      const figure = sampler.latest()?.postgres?.memoryMb ?? 0;
      const { pssMb, rssSumMb } = exactMemoryMb(postgresProcesses());
      // Close to the exact figure, and far below the sum of resident sizes.
      expect(figure / pssMb).toBeGreaterThan(0.8);
      expect(figure / pssMb).toBeLessThan(1.3);
      expect(rssSumMb / figure).toBeGreaterThan(1.5);
    } finally {
      await readers.end();
      await setup.end();
    }
  });

  test("a process's CPU is its share of one core, and the machine's busy share counts it", async () => {
    const spinner = Bun.spawn(['bun', '-e', 'const end = Date.now() + 1500; while (Date.now() < end) {}']);
    const sampler = startResourceSampler({ service: spinner.pid, generators: () => [] }, 250);
    await Bun.sleep(1000);
    sampler.stop();
    await spinner.exited;
    const busy = sampler.samples.slice(1).map((sample) => sample.service?.cpuPct ?? 0);
    // A process spinning one thread uses close to a whole core, whatever else the machine runs.
    expect(Math.max(...busy)).toBeGreaterThan(50);
    expect(Math.max(...busy)).toBeLessThan(150);
    expect(sampler.samples.at(-1)?.service?.memoryMb).toBeGreaterThan(5);
    // One spinning thread keeps at least one core of the machine busy.
    const machine = summarizeMachine(sampler.samples, 0, Date.now());
    expect(machine?.busyMaxPct).toBeGreaterThan((100 / cpus().length) * 0.8);
    expect(machine?.busyMaxPct).toBeLessThanOrEqual(100);
  });
});
