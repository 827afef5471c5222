/**
 * How the admin commands authenticate: with `--token` (jwks mode: a token with the admin
 * permission), `--mock-admin` (mock mode), or else a dev admin token minted here for `--as` (dev
 * mode, with DEV_JWT_SECRET or the secret `bun start` generated).
 */
import type { Command } from 'commander';
import { readDevSecret } from '../dev-secret.ts';
import { type ApiAnswer, type ApiCall, type ApiClient, createApiClient } from './api-client.ts';
import { type ConnectionOptions, connectionOf, runWith, withConnectionOptions } from './api-commands.ts';
import { DEFAULT_ADMIN_ID, mintCliToken } from './dev-token.ts';
import { fail } from './fail.ts';

export interface AdminOptions extends ConnectionOptions {
  as: string;
  token?: string;
  mockAdmin?: string;
}

export function withAdminOptions(command: Command): Command {
  return withConnectionOptions(command)
    .option('--as <adminId>', 'dev mode: the admin the minted token names (audited)', DEFAULT_ADMIN_ID)
    .option('--token <jwt>', 'bearer token with the admin permission (e.g. from: bun run cli token --admin)')
    .option('--mock-admin <adminId>', 'send x-mock-admin-id (AUTH_MODE=mock services)');
}

async function adminClient(options: AdminOptions): Promise<ApiClient> {
  const { baseUrl, timeoutMs } = connectionOf(options);
  if (options.token !== undefined && options.mockAdmin !== undefined)
    fail('pass either --token or --mock-admin, not both');
  if (options.mockAdmin !== undefined)
    return createApiClient({ baseUrl, auth: { mockAdmin: options.mockAdmin }, timeoutMs });
  if (options.token !== undefined)
    return createApiClient({ baseUrl, auth: { token: options.token }, timeoutMs });
  const dataDir = process.env['DATA_DIR'] ?? '.data';
  if (!readDevSecret(dataDir, process.env['DEV_JWT_SECRET']))
    fail(
      `no admin credential: pass --token <jwt> or --mock-admin <id>, or set DEV_JWT_SECRET (or start the service once so it creates ${dataDir}/dev-jwt-secret) to mint a dev admin token`,
    );
  const token = await mintCliToken(options.as, { admin: true });
  return createApiClient({ baseUrl, auth: { token }, timeoutMs });
}

export const runAsAdmin = async <T>(
  options: AdminOptions,
  call: ApiCall<T>,
  render: (answer: ApiAnswer<T>) => string,
) => runWith(options, await adminClient(options), call, render);
