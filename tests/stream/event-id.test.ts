import { describe, expect, test } from 'bun:test';
import { compareCursors, formatEventId, parseEventId } from '../../src/stream/event-id.ts';

describe('stream event ids', () => {
  test('an outbox position reads back from its id', () => {
    const cursor = { tx: '81234', id: '977' };
    expect(parseEventId(formatEventId(cursor))).toEqual(cursor);
    expect(parseEventId(' 007-010 ')).toEqual({ tx: '7', id: '10' });
  });

  test('anything else is not an id', () => {
    for (const text of ['', '12', '1-', '-1', '1-2-3', 'a-1', '1.2', `${2n ** 64n}-1`, `1-${2n ** 63n}`])
      expect({ text, cursor: parseEventId(text) }).toEqual({ text, cursor: undefined });
  });

  test('positions order by transaction, then id, as numbers', () => {
    expect(compareCursors({ tx: '9', id: '100' }, { tx: '10', id: '1' })).toBe(-1);
    expect(compareCursors({ tx: '10', id: '9' }, { tx: '10', id: '10' })).toBe(-1);
    expect(compareCursors({ tx: '10', id: '10' }, { tx: '10', id: '10' })).toBe(0);
    expect(compareCursors({ tx: '11', id: '1' }, { tx: '10', id: '99' })).toBe(1);
  });
});
