/**
 * TypeBox schemas: request validation and the OpenAPI document at /swagger/json. Response schemas
 * are documentation only, so they use plain TypeBox integers and string enums: Elysia's `t.Integer`
 * also accepts numeric strings and documents itself as such.
 */
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import type { OpenAPIV3 } from 'openapi-types';
import { ADMIN_ACTIONS, EVENT_UNCHANGED_REASONS, GOAL_UNCHANGED_REASONS } from '../domain/audit.ts';
import { ERROR_CODES } from '../domain/errors.ts';
import { DELIVERY_STATES } from '../domain/outbox-delivery.ts';
import { OUTBOX_MESSAGE_TYPES } from '../domain/outbox-message.ts';
import { MAX_PROGRESS } from '../domain/progress.ts';
import { GOAL_STATUSES, REWARD_TYPES } from '../domain/types.ts';

/** A string enum as OpenAPI 3.0 lists one (a union of literals would be an `anyOf` of `const`s). */
const stringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** OpenAPI 3.0 has no `null` type: a nullable object is the object with `nullable: true`. */
const nullable = <T extends TObject>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });

const Timestamp = t.String({
  description: 'RFC 3339 UTC, or "" when there is no value',
  example: '2026-03-10T12:00:00Z',
});

/** Player routes take a bearer token, or in mock auth mode the user id in `x-mock-user-id`. */
export const PLAYER_SECURITY: OpenAPIV3.SecurityRequirementObject[] = [{ bearer: [] }, { mockUser: [] }];

/** The live stream also takes the token as `?access_token=`: browsers' EventSource cannot send headers. */
export const STREAM_SECURITY: OpenAPIV3.SecurityRequirementObject[] = [
  ...PLAYER_SECURITY,
  { accessToken: [] },
];

/**
 * Admin routes take a bearer token granting the admin permission (see README "Admin API and its
 * authorisation"), or in mock auth mode the admin's id in `x-mock-admin-id`.
 */
export const ADMIN_SECURITY: OpenAPIV3.SecurityRequirementObject[] = [{ bearer: [] }, { mockAdmin: [] }];

export const Requirement = t.Object({
  statCode: t.String(),
  operator: stringEnum(['>=']),
  targetValue: Type.Integer({ minimum: 1 }),
});

export const Reward = t.Object({
  type: stringEnum(REWARD_TYPES),
  rewardId: t.String(),
  quantity: Type.Integer({ minimum: 1 }),
});

const Status = stringEnum(GOAL_STATUSES);

export const GoalProgress = t.Object({
  goalId: t.String(),
  name: t.String(),
  description: t.String(),
  requirement: Requirement,
  reward: Reward,
  prerequisites: t.Array(t.String()),
  progress: Type.Integer(),
  status: Status,
  locked: t.Boolean({ description: 'Some prerequisite is neither completed nor claimed for this player' }),
  completedAt: Timestamp,
  claimedAt: Timestamp,
  isActive: t.Boolean(),
  expiresAt: Timestamp,
  expiresInSeconds: Type.Integer(),
});

export const Challenge = t.Object({
  challengeId: t.String(),
  name: t.String(),
  description: t.String(),
  goals: t.Array(GoalProgress),
});

export const ChallengeList = t.Object({ challenges: t.Array(Challenge) });

export const AssignedGoal = t.Object({
  challengeId: t.String(),
  goalId: t.String(),
  name: t.String(),
  description: t.String(),
  isActive: t.Boolean(),
  assignedAt: Timestamp,
  expiresAt: Timestamp,
  progress: Type.Integer(),
  target: Type.Integer(),
  status: Status,
  requirement: Requirement,
  reward: Reward,
});

export const InitializeResponse = t.Object({
  assignedGoals: t.Array(AssignedGoal),
  newAssignments: Type.Integer({ description: 'Rows created by this call' }),
  totalActive: Type.Integer(),
});

export const SetActiveBody = t.Object(
  {
    isActive: t.Optional(t.Boolean()),
    is_active: t.Optional(t.Boolean({ description: 'snake_case spelling of isActive' })),
  },
  { additionalProperties: true },
);

/**
 * What the document shows for the bodies: camelCase keys only (Swagger UI builds its example from
 * every listed property, so the validation schemas would show both spellings), with the snake_case
 * spellings named in the description, and `count` as the whole number it must be.
 */
const SetActiveDoc = t.Object(
  { isActive: t.Boolean() },
  { description: 'The key may also be spelled `is_active`.' },
);

export const SetActiveResponse = t.Object({
  challengeId: t.String(),
  goalId: t.String(),
  isActive: t.Boolean(),
  assignedAt: Timestamp,
  message: t.String(),
});

