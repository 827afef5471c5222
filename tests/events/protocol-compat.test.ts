/**
 * Wire compatibility with the platform: messages encoded with protos written the way AccelByte
 * publishes them (camelCase field names, same numbers) decode with ours, and the reverse.
 */
import { describe, expect, test } from 'bun:test';
import protobuf from 'protobufjs';
import { loadEventProtos } from '../../src/events/proto.ts';
import { methodOf } from './grpc-calls.ts';

// Independent of proto/: camelCase names as in AccelByte's async-API protos.
const PUBLISHED_ACCOUNT = `
syntax = "proto3";
package accelbyte.iam.account.v1;
message UserLoggedIn {
  AnonymousSchema19 payload = 1; string id = 2; int64 version = 3; string name = 4; string namespace = 5;
  string parentNamespace = 6; string timestamp = 7; string clientId = 8; string userId = 9;
  string traceId = 10; string sessionId = 11;
}
message AnonymousSchema19 { UserAccount userAccount = 1; UserAuthentication userAuthentication = 2; }
message UserAccount {
  string userId = 1; string emailAddress = 2; string userName = 3; string country = 4; string namespace = 5;
  string platformId = 6; string displayName = 7;
}
message UserAuthentication {
  string platformId = 1; bool refresh = 2; string platformUserId = 3; string simultaneousPlatformId = 4;
  string simultaneousPlatformUserId = 5;
}
`;

const PUBLISHED_STATISTIC = `
syntax = "proto3";
package accelbyte.social.statistic.v1;
import "google/protobuf/struct.proto";
message StatItemUpdated {
  StatItem payload = 1; string id = 2; int64 version = 3; string name = 4; string namespace = 5;
  string parentNamespace = 6; string timestamp = 7; string clientId = 8; string userId = 9; string sessionId = 10;
}
message StatItem {
  string namespace = 1; string statCode = 2; string userId = 3; double latestValue = 4; double inc = 5;
  google.protobuf.Struct additionalData = 6; bool ignoreAdditionalDataOnValueRejected = 7; double defaultValue = 8;
  double requestValue = 9; string updateStrategy = 10;
}
`;

function publishedTypes() {
  const root = new protobuf.Root();
  protobuf.parse(PUBLISHED_ACCOUNT, root, { keepCase: true });
  protobuf.parse(PUBLISHED_STATISTIC, root, { keepCase: true });
  const struct = protobuf.common.get('google/protobuf/struct.proto');
  if (!struct?.nested) throw new Error('protobufjs has no bundled struct.proto');
  root.addJSON(struct.nested);
  root.resolveAll();
  return {
    UserLoggedIn: root.lookupType('accelbyte.iam.account.v1.UserLoggedIn'),
    StatItemUpdated: root.lookupType('accelbyte.social.statistic.v1.StatItemUpdated'),
  };
}

const published = publishedTypes();
const ours = loadEventProtos();
const encode = (type: protobuf.Type, value: object) =>
  Buffer.from(type.encode(type.fromObject(value)).finish());
const decodeObject = (type: protobuf.Type, bytes: Uint8Array) =>
  type.toObject(type.decode(bytes), { longs: String, defaults: true });

const loginFromPlatform = {
  payload: {
    userAccount: {
      userId: 'user-1',
      emailAddress: 'a@example.com',
      userName: 'alice',
      country: 'ID',
      namespace: 'game',
      platformId: 'steam',
      displayName: 'Alice',
    },
    userAuthentication: {
      platformId: 'steam',
      refresh: true,
      platformUserId: 'S-1',
      simultaneousPlatformId: 'epic',
      simultaneousPlatformUserId: 'E-1',
    },
  },
  id: 'event-1',
  version: 12_345_678_901,
  name: 'userLoggedIn',
  namespace: 'game',
  parentNamespace: 'studio',
  timestamp: '2026-01-02T03:04:05Z',
  clientId: 'client-1',
  userId: 'user-1',
  traceId: 'trace-1',
  sessionId: 'session-1',
};

const statFromPlatform = {
  payload: {
    namespace: 'game',
    statCode: 'enemy_kills',
    userId: 'user-2',
    latestValue: -12.5,
    inc: 2.5,
    additionalData: { fields: { map: { stringValue: 'dune' }, wins: { numberValue: 3 } } },
    ignoreAdditionalDataOnValueRejected: true,
    defaultValue: 1,
    requestValue: 7,
    updateStrategy: 'INCREMENT',
  },
  id: 'event-2',
  version: 2,
  name: 'statItemUpdated',
  namespace: 'game',
  parentNamespace: 'studio',
  timestamp: '2026-01-02T03:04:05Z',
  clientId: 'client-2',
  userId: 'user-2',
  sessionId: 'session-2',
};

