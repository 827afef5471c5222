import { describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runLoadtest = async (args: string[]) => {
  const child = Bun.spawn(['bun', 'loadtest/main.ts', ...args], { stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
};

describe('bun run loadtest', () => {
  test('--help explains every scenario and option', async () => {
    const { stdout, code } = await runLoadtest(['--help']);
    expect(code).toBe(0);
    for (const word of [
      'api',
      'events',
      'combined',
      'init',
      'ceiling',
      'smoke',
      '--spawn',
      '--target',
      '--duration',
      '--rps',
      '--eps',
      '--users',
      '--generators',
    ]) {
      expect(stdout).toContain(word);
    }
  });

  test('an unknown scenario is refused with the list of scenarios', async () => {
    const { stderr, code } = await runLoadtest(['nonsense']);
    expect(code).toBe(2);
    expect(stderr).toContain('api, events, combined, init, ceiling, smoke');
  });

  test('smoke: every operation against a spawned service, no errors, no lost or doubled events, a report with a chart', async () => {
    const out = mkdtempSync(join(tmpdir(), 'loadtest-smoke-'));
    const { stdout, stderr, code } = await runLoadtest([
      'smoke',
      '--spawn',
      '--duration',
      '8',
      '--warmup',
      '0',
      '--out',
      out,
    ]);
    if (code !== 0) console.error(stdout, stderr);
    expect(code).toBe(0);
    expect(stdout).toContain('events lost: 0');
    expect(stdout).toContain('events applied twice: 0');
    expect(stdout).not.toContain('FAIL');
    const [dir] = readdirSync(out);
    expect(dir).toBeDefined();
    const reportDir = join(out, dir ?? '');
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    const gameplay = report.phases.find((phase: { name: string }) => phase.name === 'gameplay');
    for (const op of [
      'list',
      'list-active',
      'initialize',
      'initialize-new',
      'set-active',
      'claim',
      'event',
    ]) {
      expect(gameplay.ops[op].done).toBeGreaterThan(0);
    }
    expect(report.loss.acknowledged).toBeGreaterThan(0);
    expect(report.loss.applied).toBe(report.loss.acknowledged);
    expect(report.resources.service.memoryMaxMb).toBeGreaterThan(20);
    const markdown = readFileSync(join(reportDir, 'report.md'), 'utf8');
    expect(markdown).toContain('events lost: 0');
    // Each phase says how busy the machine was, which decides how far its latencies can be read.
    expect(markdown).toMatch(/Machine: \d+ % of all its cores busy on average/);
    expect(readFileSync(join(reportDir, 'chart.svg'), 'utf8')).toStartWith('<svg');
    expect(existsSync(join(reportDir, 'chart.svg'))).toBe(true);
  }, 180_000);
});
