/**
 * A database that stops answering without refusing anything: SIGSTOP on the postmaster and every
 * backend. Connections stay open and statements sent to it just wait, as behind a dropped network
 * path or a lock nobody releases. `thaw` lets it carry on where it stopped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The postmaster and all its descendants, from /proc. */
function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent; the command name before it may contain spaces.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), pid]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(rootPid);
  return tree;
}

export function postmasterPid(dataDir: string): number {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster pid in ${dataDir}`);
  return pid;
}

export function freezePostgres(dataDir: string): { thaw(): void } {
  const pids = processTree(postmasterPid(dataDir));
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // A backend that ended since the tree was read.
      }
    }
  };
  signal('SIGSTOP');
  let thawed = false;
  return {
    thaw() {
      if (thawed) return;
      thawed = true;
      signal('SIGCONT');
    },
  };
}
