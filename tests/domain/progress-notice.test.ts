import { describe, expect, test } from 'bun:test';
import { parseProgressNotice, progressNoticePayloads } from '../../src/domain/progress-notice.ts';

const AT = new Date('2026-12-01T10:00:00.123Z');

describe('progress notices', () => {
  test('one payload names every player and the instant, and reads back', () => {
    const payloads = progressNoticePayloads(AT, ['alice', 'bob "quoted"', 'élodie']);
    expect(payloads).toHaveLength(1);
    expect(parseProgressNotice(payloads[0] ?? '')).toEqual({
      at: AT,
      userIds: ['alice', 'bob "quoted"', 'élodie'],
    });
  });

  test('none for no players', () => {
    expect(progressNoticePayloads(AT, [])).toEqual([]);
  });

  test('a large flush is split under the byte limit, every player in exactly one payload', () => {
    const users = Array.from({ length: 3_000 }, (_, i) => `user-${String(i).padStart(6, '0')}-é`);
    const payloads = progressNoticePayloads(AT, users);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(7_900);
    const read = payloads.map((payload) => parseProgressNotice(payload));
    expect(read.flatMap((notice) => notice?.userIds ?? [])).toEqual(users);
    for (const notice of read) expect(notice?.at).toEqual(AT);
  });

  test('exactly at the limit fits; one byte over starts a new payload', () => {
    const one = progressNoticePayloads(AT, ['a', 'b']);
    const size = Buffer.byteLength(one[0] ?? '');
    expect(progressNoticePayloads(AT, ['a', 'b'], size)).toHaveLength(1);
    expect(progressNoticePayloads(AT, ['a', 'b'], size - 1)).toHaveLength(2);
  });

  test('a payload that is not a notice reads as nothing', () => {
    for (const payload of ['', 'alice', '{"at":"x","users":[]}', '[]', '{"users":["a"]}'])
      expect(parseProgressNotice(payload)).toBeUndefined();
  });
});
