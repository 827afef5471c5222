import { describe, expect, test } from 'bun:test';
import { compareLoss, mergeCounts } from '../../loadtest/lib/loss-check.ts';

describe('loss check', () => {
  test('every acknowledged login applied once: nothing lost, nothing doubled', () => {
    const report = compareLoss(
      new Map([
        ['a', 3],
        ['b', 1],
      ]),
      new Map([['a', 10]]),
      new Map([
        ['a', 13],
        ['b', 1],
      ]),
    );
    expect(report).toEqual({ acknowledged: 4, applied: 4, lost: 0, appliedTwice: 0 });
  });

  test('shortfalls and surpluses are counted per player, so they cannot cancel out', () => {
    const report = compareLoss(
      new Map([
        ['a', 5],
        ['b', 5],
      ]),
      new Map(),
      new Map([
        ['a', 3],
        ['b', 7],
        ['c', 1],
      ]),
    );
    expect(report.lost).toBe(2);
    expect(report.appliedTwice).toBe(3);
    expect(report.acknowledged).toBe(10);
    expect(report.applied).toBe(11);
  });

  test('a player acknowledged but missing from the database lost every login', () => {
    expect(compareLoss(new Map([['ghost', 4]]), new Map(), new Map()).lost).toBe(4);
  });

  test('counts from several generator processes add up', () => {
    const merged = mergeCounts([
      [
        ['a', 1],
        ['b', 2],
      ],
      [['a', 4]],
    ]);
    expect(merged).toEqual(
      new Map([
        ['a', 5],
        ['b', 2],
      ]),
    );
  });
});
