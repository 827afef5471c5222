/** Selection rules: id de-duplication, the random pool, the random pick and the write plan. */
import { describe, expect, test } from 'bun:test';
import {
  cryptoRandomInt,
  pickRandom,
  planSelection,
  randomPool,
  type SelectionView,
  uniqueIds,
} from '../../src/domain/goal-selection.ts';
import type { GoalStatus } from '../../src/domain/types.ts';
import { makeGoal } from '../helpers/goals.ts';

const goals = [
  makeGoal({ goalId: 'a' }),
  makeGoal({ goalId: 'b' }),
  makeGoal({ goalId: 'c', prerequisites: ['a'] }),
  makeGoal({ goalId: 'd', prerequisites: ['elsewhere'] }),
];

const views = (
  entries: Readonly<Record<string, readonly [GoalStatus, boolean]>>,
): Map<string, SelectionView> =>
  new Map(Object.entries(entries).map(([goalId, [status, isActive]]) => [goalId, { status, isActive }]));

describe('uniqueIds', () => {
  test.each([
    [[], []],
    [['a'], ['a']],
    [
      ['b', 'a', 'b', 'c', 'a'],
      ['b', 'a', 'c'],
    ],
  ])('%p → %p (first occurrence order)', (ids, expected) => {
    expect(uniqueIds(ids)).toEqual(expected);
  });
});

describe('randomPool', () => {
  const none = { excludeActive: false, replaceExisting: false };
  const exclude = { excludeActive: true, replaceExisting: false };
  const replace = { excludeActive: false, replaceExisting: true };
  test.each([
    ['no rows: goals whose prerequisites are open are left out', {}, none, ['a', 'b']],
    ['a completed goal is left out, and unlocks its dependant', { a: ['completed', true] }, none, ['b', 'c']],
    ['a claimed goal is left out, and unlocks its dependant', { a: ['claimed', false] }, none, ['b', 'c']],
    ['in progress goals stay in', { a: ['in_progress', false], b: ['in_progress', true] }, none, ['a', 'b']],
    ['active goals stay in without the flags', { a: ['not_started', true] }, none, ['a', 'b']],
    ['excludeActive leaves active goals out', { a: ['not_started', true] }, exclude, ['b']],
    ['replaceExisting leaves active goals out', { b: ['in_progress', true] }, replace, ['a']],
    ['inactive rows stay in with the flags', { a: ['in_progress', false] }, exclude, ['a', 'b']],
    [
      'a prerequisite in another challenge counts by its status',
      { elsewhere: ['claimed', false] },
      none,
      ['a', 'b', 'd'],
    ],
    ['a prerequisite only in progress keeps the goal out', { a: ['in_progress', true] }, none, ['a', 'b']],
    [
      'everything done or active with the flag: empty',
      { a: ['completed', false], b: ['claimed', false], c: ['not_started', true] },
      exclude,
      [],
    ],
  ] as const)('%s', (_name, rows, options, expected) => {
    const pool = randomPool(goals, views(rows), options);
    expect(pool.map((goal) => goal.goalId)).toEqual([...expected]);
  });
});

describe('pickRandom', () => {
  test('partial Fisher–Yates: each step swaps in the item the random index names', () => {
    const draws = [2, 0, 1];
    const picked = pickRandom(['a', 'b', 'c', 'd'], 3, () => draws.shift() ?? 0);
    // [a b c d] → swap 0,2 → [c b a d] → swap 1,1 → [c b a d] → swap 2,3 → [c b d a]
    expect(picked).toEqual(['c', 'b', 'd']);
  });

  test('asks for indices within the remaining part only', () => {
    const bounds: number[] = [];
    pickRandom([1, 2, 3, 4, 5], 3, (bound) => {
      bounds.push(bound);
      return bound - 1;
    });
    expect(bounds).toEqual([5, 4, 3]);
  });

  test.each([
    [0, 0],
    [2, 2],
    [5, 5],
    [9, 5],
  ])('count %p of 5 gives %p distinct items', (count, size) => {
    const picked = pickRandom(['a', 'b', 'c', 'd', 'e'], count);
    expect(picked).toHaveLength(size);
    expect(new Set(picked).size).toBe(size);
  });

  test('does not change its input', () => {
    const items = ['a', 'b', 'c'];
    pickRandom(items, 3);
    expect(items).toEqual(['a', 'b', 'c']);
  });

  test('every pool member is chosen, at every position, with no duplicates', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const firsts = new Map<string, number>();
    const anywhere = new Set<string>();
    for (let round = 0; round < 3_000; round++) {
      const picked = pickRandom(items, 2);
      expect(new Set(picked).size).toBe(2);
      const first = picked[0] ?? '';
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
      for (const item of picked) anywhere.add(item);
    }
    expect([...anywhere].sort()).toEqual(items);
    // 500 expected per item; a uniform draw stays far inside these bounds.
    for (const item of items) {
      expect(firsts.get(item) ?? 0).toBeGreaterThan(350);
      expect(firsts.get(item) ?? 0).toBeLessThan(650);
    }
  });
});

describe('cryptoRandomInt', () => {
  test.each([1, 2, 3, 7, 1000, 2 ** 31 + 1])('stays in [0, %p)', (bound) => {
    for (let i = 0; i < 200; i++) {
      const value = cryptoRandomInt(bound);
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(bound);
    }
  });

  test('reaches every value of a small range', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(cryptoRandomInt(5));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('planSelection', () => {
  test.each([
    [
      'adds: only goals not yet active are activated',
      { a: ['in_progress', true] },
      ['a', 'b'],
      false,
      ['b'],
      [],
    ],
    ['adds: nothing is deactivated', { c: ['not_started', true] }, ['a'], false, ['a'], []],
    [
      'replaces: active goals left out are deactivated, in configuration order',
      { d: ['not_started', true], b: ['completed', true], a: ['not_started', false] },
      ['a'],
      true,
      ['a'],
      ['b', 'd'],
    ],
    [
      'replaces: a goal selected again stays active and is not replaced',
      { a: ['in_progress', true], b: ['not_started', true] },
      ['a', 'c'],
      true,
      ['c'],
      ['b'],
    ],
    ['same selection again: nothing to write', { a: ['not_started', true] }, ['a'], true, [], []],
  ] as const)('%s', (_name, rows, selected, replace, activate, deactivate) => {
    const plan = planSelection(goals, views(rows), selected, replace);
    expect(plan).toEqual({ activate: [...activate], deactivate: [...deactivate] });
  });
});
