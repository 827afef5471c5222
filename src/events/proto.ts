/**
 * The AccelByte event protos the platform calls us with, loaded from embedded text so they work
 * inside a compiled binary. Field names stay snake_case (`user_id`, `stat_code`); the wire format
 * only depends on the field numbers, so camelCase senders decode the same.
 */
import type * as protoLoader from '@grpc/proto-loader';
import type protobuf from 'protobufjs';
import accountProto from '../../proto/accelbyte/iam/account/v1/account.proto' with { type: 'text' };
import statisticProto from '../../proto/accelbyte/social/statistic/v1/statistic.proto' with { type: 'text' };
import { packageDefinitionOf, rootFromProtoTexts, serviceOf } from './proto-text.ts';

export const LOGIN_SERVICE_NAME = 'accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService';
export const STAT_SERVICE_NAME = 'accelbyte.social.statistic.v1.StatisticStatItemUpdatedService';

export const EVENT_PROTO_TEXTS: readonly string[] = [accountProto, statisticProto];

/** proto-loader options of the event services: int64 `version` arrives as a string, unset fields as defaults. */
export const EVENT_LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  defaults: true,
  oneofs: true,
} as const satisfies protoLoader.Options;

export interface EventProtos {
  /** Both services and their messages, for grpc-js and server reflection. */
  readonly packageDefinition: protoLoader.PackageDefinition;
  readonly loginService: protoLoader.ServiceDefinition;
  readonly statService: protoLoader.ServiceDefinition;
  /** protobufjs message types, for clients and tests that encode or decode by hand. */
  readonly UserLoggedIn: protobuf.Type;
  readonly StatItemUpdated: protobuf.Type;
}

/** Parses the embedded protos (a few milliseconds); call once per server or client. */
export function loadEventProtos(): EventProtos {
  const root = rootFromProtoTexts(EVENT_PROTO_TEXTS, EVENT_LOADER_OPTIONS);
  const packageDefinition = packageDefinitionOf(root, EVENT_LOADER_OPTIONS);
  return {
    packageDefinition,
    loginService: serviceOf(packageDefinition, LOGIN_SERVICE_NAME),
    statService: serviceOf(packageDefinition, STAT_SERVICE_NAME),
    UserLoggedIn: root.lookupType('accelbyte.iam.account.v1.UserLoggedIn'),
    StatItemUpdated: root.lookupType('accelbyte.social.statistic.v1.StatItemUpdated'),
  };
}
