import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadChallengeConfig } from '../../src/config/challenge-config.ts';

const directory = mkdtempSync(join(tmpdir(), 'challenge-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const VALID = JSON.stringify({
  challenges: [
    {
      challengeId: 'c1',
      name: 'C1',
      goals: [
        {
          goalId: 'g1',
          name: 'G1',
          eventSource: 'login',
          requirement: { targetValue: 1 },
          reward: { type: 'WALLET', rewardId: 'GOLD', quantity: 10 },
        },
      ],
    },
  ],
});

function writeConfig(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

function problemOf(path: string): ConfigError {
  try {
    loadChallengeConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${path} to be rejected`);
}

describe('loadChallengeConfig', () => {
  test('loads a valid file', () => {
    const challenges = loadChallengeConfig(writeConfig('valid.json', VALID));
    expect(challenges.map((challenge) => challenge.challengeId)).toEqual(['c1']);
    expect(challenges[0]?.goals[0]?.challengeId).toBe('c1');
  });

  test('accepts a leading byte order mark', () => {
    expect(loadChallengeConfig(writeConfig('bom.json', `\uFEFF${VALID}`))).toHaveLength(1);
  });

  test('a missing file is named in the error', () => {
    const path = join(directory, 'missing.json');
    const error = problemOf(path);
    expect(error.message).toBe(`${path}: file not found`);
    expect(error.file).toBe(path);
    expect(error.path).toBe('');
  });

  test('an unreadable path is named in the error', () => {
    const path = join(directory, 'a-directory.json');
    mkdirSync(path);
    expect(problemOf(path).message).toBe(`${path}: cannot read file (EISDIR)`);
  });

  test.each([
    ['a bad value', '{\n  "challenges": [\n    { "challengeId": x }\n  ]\n}', 3, 22],
    ['a trailing comma', '{ "challenges": [1,] }', 1, 20],
    ['an empty file', '', 1, 1],
    ['trailing text', '{ "challenges": [] } extra', 1, 22],
    ['an unterminated string', '{ "challenges": "abc\n', 1, 21],
  ])('invalid JSON (%s) reports the line and column', (_label, text, line, column) => {
    const path = writeConfig('invalid.json', text);
    const error = problemOf(path);
    expect(error.message).toStartWith(`${path}: invalid JSON at line ${line}, column ${column}: `);
    expect(error.message).not.toContain('\n');
  });

  test('validation errors name the file that was read', () => {
    const path = writeConfig('bad-target.json', VALID.replace('"targetValue":1', '"targetValue":-5'));
    const error = problemOf(path);
    expect(error.message).toBe(
      `${path}: challenges[0].goals[0].requirement.targetValue: must be an integer greater than 0 and at most 2147483647 (got -5)`,
    );
  });
});
