/**
 * Which process owns an embedded PostgreSQL data directory. A postmaster outlives a service that was
 * killed with SIGKILL, so a live postmaster alone does not say whether another service still uses
 * it: the owner record does. It holds the owner's pid and start time, so a recycled pid is not
 * mistaken for the owner.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface OwnerRecord {
  readonly pid: number;
  /** Clock ticks since boot (/proc/<pid>/stat field 22); null where /proc is missing. */
  readonly startTime: string | null;
}

/** The record lives beside the data directory: initdb refuses a directory that is not empty. */
export function ownerFile(dataDir: string): string {
  return `${dataDir}.owner`;
}

/**
 * Makes this process the owner, atomically: the record is created only if there is none, so of two
 * services starting together on one directory exactly one gets it, before either looks at the
 * server. A record left by a dead owner is replaced. Returns the live owner that holds it instead,
 * if any.
 */
export function claimOwner(dataDir: string): OwnerRecord | undefined {
  const record: OwnerRecord = { pid: process.pid, startTime: processStartTime(process.pid) };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(ownerFile(dataDir), `${JSON.stringify(record)}\n`, { flag: 'wx' });
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readOwner(dataDir);
    if (holder && isOwnerAlive(holder) && !isCurrentProcess(holder)) return holder;
    if (holder && isCurrentProcess(holder)) return undefined;
    // A dead owner's record (or one half written): gone, then claimed again.
    rmSync(ownerFile(dataDir), { force: true });
  }
  return readOwner(dataDir);
}

export function readOwner(dataDir: string): OwnerRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(ownerFile(dataDir), 'utf8')) as Partial<OwnerRecord>;
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, startTime: typeof parsed.startTime === 'string' ? parsed.startTime : null };
  } catch {
    return undefined;
  }
}

/** Removes the record if it is this process's: never another service's that claimed it since. */
export function removeOwner(dataDir: string): void {
  const holder = readOwner(dataDir);
  if (holder === undefined || holder.pid === process.pid) rmSync(ownerFile(dataDir), { force: true });
}

/** Whether the recorded process is still the one that wrote the record. */
export function isOwnerAlive(owner: OwnerRecord): boolean {
  if (!isAlive(owner.pid)) return false;
  return owner.startTime === null || processStartTime(owner.pid) === owner.startTime;
}

export function isCurrentProcess(owner: OwnerRecord): boolean {
  return owner.pid === process.pid && isOwnerAlive(owner);
}

/**
 * Whether a process with this id runs (signal 0 checks without signalling). A zombie does not: in a
 * container whose init never reaps, a killed orphan stays one forever.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return statFields(pid)?.[0] !== 'Z';
}

/** The command name of a process (Linux), or undefined where /proc cannot tell. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function processStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** /proc/<pid>/stat from field 3 (state) on; field n is at index n - 3. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
