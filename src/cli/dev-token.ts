/** Dev-mode tokens for the CLI: the secret the service signs with, and minting with it. */
import { adminPermissions, mintDevToken } from '../auth/index.ts';
import { readDevSecret } from '../dev-secret.ts';
import { fail } from './fail.ts';

/** DEV_JWT_SECRET, else the secret the service generated under DATA_DIR; a usage error when neither exists. */
export function devSecretOrFail(): string {
  const dataDir = process.env['DATA_DIR'] ?? '.data';
  const secret = readDevSecret(dataDir, process.env['DEV_JWT_SECRET']);
  if (!secret) {
    fail(
      `no dev secret found: set DEV_JWT_SECRET, or start the service once (bun start) so it creates ${dataDir}/dev-jwt-secret`,
    );
  }
  return secret;
}

export const defaultNamespace = () => process.env['AB_NAMESPACE'] ?? 'accelbyte';

/** Who a dev admin token names when no user is given; the audit trail records it. */
export const DEFAULT_ADMIN_ID = 'cli-admin';

/** With `admin`, the token carries every action on the namespace's admin permission. */
export function mintCliToken(
  userId: string,
  options: { namespace?: string; expiresInSeconds?: number; admin?: boolean } = {},
) {
  const namespace = options.namespace ?? defaultNamespace();
  return mintDevToken({
    secret: devSecretOrFail(),
    userId,
    namespace,
    expiresInSeconds: options.expiresInSeconds ?? 3600,
    ...(options.admin ? { permissions: adminPermissions(namespace) } : {}),
  });
}
