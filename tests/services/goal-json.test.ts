/**
 * The challenge renderer assembles JSON text from pieces serialised ahead of time. These tests hold
 * it to the plain `JSON.stringify` of the wire shape, byte for byte.
 */
import { describe, expect, test } from 'bun:test';
import { createCatalog } from '../../src/domain/catalog.ts';
import { isDone, viewProgress } from '../../src/domain/progress-view.ts';
import { formatTimestamp, secondsUntil } from '../../src/domain/time.ts';
import type { Challenge, GoalStatus, ProgressState } from '../../src/domain/types.ts';
import { textOf } from '../../src/services/byte-builder.ts';
import { createChallengeRenderer } from '../../src/services/goal-json.ts';
import { makeGoal, makeRow } from '../helpers/goals.ts';

const NOW = new Date('2026-03-11T08:30:00.250Z');
const NEXT_DAY = new Date('2026-03-12T21:15:00Z');
const YESTERDAY = new Date('2026-03-10T21:00:00Z');

const goal = (challengeId: string, goalId: string, overrides: Parameters<typeof makeGoal>[0] = {}) =>
  makeGoal({ challengeId, goalId, name: `Goal ${goalId}`, ...overrides });

const challenges: Challenge[] = [
  {
    challengeId: 'main',
    name: 'Main "quest" — ünïcode',
    description: 'Line one\nline two',
    goals: [
      goal('main', 'tutorial', { name: 'Tutorial ✓ "first" 日本', description: 'No row for this player' }),
      goal('main', 'level-5', { prerequisites: ['tutorial'] }),
      goal('main', 'level-10', { prerequisites: ['level-5'] }),
      goal('main', 'boss', { prerequisites: ['tutorial', 'level-10'] }),
      goal('main', 'collector', { reward: { type: 'WALLET', rewardId: 'GOLD', quantity: 250 } }),
    ],
  },
  {
    challengeId: 'daily',
    name: 'Daily',
    description: '',
    goals: [
      goal('daily', 'login-yesterday', { type: 'daily', eventSource: 'login', targetValue: 1 }),
      goal('daily', 'login-today', { type: 'daily', eventSource: 'login', targetValue: 1 }),
      goal('daily', 'login-never', { type: 'daily', eventSource: 'login', targetValue: 1 }),
      goal('daily', 'after-login', { prerequisites: ['login-today'] }),
    ],
  },
  { challengeId: 'untouched', name: 'No rows at all', description: '', goals: [goal('untouched', 'alone')] },
];

const rows: ProgressState[] = [
  makeRow({ goalId: 'level-5', progress: 5, status: 'completed', completedAt: YESTERDAY }),
  makeRow({ goalId: 'level-10', progress: 7, status: 'in_progress' }),
  makeRow({
    goalId: 'collector',
    isActive: false,
    status: 'claimed',
    completedAt: YESTERDAY,
    claimedAt: NOW,
  }),
  makeRow({
    goalId: 'login-yesterday',
    progress: 1,
    status: 'completed',
    completedAt: YESTERDAY,
    progressDay: '2026-03-10',
  }),
  makeRow({
    goalId: 'login-today',
    progress: 1,
    status: 'claimed',
    completedAt: NOW,
    claimedAt: NOW,
    progressDay: '2026-03-11',
  }),
  makeRow({ goalId: 'after-login', expiresAt: new Date('2026-04-01T00:00:00Z') }),
  makeRow({ goalId: 'not-in-config', progress: 3, status: 'in_progress' }),
];

function expectedChallenge(
  challenge: Challenge,
  states: readonly ProgressState[],
  activeOnly: boolean,
  now: Date,
) {
  const stateOf = (goalId: string) => states.find((state) => state.goalId === goalId);
  const statusOf = (goalId: string): GoalStatus => {
    const prerequisite = challenges.flatMap((c) => c.goals).find((g) => g.goalId === goalId);
    const state = stateOf(goalId);
    return prerequisite && state ? viewProgress(prerequisite, state, now).status : 'not_started';
  };
  const goals = challenge.goals
    .map((g) => ({ goal: g, view: viewProgress(g, stateOf(g.goalId), now) }))
    .filter(({ view }) => !activeOnly || view.isActive)
    .map(({ goal: g, view }) => ({
      goalId: g.goalId,
      name: g.name,
      description: g.description,
      requirement: g.requirement,
      reward: g.reward,
      prerequisites: g.prerequisites,
      progress: view.progress,
      status: view.status,
      locked: g.prerequisites.some((id) => !isDone(statusOf(id))),
      completedAt: formatTimestamp(view.completedAt),
      claimedAt: formatTimestamp(view.claimedAt),
      isActive: view.isActive,
      expiresAt: formatTimestamp(view.expiresAt),
      expiresInSeconds: secondsUntil(view.expiresAt, now),
    }));
  return {
    challengeId: challenge.challengeId,
    name: challenge.name,
    description: challenge.description,
    goals,
  };
}

describe('createChallengeRenderer', () => {
  const renderer = createChallengeRenderer(createCatalog(challenges));

  for (const now of [NOW, NEXT_DAY]) {
    for (const activeOnly of [false, true]) {
      const when = `${now.toISOString()}, activeOnly=${activeOnly}`;

      test(`renderList is JSON.stringify of the wire shape (${when})`, () => {
        const expected = { challenges: challenges.map((c) => expectedChallenge(c, rows, activeOnly, now)) };
        expect(textOf(renderer.renderList(rows, activeOnly, now))).toBe(JSON.stringify(expected));
      });

      test(`renderOne is JSON.stringify of one challenge (${when})`, () => {
        for (const challenge of challenges) {
          const expected = expectedChallenge(challenge, rows, activeOnly, now);
          const one = renderer.renderOne(challenge.challengeId, rows, activeOnly, now);
          expect(one && textOf(one)).toBe(JSON.stringify(expected));
        }
      });
    }
  }

  test('a player with no rows sees every goal unassigned, and locked behind its prerequisites', () => {
    const body = JSON.parse(textOf(renderer.renderList([], false, NOW)));
    const goals = body.challenges.flatMap((c: { goals: unknown[] }) => c.goals);
    expect(goals).toHaveLength(10);
    for (const g of goals) {
      expect(g).toMatchObject({
        progress: 0,
        status: 'not_started',
        isActive: false,
        expiresAt: '',
        expiresInSeconds: 0,
      });
      expect(g.locked).toBe(g.prerequisites.length > 0);
    }
    expect(textOf(renderer.renderList([], true, NOW))).toBe(
      JSON.stringify({
        challenges: challenges.map((c) => ({ ...expectedChallenge(c, [], true, NOW), goals: [] })),
      }),
    );
  });

  test('renderGoals gives each goal the text the list shows for it, unknown goals left out', () => {
    for (const now of [NOW, NEXT_DAY]) {
      const listed = challenges.flatMap((c) => expectedChallenge(c, rows, false, now).goals);
      const ids = [...listed.map((g) => g.goalId), 'not-configured', listed[0]?.goalId ?? ''];
      const rendered = renderer.renderGoals(ids, rows, now);
      expect([...rendered.keys()]).toEqual(listed.map((g) => g.goalId));
      for (const g of listed) expect(rendered.get(g.goalId)).toBe(JSON.stringify(g));
    }
  });

  test('an unknown challenge renders nothing', () => {
    expect(renderer.renderOne('nope', rows, false, NOW)).toBeUndefined();
  });
});
