/** AGS permission matching: resources with wildcards, action bits, and reading the claim. */
import { describe, expect, test } from 'bun:test';
import {
  adminResource,
  isAllowed,
  PERMISSION_ACTIONS,
  permissionsFromClaim,
  resourceCovers,
} from '../../src/auth/admin-permission.ts';

const REQUIRED = 'ADMIN:NAMESPACE:mygame:CHALLENGE';

describe('resourceCovers', () => {
  test.each([
    ['ADMIN:NAMESPACE:mygame:CHALLENGE', true],
    ['ADMIN:NAMESPACE:*:CHALLENGE', true],
    ['ADMIN:NAMESPACE:mygame:*', true],
    ['ADMIN:*', true],
    ['*', true],
    ['ADMIN:NAMESPACE:mygame:CHALLENGE:*', true],
    ['ADMIN:NAMESPACE:mygame:CHALLENGE:*:*', true],
    // A `*` in the namespace position stands for one namespace, not everything under it.
    ['ADMIN:NAMESPACE:*', false],
    ['ADMIN:NAMESPACE:other:CHALLENGE', false],
    ['ADMIN:NAMESPACE:mygame:CHALLENGE:CONFIG', false],
    ['ADMIN:NAMESPACE:mygame', false],
    ['NAMESPACE:mygame:CHALLENGE', false],
    ['admin:namespace:mygame:challenge', false],
    ['ADMIN:NAMESPACE:mygame:STATISTIC', false],
  ])('%s → %p', (granted, covers) => {
    expect(resourceCovers(granted, REQUIRED)).toBe(covers);
  });
});

describe('isAllowed', () => {
  const required = (action: keyof typeof PERMISSION_ACTIONS) => ({
    resource: adminResource('mygame'),
    action: PERMISSION_ACTIONS[action],
  });

  test('needs every bit of the action on a covering resource', () => {
    const readOnly = [{ resource: REQUIRED, action: 2 }];
    expect(isAllowed(readOnly, required('READ'))).toBe(true);
    expect(isAllowed(readOnly, required('UPDATE'))).toBe(false);
    expect(isAllowed([{ resource: REQUIRED, action: 15 }], required('DELETE'))).toBe(true);
    expect(isAllowed([{ resource: REQUIRED, action: 4 | 8 }], required('UPDATE'))).toBe(true);
    expect(isAllowed([{ resource: REQUIRED, action: 4 | 8 }], required('READ'))).toBe(false);
  });

  test('any one permission may grant it; none grants nothing', () => {
    const granted = [
      { resource: 'ADMIN:NAMESPACE:other:CHALLENGE', action: 15 },
      { resource: 'ADMIN:NAMESPACE:*:CHALLENGE', action: 2 },
    ];
    expect(isAllowed(granted, required('READ'))).toBe(true);
    expect(isAllowed(granted, required('UPDATE'))).toBe(false);
    expect(isAllowed([], required('READ'))).toBe(false);
  });
});

describe('permissionsFromClaim', () => {
  test("reads IAM's Resource/Action and the lower-case spelling", () => {
    expect(
      permissionsFromClaim([
        { Resource: REQUIRED, Action: 2 },
        { resource: 'ADMIN:*', action: 15 },
      ]),
    ).toEqual([
      { resource: REQUIRED, action: 2 },
      { resource: 'ADMIN:*', action: 15 },
    ]);
  });

  test('no claim is undefined; malformed entries grant nothing', () => {
    expect(permissionsFromClaim(undefined)).toBeUndefined();
    expect(permissionsFromClaim('ADMIN:*')).toEqual([]);
    expect(
      permissionsFromClaim([
        null,
        'ADMIN:*',
        { Resource: REQUIRED },
        { Resource: REQUIRED, Action: '15' },
        { Resource: REQUIRED, Action: 1.5 },
        { Resource: REQUIRED, Action: -1 },
        { Resource: 7, Action: 15 },
      ]),
    ).toEqual([]);
  });
});
