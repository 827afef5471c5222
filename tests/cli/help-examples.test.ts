/**
 * The examples in `--help` work against the shipped configuration: every challenge and goal id
 * they name exists there (config/challenges.json, or the rotation sample for `rotation`), and the
 * goal belongs to that challenge.
 */
import { expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { runCli } from '../helpers/cli.ts';

const shipped = createCatalog(loadChallengeConfig('config/challenges.json'));
const rotation = createCatalog(loadChallengeConfig('config/challenges.rotation.json'));

test.each([
  ['challenges', shipped],
  ['activate', shipped],
  ['deactivate', shipped],
  ['select', shipped],
  ['claim', shipped],
  ['history', shipped],
  ['rotation', rotation],
] as const)('`%s --help` examples name ids of the shipped configuration', async (command, catalog) => {
  const { stdout, exitCode } = await runCli([command, '--help']);
  expect(exitCode).toBe(0);
  const examples = stdout
    .split('\n')
    .map((line) => line.match(new RegExp(`\\$ bun run cli ${command} (.*)$`))?.[1])
    .filter((rest): rest is string => rest !== undefined);
  expect(examples.length).toBeGreaterThan(0);
  for (const rest of examples) {
    const positional = rest
      .split(/\s+/)
      .filter((word, i, words) => !word.startsWith('-') && !words[i - 1]?.startsWith('--'));
    const [challengeId, ...goalIds] = positional;
    if (challengeId === undefined) continue;
    expect(catalog.challengeById.has(challengeId)).toBe(true);
    for (const goalId of goalIds) expect(catalog.goalById.get(goalId)?.challengeId).toBe(challengeId);
  }
});

test('`event --help` names the token variable and never prints its value', async () => {
  const { stdout, exitCode } = await runCli(['event', 'login', '--help'], {
    GRPC_AUTH_TOKEN: 'supersecret-xyz',
  });
  expect(exitCode).toBe(0);
  expect(stdout).toContain('GRPC_AUTH_TOKEN');
  expect(stdout).not.toContain('supersecret-xyz');
});
