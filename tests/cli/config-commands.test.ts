/**
 * `admin config show|validate|apply` against a real service process in dev mode, with the dev
 * admin token the CLI mints by default.
 */
import { expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { useServiceProcess } from '../helpers/service-process.ts';

const SECRET = 'cli-config-secret-with-enough-length-0123456789';
const ENV = { DEV_JWT_SECRET: SECRET, AB_NAMESPACE: 'cli-config-ns' };
const CONFIG = 'config/challenges.test.json';
const dir = mkdtempSync(join(tmpdir(), 'cli-config-'));
const running = useServiceProcess({ AUTH_MODE: 'dev', ...ENV, CHALLENGE_CONFIG_PATH: CONFIG });

const cli = (...args: string[]) => runCli([...args, '--url', running.service().baseUrl], ENV);
interface Document {
  challenges: Array<{ goals: Array<{ requirement: { targetValue: number } }> }>;
}
const writeVariant = (name: string, change: (document: Document) => void) => {
  const document = JSON.parse(readFileSync(CONFIG, 'utf8')) as Document;
  change(document);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(document));
  return path;
};

test('show, validate and apply a configuration; a bad file names its problem', async () => {
  const shown = await cli('admin', 'config', 'show');
  expect(shown.exitCode).toBe(0);
  expect(shown.stdout).toMatch(new RegExp(`^version [0-9a-f]{16} \\(file, ${CONFIG}, `));

  const retargeted = writeVariant('retargeted.json', (document) => {
    const goal = document.challenges[0]?.goals[0];
    if (goal) goal.requirement.targetValue = 25;
  });
  const validated = await cli('admin', 'config', 'validate', retargeted);
  expect(validated.exitCode).toBe(0);
  expect(validated.stdout).toContain('goal changed: defeat-10-enemies (targetValue), retargeted');
  expect(validated.stdout).toContain('defeat-10-enemies: 0 players with rows');

  const applied = await cli('admin', 'config', 'apply', retargeted, '--as', 'ops-ann');
  expect(applied.exitCode).toBe(0);
  expect(applied.stdout).toMatch(/^applied version [0-9a-f]{16} \(ops-ann, /);
  expect((await cli('admin', 'config', 'show')).stdout).toMatch(/\(api, ops-ann, /);
  expect((await cli('admin', 'config', 'validate', retargeted)).stdout).toContain('(the rules in force)');

  const broken = writeVariant('broken.json', (document) => {
    const goal = document.challenges[0]?.goals[0];
    if (goal) goal.requirement.targetValue = 0;
  });
  const refused = await cli('admin', 'config', 'validate', broken);
  expect(refused.stdout).toContain('invalid: challenges[0].goals[0].requirement.targetValue:');
  const notApplied = await cli('admin', 'config', 'apply', broken);
  expect(notApplied.exitCode).not.toBe(0);
  expect(notApplied.stderr + notApplied.stdout).toContain('targetValue');

  const missing = await cli('admin', 'config', 'apply', join(dir, 'missing.json'));
  expect(missing.exitCode).toBe(2);
  expect(missing.stderr).toContain('cannot read');
}, 60_000);