describe('platform → us', () => {
  test('UserLoggedIn decodes field by field, payload included', () => {
    const bytes = encode(published.UserLoggedIn, loginFromPlatform);
    const decoded = methodOf(ours.loginService, 'OnMessage').requestDeserialize(bytes);
    expect(decoded).toEqual({
      payload: {
        user_account: {
          user_id: 'user-1',
          email_address: 'a@example.com',
          user_name: 'alice',
          country: 'ID',
          namespace: 'game',
          platform_id: 'steam',
          display_name: 'Alice',
        },
        user_authentication: {
          platform_id: 'steam',
          refresh: true,
          platform_user_id: 'S-1',
          simultaneous_platform_id: 'epic',
          simultaneous_platform_user_id: 'E-1',
        },
      },
      id: 'event-1',
      version: '12345678901',
      name: 'userLoggedIn',
      namespace: 'game',
      parent_namespace: 'studio',
      timestamp: '2026-01-02T03:04:05Z',
      client_id: 'client-1',
      user_id: 'user-1',
      trace_id: 'trace-1',
      session_id: 'session-1',
    });
  });

  test('StatItemUpdated decodes field by field, Struct included', () => {
    const bytes = encode(published.StatItemUpdated, statFromPlatform);
    const decoded = methodOf(ours.statService, 'OnMessage').requestDeserialize(bytes);
    expect(decoded).toMatchObject({
      payload: {
        namespace: 'game',
        stat_code: 'enemy_kills',
        user_id: 'user-2',
        latest_value: -12.5,
        inc: 2.5,
        additional_data: {
          fields: {
            map: { stringValue: 'dune', kind: 'stringValue' },
            wins: { numberValue: 3, kind: 'numberValue' },
          },
        },
        ignore_additional_data_on_value_rejected: true,
        default_value: 1,
        request_value: 7,
        update_strategy: 'INCREMENT',
      },
      id: 'event-2',
      version: '2',
      name: 'statItemUpdated',
      namespace: 'game',
      parent_namespace: 'studio',
      timestamp: '2026-01-02T03:04:05Z',
      client_id: 'client-2',
      user_id: 'user-2',
      session_id: 'session-2',
    });
  });

  test('our protobufjs types decode the same bytes', () => {
    const stat = decodeObject(ours.StatItemUpdated, encode(published.StatItemUpdated, statFromPlatform));
    expect(stat['payload']).toMatchObject({ stat_code: 'enemy_kills', latest_value: -12.5 });
    const login = decodeObject(ours.UserLoggedIn, encode(published.UserLoggedIn, loginFromPlatform));
    expect(login).toMatchObject({ user_id: 'user-1', id: 'event-1', version: '12345678901' });
  });
});

describe('us → platform', () => {
  test('UserLoggedIn from our serializer decodes with the published proto', () => {
    const bytes = methodOf(ours.loginService, 'OnMessage').requestSerialize({
      payload: { user_account: { user_id: 'user-1' }, user_authentication: { refresh: true } },
      id: 'event-1',
      version: '42',
      namespace: 'game',
      user_id: 'user-1',
      trace_id: 'trace-1',
      session_id: 'session-1',
    });
    expect(decodeObject(published.UserLoggedIn, bytes)).toMatchObject({
      payload: { userAccount: { userId: 'user-1' }, userAuthentication: { refresh: true } },
      id: 'event-1',
      version: '42',
      namespace: 'game',
      userId: 'user-1',
      traceId: 'trace-1',
      sessionId: 'session-1',
    });
  });

  test('StatItemUpdated from our protobufjs type decodes with the published proto', () => {
    const bytes = encode(ours.StatItemUpdated, {
      payload: {
        stat_code: 'enemy_kills',
        user_id: 'user-2',
        latest_value: 99.5,
        inc: 1,
        additional_data: { fields: { map: { stringValue: 'dune' } } },
        update_strategy: 'MAX',
      },
      id: 'event-2',
      namespace: 'game',
      user_id: 'user-2',
      client_id: 'client-2',
    });
    expect(decodeObject(published.StatItemUpdated, bytes)).toMatchObject({
      payload: {
        statCode: 'enemy_kills',
        userId: 'user-2',
        latestValue: 99.5,
        inc: 1,
        additionalData: { fields: { map: { stringValue: 'dune' } } },
        updateStrategy: 'MAX',
      },
      id: 'event-2',
      namespace: 'game',
      userId: 'user-2',
      clientId: 'client-2',
    });
  });
});