export const ClaimResponse = t.Object({
  goalId: t.String(),
  status: stringEnum(['claimed']),
  reward: Reward,
  claimedAt: Timestamp,
});

export const BatchSelectBody = t.Object(
  {
    goalIds: t.Optional(
      t.Array(t.String(), { description: 'Goals of this challenge to activate; repeats count once' }),
    ),
    goal_ids: t.Optional(t.Array(t.String(), { description: 'snake_case spelling of goalIds' })),
    replaceExisting: t.Optional(
      t.Boolean({ description: 'Deactivate the active goals of this challenge that are not listed' }),
    ),
    replace_existing: t.Optional(t.Boolean({ description: 'snake_case spelling of replaceExisting' })),
  },
  { additionalProperties: true },
);

const BatchSelectDoc = t.Object(
  {
    goalIds: t.Array(t.String(), { description: 'Goals of this challenge to activate; repeats count once' }),
    replaceExisting: t.Optional(
      t.Boolean({ description: 'Deactivate the active goals of this challenge that are not listed' }),
    ),
  },
  { description: 'The keys may also be spelled `goal_ids` and `replace_existing`.' },
);

export const RandomSelectBody = t.Object(
  {
    count: t.Optional(
      t.Number({ description: 'Whole number > 0; a smaller pool gives fewer goals, an empty one 400' }),
    ),
    replaceExisting: t.Optional(
      t.Boolean({ description: 'Deactivate the active goals of this challenge; they are not drawn again' }),
    ),
    replace_existing: t.Optional(t.Boolean({ description: 'snake_case spelling of replaceExisting' })),
    excludeActive: t.Optional(t.Boolean({ description: 'Never draw a goal that is already active' })),
    exclude_active: t.Optional(t.Boolean({ description: 'snake_case spelling of excludeActive' })),
  },
  { additionalProperties: true },
);

const RandomSelectDoc = t.Object(
  {
    count: Type.Integer({
      minimum: 1,
      description:
        'A smaller pool gives fewer goals, an empty one 400; anything but a whole number > 0 is 400',
    }),
    replaceExisting: t.Optional(
      t.Boolean({ description: 'Deactivate the active goals of this challenge; they are not drawn again' }),
    ),
    excludeActive: t.Optional(t.Boolean({ description: 'Never draw a goal that is already active' })),
  },
  { description: 'The keys may also be spelled `replace_existing` and `exclude_active`.' },
);

/** Request bodies as documented, for each route's `detail.requestBody` (see openapi.ts). */
export const DOCUMENTED_BODIES = {
  setActive: jsonBody(SetActiveDoc),
  batchSelect: jsonBody(BatchSelectDoc),
  randomSelect: jsonBody(RandomSelectDoc),
};

export const SelectedGoal = t.Object({
  goalId: t.String(),
  name: t.String(),
  description: t.String(),
  requirement: Requirement,
  reward: Reward,
  status: Status,
  progress: Type.Integer(),
  target: Type.Integer(),
  isActive: t.Boolean(),
  assignedAt: Timestamp,
  expiresAt: Timestamp,
});

export const GoalSelectionResponse = t.Object({
  selectedGoals: t.Array(SelectedGoal, { description: 'In request order (batch) or draw order (random)' }),
  challengeId: t.String(),
  totalActiveGoals: Type.Integer({ description: 'Active goals of this challenge after the call' }),
  replacedGoals: t.Array(t.String(), { description: 'Goals this call deactivated' }),
});

const RotationPeriod = t.Object({
  startTime: Timestamp,
  endTime: Timestamp,
  expiresInSeconds: Type.Integer({ description: 'Whole seconds until endTime; always 0 for nextPeriod' }),
});

export const RotationStatusResponse = t.Object({
  challengeId: t.String(),
  rotation: t.Object({
    enabled: t.Boolean(),
    type: stringEnum(['global', ''], { description: '"" when no goal of the challenge rotates' }),
    schedule: stringEnum(['daily', 'weekly', 'monthly', ''], { description: '"" without rotation' }),
    currentPeriod: nullable(RotationPeriod),
    nextPeriod: nullable(RotationPeriod),
  }),
});

export const DeleteUserDataResponse = t.Object({
  userId: t.String(),
  rowsDeleted: t.String({ description: 'progress rows deleted, as a decimal string (int64)' }),
});

const ConfigHead = {
  version: t.String({ description: 'Content hash of the rules: equal rules, equal version' }),
  source: stringEnum(['file', 'api']),
  appliedBy: t.String({ description: "The file's path, or the admin's user id" }),
  appliedAt: Timestamp,
};

