/**
 * The /metrics of a real service process (`bun src/main.ts`): the API pool's usage gauges and the
 * garbage collection count have samples, no runtime metric is exported without one, and none is
 * gathered in a way that stalls the thread serving HTTP.
 */
import { expect, test } from 'bun:test';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { createMetrics } from '../../src/metrics.ts';
import { useServiceProcess } from '../helpers/service-process.ts';

const POOL_MAX = 7;
const running = useServiceProcess({ AUTH_MODE: 'mock', DB_POOL_MAX: String(POOL_MAX) });

interface Scrape {
  readonly families: readonly string[];
  /** Values of a family's samples, keyed by their label text (`pool="api"`, or '' for none). */
  samples(family: string): Map<string, number>;
}

async function scrape(): Promise<Scrape> {
  const text = await (await fetch(`${running.service().baseUrl}/metrics`)).text();
  const lines = text.split('\n');
  const families = lines.flatMap((line) => /^# HELP (\S+)/.exec(line)?.[1] ?? []);
  const samples = (family: string) => {
    const found = new Map<string, number>();
    const sample = new RegExp(`^${family}(?:_bucket|_sum|_count)?(?:\\{(.*)\\})? (\\S+)$`);
    for (const line of lines) {
      const match = sample.exec(line);
      if (match) found.set(match[1] ?? '', Number(match[2]));
    }
    return found;
  };
  return { families, samples };
}

test('the API pool reports its size, connections in use and waiting operations', async () => {
  await fetch(`${running.service().baseUrl}/v1/challenges`, {
    headers: { 'x-mock-user-id': 'metrics-user' },
  });
  const metrics = await scrape();
  expect(metrics.samples('challenge_db_pool_max_connections')).toEqual(new Map([['pool="api"', POOL_MAX]]));
  const inUse = metrics.samples('challenge_db_pool_connections_in_use').get('pool="api"');
  expect(inUse).toBeGreaterThanOrEqual(0);
  expect(inUse).toBeLessThanOrEqual(POOL_MAX);
  expect(metrics.samples('challenge_db_pool_waiting_operations')).toEqual(new Map([['pool="api"', 0]]));
});

test('garbage collections are counted, and no GC metric is left without samples', async () => {
  // The runtime collects on its own timers as well as under allocation; requests allocate.
  const deadline = Date.now() + 15_000;
  let collections = 0;
  while (collections === 0 && Date.now() < deadline) {
    await fetch(`${running.service().baseUrl}/v1/challenges`, {
      headers: { 'x-mock-user-id': 'metrics-user' },
    });
    collections = (await scrape()).samples('challenge_gc_collections_observed_total').get('') ?? 0;
    if (collections === 0) await Bun.sleep(200);
  }
  expect(collections).toBeGreaterThan(0);
  expect((await scrape()).families).not.toContain('challenge_nodejs_gc_duration_seconds');
}, 20_000);

test('every process, runtime and pool metric has samples', async () => {
  const metrics = await scrape();
  const runtime = metrics.families.filter((family) => /^challenge_(process|nodejs|gc|db_pool)_/.test(family));
  expect(runtime.length).toBeGreaterThan(10);
  const empty = runtime.filter((family) => metrics.samples(family).size === 0);
  expect(empty).toEqual([]);
});

test('open descriptors are counted as the process holds them, without walking the heap to scrape', async () => {
  const { pid } = running.service().process;
  const held = () => readdirSync(`/proc/${pid}/fd`).length;
  const before = held();
  const exported = (await scrape()).samples('challenge_process_open_fds').get('');
  // Connections may open or close between the two reads; a few apart is the same count.
  expect(Math.abs((exported ?? 0) - before)).toBeLessThanOrEqual(3);
  // The heap-space gauges are gathered by walking the whole heap under Bun, at every scrape.
  const { families } = await scrape();
  expect(families.filter((family) => family.includes('heap_space'))).toEqual([]);
  expect(families).toContain('challenge_nodejs_heap_size_used_bytes');
});

test('the descriptor count follows descriptors opened after the start', async () => {
  // This test process's own count, read the way the service reads its own.
  const metrics = createMetrics();
  const count = async () => {
    const text = await metrics.registry.metrics();
    return Number(/^challenge_process_open_fds (\S+)$/m.exec(text)?.[1]);
  };
  const before = await count();
  const opened = Array.from({ length: 50 }, () => openSync('/dev/null', 'r'));
  try {
    expect(await count()).toBe(before + opened.length);
  } finally {
    for (const fd of opened) closeSync(fd);
  }
});
