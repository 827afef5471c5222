/**
 * Which service owns an embedded database directory is one record beside it, claimed atomically:
 * a live owner's record stands, a dead owner's is replaced, and a pid whose start time cannot be
 * checked counts only while its server runs.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimOwner, ownerFile, readOwner, removeOwner } from '../../src/db/embedded-owner.ts';

const root = mkdtempSync(join(tmpdir(), 'owner-'));
const sleeper = Bun.spawn(['sleep', '30']);
afterAll(() => {
  sleeper.kill();
  rmSync(root, { recursive: true, force: true });
});
let dirs = 0;
const dataDir = () => join(root, `pg-${++dirs}`);
const record = (dir: string, pid: number, startTime: string | null) =>
  writeFileSync(ownerFile(dir), `${JSON.stringify({ pid, startTime })}\n`);

test('a new directory is claimed, and released only by its owner', () => {
  const dir = dataDir();
  expect(claimOwner(dir, () => false)).toBeUndefined();
  expect(readOwner(dir)?.pid).toBe(process.pid);
  // Claiming again is a no-op for the owner.
  expect(claimOwner(dir, () => false)).toBeUndefined();
  removeOwner(dir);
  expect(readOwner(dir)).toBeUndefined();
  // No drafts or moved records are left behind.
  expect(readdirSync(root).filter((name) => name.includes('.tmp') || name.includes('.stale'))).toEqual([]);
});

test("a live owner's record stands; a dead owner's is replaced", () => {
  const live = dataDir();
  record(live, sleeper.pid, null);
  // Its start time unknown, a live pid holds the directory while a server runs there...
  expect(claimOwner(live, () => true)?.pid).toBe(sleeper.pid);
  // ...and not otherwise (it may be a recycled pid).
  expect(claimOwner(live, () => false)).toBeUndefined();
  expect(readOwner(live)?.pid).toBe(process.pid);

  const dead = dataDir();
  record(dead, 2 ** 22 + 12_345, '1');
  expect(claimOwner(dead, () => true)).toBeUndefined();
  expect(readOwner(dead)?.pid).toBe(process.pid);
  // A record another process removes meanwhile is not ours to remove.
  record(dead, sleeper.pid, null);
  removeOwner(dead);
  expect(readOwner(dead)?.pid).toBe(sleeper.pid);
});