const ConfigDiff = t.Object({
  challengesAdded: t.Array(t.String()),
  challengesRemoved: t.Array(t.String()),
  goalsAdded: t.Array(t.String()),
  goalsRemoved: t.Array(t.String()),
  goalsChanged: t.Array(
    t.Object({
      goalId: t.String(),
      challengeId: t.String(),
      fields: t.Array(t.String(), { description: 'The goal fields that differ' }),
      retargeted: t.Boolean({
        description: 'A field that decides what counts changed (stat code, target, type, counting, source)',
      }),
    }),
  ),
});

const GoalImpact = t.Object({
  goalId: t.String(),
  players: Type.Integer({ description: 'Players with a row for the goal' }),
  inProgress: Type.Integer(),
  completedUnclaimed: Type.Integer(),
});

export const ConfigResponse = t.Object({
  ...ConfigHead,
  config: t.Object({}, { additionalProperties: true, description: 'The document in force, as applied' }),
  history: t.Array(t.Object(ConfigHead), { description: 'The newest applied configurations, newest first' }),
});

export const ConfigValidationResponse = t.Object({
  valid: t.Boolean(),
  version: t.Optional(t.String()),
  unchanged: t.Optional(t.Boolean({ description: 'The candidate has the rules in force' })),
  diff: t.Optional(ConfigDiff),
  impact: t.Optional(t.Object({ removed: t.Array(GoalImpact), retargeted: t.Array(GoalImpact) })),
  errors: t.Optional(
    t.Array(
      t.Object({ path: t.String({ description: 'JSON path in the candidate' }), message: t.String() }),
      {
        description: 'When not valid: the first problem found, as start-up reports it',
      },
    ),
  ),
});

export const ConfigApplyResponse = t.Object({ ...ConfigHead, diff: ConfigDiff });

export const HealthResponse = t.Object({ status: stringEnum(['healthy']) });

export const ErrorBody = t.Object({
  error: stringEnum(ERROR_CODES),
  code: Type.Integer({ description: 'gRPC status number' }),
  message: t.String(),
  details: t.Array(t.Unknown()),
});

export const ActiveOnlyQuery = t.Object({
  active_only: t.Optional(
    t.String({
      description:
        '"true" returns only active goals; "true" or "false" in any case, absent means false, anything else is 400',
    }),
  ),
});

const ProgressPoint = t.Object({ progress: Type.Integer(), status: Status });

/** One object for both kinds: OpenAPI 3.0 has no discriminated union that Swagger UI shows well. */
const GoalEffect = t.Object({
  goalId: t.String(),
  result: stringEnum(['changed', 'unchanged']),
  from: t.Optional(ProgressPoint),
  to: t.Optional(ProgressPoint),
  reason: t.Optional(
    stringEnum(GOAL_UNCHANGED_REASONS, { description: 'Why the goal did not move (result "unchanged")' }),
  ),
});

const auditEntry = (withAdmin: boolean) =>
  t.Object({
    kind: stringEnum(['login', 'statistic', 'admin']),
    recordedAt: Timestamp,
    eventId: t.Optional(
      Type.Unsafe<string | null>({
        type: 'string',
        nullable: true,
        description: "The platform's event id; null when the event had none (events only)",
      }),
    ),
    statCode: t.Optional(t.String()),
    value: t.Optional(Type.Number({ description: "The statistic event's value" })),
    occurredAt: t.Optional(Timestamp),
    reason: t.Optional(
      stringEnum(EVENT_UNCHANGED_REASONS, { description: 'Why the event changed nothing for the player' }),
    ),
    namespace: t.Optional(t.String({ description: "The event's namespace (reason other_namespace)" })),
    action: t.Optional(stringEnum(ADMIN_ACTIONS, { description: 'What the admin did (kind "admin")' })),
    ...(withAdmin
      ? { adminUserId: t.Optional(t.String({ description: 'The admin\'s user id (kind "admin")' })) }
      : {}),
    goals: t.Array(GoalEffect),
  });

export const GoalHistoryResponse = t.Object({
  challengeId: t.String(),
  goalId: t.String(),
  entries: t.Array(auditEntry(false), { description: 'Newest first' }),
});

export const AdminEventsResponse = t.Object({
  userId: t.String(),
  entries: t.Array(auditEntry(true), { description: 'Newest first' }),
});

export const AuditLimitQuery = t.Object({
  limit: t.Optional(t.String({ description: 'Most entries to return: 1-1000, default 50' })),
});

export const AdminEventsQuery = t.Object({
  goalId: t.Optional(t.String({ description: 'Only entries about this goal' })),
  limit: t.Optional(t.String({ description: 'Most entries to return: 1-1000, default 50' })),
});

const dateOrEmpty = (description: string) => t.String({ description: `${description}; YYYY-MM-DD, or ""` });

