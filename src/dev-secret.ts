/**
 * Dev auth mode's HS256 secret: DEV_JWT_SECRET when set, else one generated once and kept under the
 * data directory, so dev tokens survive restarts and `bun run cli token` can mint them.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDevSecret } from './auth/index.ts';

export const devSecretPath = (dataDir: string) => join(dataDir, 'dev-jwt-secret');

export function loadOrCreateDevSecret(
  dataDir: string,
  fromEnv: string | undefined,
): { secret: string; source: string } {
  if (fromEnv) return { secret: fromEnv, source: 'DEV_JWT_SECRET' };
  const path = devSecretPath(dataDir);
  if (existsSync(path)) return { secret: readFileSync(path, 'utf8').trim(), source: path };
  mkdirSync(dataDir, { recursive: true });
  const secret = generateDevSecret();
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { secret, source: `${path} (generated)` };
}

/** The secret the CLI mints with; undefined when the service never generated one here. */
export function readDevSecret(dataDir: string, fromEnv: string | undefined): string | undefined {
  if (fromEnv) return fromEnv;
  const path = devSecretPath(dataDir);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}
