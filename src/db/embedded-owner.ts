/**
 * Which process owns an embedded PostgreSQL data directory. A postmaster outlives a service that was
 * killed with SIGKILL, so a live postmaster alone does not say whether another service still uses
 * it: the owner record does. It holds the owner's pid and start time, so a recycled pid is not
 * mistaken for the owner.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

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
 * Makes this process the owner, atomically: the record is linked into place only if there is none,
 * so of two services starting together on one directory exactly one gets it, before either looks at
 * the server, and nobody ever reads a half-written record. A record left by a dead owner is moved
 * aside first (and put back if it turns out not to be the one judged dead). Returns the live owner
 * holding it instead, if any. Where a pid's start time cannot be read (no /proc), a live pid could
 * be a recycled one: it counts as an owner only while `serverRunning()`.
 */
export function claimOwner(dataDir: string, serverRunning: () => boolean): OwnerRecord | undefined {
  const file = ownerFile(dataDir);
  const record: OwnerRecord = { pid: process.pid, startTime: processStartTime(process.pid) };
  const draft = `${file}.${process.pid}.tmp`;
  writeFileSync(draft, `${JSON.stringify(record)}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(draft, file);
        return undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readOwner(dataDir);
      if (holder && isCurrentProcess(holder)) return undefined;
      if (holder && isOwnerAlive(holder) && (holder.startTime !== null || serverRunning())) return holder;
      moveAsideIfStill(file, holder);
    }
  } finally {
    rmSync(draft, { force: true });
  }
  throw new Error(`could not record this process as the owner of the embedded database in ${dataDir}`);
}

/** Moves the record aside if it is still `stale` (another start may have claimed it meanwhile). */
function moveAsideIfStill(file: string, stale: OwnerRecord | undefined): void {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return; // gone already: claim again
  }
  const moved = readRecord(aside);
  const same = moved?.pid === stale?.pid && moved?.startTime === stale?.startTime;
  if (!same) {
    // Someone else's fresh record: put it back, unless yet another start claimed since.
    try {
      linkSync(aside, file);
    } catch {
      // the newer record stands
    }
  }
  rmSync(aside, { force: true });
}

export function readOwner(dataDir: string): OwnerRecord | undefined {
  return readRecord(ownerFile(dataDir));
}

function readRecord(file: string): OwnerRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<OwnerRecord>;
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, startTime: typeof parsed.startTime === 'string' ? parsed.startTime : null };
  } catch {
    return undefined;
  }
}

/** Removes the record if it is this process's: never another service's that claimed it since. */
export function removeOwner(dataDir: string): void {
  if (readOwner(dataDir)?.pid === process.pid) rmSync(ownerFile(dataDir), { force: true });
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
