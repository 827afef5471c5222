import { describe, expect, test } from 'bun:test';
import {
  type NoticedGoals,
  parseProgressNotice,
  progressNoticePayloads,
} from '../../src/domain/progress-notice.ts';

const AT = new Date('2026-12-01T10:00:00.123Z');

/** Every (player, goal) pair of the notices, in order. */
const pairsOf = (changes: readonly NoticedGoals[]) =>
  changes.flatMap(({ userId, goalIds }) => goalIds.map((goalId) => `${userId}/${goalId}`));

describe('progress notices', () => {
  test('one payload names every player’s goals and the instant, and reads back', () => {
    const changes = [
      { userId: 'alice', goalIds: ['kills-10', 'logins-3'] },
      { userId: 'bob "quoted"', goalIds: ['é-goal'] },
    ];
    const payloads = progressNoticePayloads(AT, changes);
    expect(payloads).toHaveLength(1);
    expect(parseProgressNotice(payloads[0] ?? '')).toEqual({ at: AT, changes });
  });

  test('none for no players, or players with no goals', () => {
    expect(progressNoticePayloads(AT, [])).toEqual([]);
    expect(progressNoticePayloads(AT, [{ userId: 'alice', goalIds: [] }])).toEqual([]);
  });

  test('a large flush is split under the byte limit, every goal of every player in exactly one payload', () => {
    const changes = Array.from({ length: 600 }, (_, i) => ({
      userId: `user-${String(i).padStart(6, '0')}-é`,
      goalIds: Array.from({ length: 1 + (i % 13) }, (_, g) => `goal-${g}-${'x'.repeat(i % 7)}`),
    }));
    const payloads = progressNoticePayloads(AT, changes);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(7_900);
    const read = payloads.map((payload) => parseProgressNotice(payload));
    expect(pairsOf(read.flatMap((notice) => notice?.changes ?? []))).toEqual(pairsOf(changes));
    for (const notice of read) expect(notice?.at).toEqual(AT);
  });

  test('one player with more goals than a payload holds continues in the next', () => {
    const goalIds = Array.from({ length: 900 }, (_, g) => `a-rather-long-goal-id-${g}`);
    const payloads = progressNoticePayloads(AT, [{ userId: 'alice', goalIds }]);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(7_900);
    const read = payloads.flatMap((payload) => parseProgressNotice(payload)?.changes ?? []);
    expect(new Set(read.map((change) => change.userId))).toEqual(new Set(['alice']));
    expect(read.flatMap((change) => change.goalIds)).toEqual(goalIds);
  });

  test('exactly at the limit fits; one byte over starts a new payload', () => {
    const changes = [
      { userId: 'a', goalIds: ['g1', 'g2'] },
      { userId: 'b', goalIds: ['g3'] },
    ];
    const size = Buffer.byteLength(progressNoticePayloads(AT, changes)[0] ?? '');
    expect(progressNoticePayloads(AT, changes, size)).toHaveLength(1);
    const split = progressNoticePayloads(AT, changes, size - 1);
    expect(split).toHaveLength(2);
    for (const payload of split) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(size - 1);
    expect(pairsOf(split.flatMap((payload) => parseProgressNotice(payload)?.changes ?? []))).toEqual(
      pairsOf(changes),
    );
  });

  test('a payload that is not a notice reads as nothing, and malformed entries are skipped', () => {
    for (const payload of ['', 'alice', '{"at":"x","goals":[]}', '[]', '{"goals":[["a","g"]]}'])
      expect(parseProgressNotice(payload)).toBeUndefined();
    expect(parseProgressNotice('{"at":5,"goals":[["a"],[1,"g"],"b",["c","g",7]]}')).toEqual({
      at: new Date(5),
      changes: [{ userId: 'c', goalIds: ['g'] }],
    });
  });
});
