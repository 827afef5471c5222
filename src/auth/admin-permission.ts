/**
 * AGS-style permissions, as AccelByte IAM writes them into an access token's `permissions` claim:
 * `[{"Resource": "ADMIN:NAMESPACE:mygame:CHALLENGE", "Action": 15}]`. `Action` is a bitmask of
 * CREATE 1, READ 2, UPDATE 4 and DELETE 8; a permission allows an action when it has all of its
 * bits. The matching follows the AccelByte IAM SDKs, so a role that works against other AGS
 * services works here too.
 */

export const PERMISSION_ACTIONS = { CREATE: 1, READ: 2, UPDATE: 4, DELETE: 8 } as const;
export type PermissionAction = keyof typeof PERMISSION_ACTIONS;

/** CREATE | READ | UPDATE | DELETE. */
export const ALL_ACTIONS = 15;

export interface Permission {
  readonly resource: string;
  /** A bitmask of PERMISSION_ACTIONS values. */
  readonly action: number;
}

/** The resource every admin route of this service is guarded by. */
export const adminResource = (namespace: string): string => `ADMIN:NAMESPACE:${namespace}:CHALLENGE`;

/** Every action on this service's admin resource: what a dev admin token carries. */
export const adminPermissions = (namespace: string): Permission[] => [
  { resource: adminResource(namespace), action: ALL_ACTIONS },
];

/**
 * The permissions a `permissions` claim grants; undefined when the token has no such claim.
 * IAM writes the keys as `Resource` and `Action`; the AGS SDKs decode JSON case-insensitively, so
 * `resource` and `action` are read as well. An entry of any other shape grants nothing and is
 * skipped rather than failing the token, which may still be a good player token.
 */
export function permissionsFromClaim(claim: unknown): Permission[] | undefined {
  if (claim === undefined) return undefined;
  if (!Array.isArray(claim)) return [];
  const permissions: Permission[] = [];
  for (const entry of claim) {
    if (typeof entry !== 'object' || entry === null) continue;
    const record = entry as Record<string, unknown>;
    const resource = record['Resource'] ?? record['resource'];
    const action = record['Action'] ?? record['action'];
    if (typeof resource === 'string' && Number.isSafeInteger(action) && (action as number) >= 0)
      permissions.push({ resource, action: action as number });
  }
  return permissions;
}

/** The claim's value for `permissions`, in IAM's spelling. */
export const permissionsClaim = (permissions: readonly Permission[]) =>
  permissions.map((permission) => ({ Resource: permission.resource, Action: permission.action }));

/** Whether any granted permission covers the required resource with every required action bit. */
export function isAllowed(granted: readonly Permission[], required: Permission): boolean {
  return granted.some(
    (permission) =>
      (permission.action & required.action) === required.action &&
      resourceCovers(permission.resource, required.resource),
  );
}

/**
 * Whether a granted resource covers a required one, section by section (`:`-separated), as IAM
 * decides it:
 * - a `*` section matches any one section; other sections must be equal (case-sensitive);
 * - a shorter grant ending in `*` covers everything below it, except that a `*` standing for a
 *   namespace or user id (`ADMIN:NAMESPACE:*`) covers only that level, never the resources under it;
 * - a longer grant covers the required resource only when its extra sections are all `*`.
 */
export function resourceCovers(granted: string, required: string): boolean {
  const have = granted.split(':');
  const need = required.split(':');
  const shared = Math.min(have.length, need.length);
  for (let i = 0; i < shared; i++) {
    if (have[i] !== need[i] && have[i] !== '*') return false;
  }
  if (have.length === need.length) return true;
  if (have.length < need.length) {
    if (have[have.length - 1] !== '*') return false;
    const scope = have[have.length - 2];
    return scope !== 'NAMESPACE' && scope !== 'USER';
  }
  return have.slice(need.length).every((section) => section === '*');
}