const StoredRow = t.Object(
  {
    progress: Type.Integer({ description: "The stored value: a relative goal's raw stat value" }),
    status: Status,
    isActive: t.Boolean(),
    baselineValue: Type.Unsafe<number | null>({
      type: 'integer',
      nullable: true,
      description: 'Relative goals: the stat value progress counts from; null until the first event',
    }),
    progressDay: dateOrEmpty('Per-day goals: the UTC day of the last counted event'),
    periodStart: dateOrEmpty("Rotating goals: the first day of the row's period"),
    lastEventAt: Timestamp,
    completedAt: Timestamp,
    claimedAt: Timestamp,
    assignedAt: Timestamp,
    expiresAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { description: 'The stored row as it is, before the view adjusts it for a new day or period' },
);

const nullableStored = nullable(StoredRow);

export const AdminChallengesResponse = t.Object({
  userId: t.String(),
  challenges: t.Array(
    t.Object({
      challengeId: t.String(),
      name: t.String(),
      description: t.String(),
      goals: t.Array(t.Object({ ...GoalProgress.properties, stored: nullableStored })),
    }),
  ),
  unconfiguredRows: t.Array(t.Object({ challengeId: t.String(), goalId: t.String(), stored: StoredRow }), {
    description: 'Rows of goals the configuration in force does not have (hidden from the player)',
  }),
});

export const GoalChangeResponse = t.Object({
  userId: t.String(),
  challengeId: t.String(),
  goalId: t.String(),
  action: stringEnum(['set_progress', 'complete', 'reset']),
  effect: GoalEffect,
  progress: Type.Integer({ description: 'After the change, as the player sees it' }),
  status: Status,
  isActive: t.Boolean(),
  completedAt: Timestamp,
  claimedAt: Timestamp,
  stored: nullableStored,
});

export const AdminClaimResponse = t.Object({
  userId: t.String(),
  challengeId: t.String(),
  ...ClaimResponse.properties,
});

const OutboxMessageDelivery = t.Object({
  id: t.String({ description: 'The message id, a decimal int64: the idempotency key of its webhook' }),
  type: stringEnum(OUTBOX_MESSAGE_TYPES),
  occurredAt: Timestamp,
  namespace: t.String(),
  userId: t.String(),
  challengeId: t.String(),
  goalId: t.String(),
  progress: Type.Integer({ description: 'The stored progress right after the change' }),
  status: Status,
  state: stringEnum(DELIVERY_STATES),
  attempts: Type.Integer({
    description: 'Delivery attempts since the message was written or last redelivered',
  }),
  deliveredAt: Timestamp,
  parkedAt: Timestamp,
  lastError: t.String({
    description:
      'What the last failed attempt got (HTTP status and body start, or the network error); "" if none',
  }),
});

export const ParkedMessagesQuery = t.Object({
  after: t.Optional(
    t.String({ description: 'Only messages with a larger id: the last id of the previous page' }),
  ),
  limit: t.Optional(t.String({ description: 'Most messages to return: 1-1000, default 50' })),
});

export const ParkedMessagesResponse = t.Object({
  messages: t.Array(OutboxMessageDelivery, { description: 'Oldest (lowest id) first' }),
});

export const RedeliverResponse = t.Object({
  redelivered: t.Boolean({
    description: 'false: the message was not parked (already pending or delivered), nothing changed',
  }),
  message: OutboxMessageDelivery,
});

export const SetProgressBody = t.Object({ progress: t.Unknown() }, { additionalProperties: true });

export const SET_PROGRESS_BODY = jsonBody(
  t.Object({
    progress: Type.Integer({
      minimum: 0,
      maximum: MAX_PROGRESS,
      description: 'What counts towards the target, as the player sees it',
    }),
  }),
);

/**
 * OpenAPI response entries for documentation only; handlers are not re-validated on the way out.
 * Every route can also answer 413 (a declared body over the limit is refused for any route) and
 * 500, so those are always listed.
 */
export function documented(ok: TSchema, errors: ReadonlyArray<number>): OpenAPIV3.ResponsesObject {
  const responses: OpenAPIV3.ResponsesObject = { 200: { description: 'OK', ...json(ok) } };
  const statuses = [...new Set([...errors, 413, 500])].sort((a, b) => a - b);
  for (const status of statuses) responses[String(status)] = { description: 'Error', ...json(ErrorBody) };
  return responses;
}

function jsonBody(schema: TSchema): OpenAPIV3.RequestBodyObject {
  return { required: true, ...json(schema) };
}

// TypeBox schemas are JSON Schema objects; OpenAPI 3.0's schema type is a close enough superset.
function json(schema: TSchema) {
  return { content: { 'application/json': { schema: schema as OpenAPIV3.SchemaObject } } };
}
