/**
 * The list's tag stands in for its text in ETags, so a client is told "unchanged" (304) without the
 * list being rendered: two answers with the same tag must have the same text, whatever the rows,
 * the time and the filter, and replicas with the same configuration must agree on it.
 */
import { expect, test } from 'bun:test';
import { createCatalog } from '../../src/domain/catalog.ts';
import { type Challenge, GOAL_STATUSES, type ProgressState } from '../../src/domain/types.ts';
import { textOf } from '../../src/services/byte-builder.ts';
import { createChallengeRenderer } from '../../src/services/goal-json.ts';
import { makeGoal, makeRow } from '../helpers/goals.ts';

const textOrUndefined = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : textOf(bytes));

const goal = (goalId: string, overrides: Parameters<typeof makeGoal>[0] = {}) =>
  makeGoal({ challengeId: 'main', goalId, name: `Goal ${goalId}`, ...overrides });

const challenges: Challenge[] = [
  {
    challengeId: 'main',
    name: 'Main',
    description: '',
    goals: [
      goal('first'),
      goal('second', { prerequisites: ['first'] }),
      goal('daily-login', { type: 'daily', eventSource: 'login', targetValue: 1 }),
      goal('weekly', {
        progressMode: 'relative',
        rotation: { schedule: 'weekly', resetProgress: true, allowReselection: true },
      }),
    ],
  },
  {
    challengeId: 'side',
    name: 'Side',
    description: '',
    goals: [goal('side', { prerequisites: ['second'] })],
  },
];
const goalIds = challenges.flatMap((c) => c.goals.map((g) => g.goalId));

const NOW = Date.parse('2026-03-11T23:59:58.400Z');
/** Half a second, a second, and past midnight (a daily rollover) and a week. */
const INSTANTS = [0, 500, 1_000, 2_000, 7 * 86_400_000].map((offset) => new Date(NOW + offset));
const DATES = [null, new Date(NOW - 86_400_000), new Date(NOW), new Date(NOW + 1_600), new Date(NOW + 1_700)];

/** A small pseudo-random generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return (state >>> 8) % n;
  };
}

function randomRows(pick: (n: number) => number): ProgressState[] {
  const pickOf = <T>(values: readonly T[]): T => values[pick(values.length)] as T;
  return goalIds
    .filter(() => pick(3) > 0)
    .map((goalId) =>
      makeRow({
        goalId,
        progress: pick(3) * 5,
        status: pickOf(GOAL_STATUSES),
        isActive: pick(2) === 0,
        completedAt: pickOf(DATES),
        claimedAt: pickOf(DATES),
        expiresAt: pickOf(DATES),
        progressDay: pickOf([null, '2026-03-11', '2026-03-12']),
        baselineValue: pickOf([null, 0, 5]),
        periodStart: pickOf([null, '2026-03-09', '2026-03-16']),
      }),
    );
}

test('answers with the same tag have the same text, for the list and for one challenge', () => {
  const renderer = createChallengeRenderer(createCatalog(challenges));
  const pick = random(7);
  const textOfTag = new Map<string, string>();
  const tagsOfText = new Map<string, Set<string>>();
  let compared = 0;
  const check = (tag: string | undefined, text: string | undefined) => {
    if (tag === undefined || text === undefined) throw new Error('no answer');
    const seen = textOfTag.get(tag);
    if (seen === undefined) textOfTag.set(tag, text);
    else {
      compared++;
      expect(text).toBe(seen);
    }
    const tags = tagsOfText.get(text) ?? new Set();
    tags.add(tag);
    tagsOfText.set(text, tags);
  };
  for (let i = 0; i < 3_000; i++) {
    const rows = randomRows(pick);
    const now = INSTANTS[pick(INSTANTS.length)] as Date;
    const activeOnly = pick(2) === 0;
    check(renderer.listTag(rows, activeOnly, now), textOf(renderer.renderList(rows, activeOnly, now)));
    // The same rows in another order: the database returns them in no particular one.
    const shuffled = [...rows].reverse();
    check(
      renderer.listTag(shuffled, activeOnly, now),
      textOf(renderer.renderList(shuffled, activeOnly, now)),
    );
    for (const { challengeId } of challenges)
      check(
        renderer.oneTag(challengeId, rows, activeOnly, now),
        textOrUndefined(renderer.renderOne(challengeId, rows, activeOnly, now)),
      );
  }
  // Tags recur (the same answer again) and texts have few tags: the check compared answers.
  expect(compared).toBeGreaterThan(1_000);
  expect(textOfTag.size).toBeGreaterThan(1_000);
  expect(tagsOfText.size).toBeGreaterThan(1_000);
});

test('a tag changes as the time shown changes, and with the configuration', () => {
  const renderer = createChallengeRenderer(createCatalog(challenges));
  const rows = [
    makeRow({ goalId: 'first', progress: 5, status: 'in_progress', expiresAt: DATES[3] ?? null }),
  ];
  const at = (ms: number) => renderer.listTag(rows, false, new Date(NOW + ms));
  // expiresInSeconds counts down: 1 s left at NOW + 0.5 s, 0 s at NOW + 1 s.
  expect(at(500)).not.toBe(at(1_000));
  expect(textOf(renderer.renderList(rows, false, new Date(NOW + 500)))).not.toBe(
    textOf(renderer.renderList(rows, false, new Date(NOW + 1_000))),
  );

  const renamed = challenges.map((c) => ({ ...c, name: `${c.name}!` }));
  expect(createChallengeRenderer(createCatalog(renamed)).listTag(rows, false, new Date(NOW))).not.toBe(at(0));
});

test('replicas with the same configuration give the same tag', () => {
  const rows = randomRows(random(11));
  const now = new Date(NOW);
  const tags = [createCatalog(challenges), createCatalog(structuredClone(challenges))].map((catalog) =>
    createChallengeRenderer(catalog).listTag(rows, false, now),
  );
  expect(tags[0]).toBe(tags[1] as string);
});
