/** TypeBox schemas: request validation and the OpenAPI document at /swagger/json. */
import type { TSchema } from '@sinclair/typebox';
import { t } from 'elysia';
import type { OpenAPIV3 } from 'openapi-types';
import { ERROR_CODES } from '../domain/errors.ts';
import { GOAL_STATUSES, REWARD_TYPES } from '../domain/types.ts';

const Timestamp = t.String({
  description: 'RFC 3339 UTC, or "" when there is no value',
  examples: ['2026-03-10T12:00:00Z'],
});

export const Requirement = t.Object({
  statCode: t.String(),
  operator: t.Literal('>='),
  targetValue: t.Integer({ minimum: 1 }),
});

export const Reward = t.Object({
  type: t.Union(REWARD_TYPES.map((type) => t.Literal(type))),
  rewardId: t.String(),
  quantity: t.Integer({ minimum: 1 }),
});

const Status = t.Union(GOAL_STATUSES.map((status) => t.Literal(status)));

export const GoalProgress = t.Object({
  goalId: t.String(),
  name: t.String(),
  description: t.String(),
  requirement: Requirement,
  reward: Reward,
  prerequisites: t.Array(t.String()),
  progress: t.Integer(),
  status: Status,
  locked: t.Boolean({ description: 'Some prerequisite is neither completed nor claimed for this player' }),
  completedAt: Timestamp,
  claimedAt: Timestamp,
  isActive: t.Boolean(),
  expiresAt: Timestamp,
  expiresInSeconds: t.Integer(),
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
  progress: t.Integer(),
  target: t.Integer(),
  status: Status,
  requirement: Requirement,
  reward: Reward,
});

export const InitializeResponse = t.Object({
  assignedGoals: t.Array(AssignedGoal),
  newAssignments: t.Integer({ description: 'Rows created by this call' }),
  totalActive: t.Integer(),
});

export const SetActiveBody = t.Object(
  {
    isActive: t.Optional(t.Boolean()),
    is_active: t.Optional(t.Boolean({ description: 'snake_case spelling of isActive' })),
  },
  { additionalProperties: true },
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
  status: t.Literal('claimed'),
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

export const SelectedGoal = t.Object({
  goalId: t.String(),
  name: t.String(),
  description: t.String(),
  requirement: Requirement,
  reward: Reward,
  status: Status,
  progress: t.Integer(),
  target: t.Integer(),
  isActive: t.Boolean(),
  assignedAt: Timestamp,
  expiresAt: Timestamp,
});

export const GoalSelectionResponse = t.Object({
  selectedGoals: t.Array(SelectedGoal, { description: 'In request order (batch) or draw order (random)' }),
  challengeId: t.String(),
  totalActiveGoals: t.Integer({ description: 'Active goals of this challenge after the call' }),
  replacedGoals: t.Array(t.String(), { description: 'Goals this call deactivated' }),
});

const RotationPeriod = t.Object({
  startTime: Timestamp,
  endTime: Timestamp,
  expiresInSeconds: t.Integer({ description: 'Whole seconds until endTime; always 0 for nextPeriod' }),
});

export const RotationStatusResponse = t.Object({
  challengeId: t.String(),
  rotation: t.Object({
    enabled: t.Boolean(),
    type: t.String({ description: '"global", or "" when no goal of the challenge rotates' }),
    schedule: t.String({ description: '"daily", "weekly" or "monthly"; "" without rotation' }),
    currentPeriod: t.Union([RotationPeriod, t.Null()]),
    nextPeriod: t.Union([RotationPeriod, t.Null()]),
  }),
});

export const DeleteUserDataResponse = t.Object({
  userId: t.String(),
  rowsDeleted: t.String({ description: 'progress rows deleted, as a decimal string (int64)' }),
});

export const ErrorBody = t.Object({
  error: t.Union(ERROR_CODES.map((code) => t.Literal(code))),
  code: t.Integer({ description: 'gRPC status number' }),
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

/** OpenAPI response entries for documentation only; handlers are not re-validated on the way out. */
export function documented(ok: TSchema, errors: ReadonlyArray<number>): OpenAPIV3.ResponsesObject {
  const responses: OpenAPIV3.ResponsesObject = { 200: { description: 'OK', ...json(ok) } };
  for (const status of errors) responses[String(status)] = { description: 'Error', ...json(ErrorBody) };
  return responses;
}

// TypeBox schemas are JSON Schema objects; OpenAPI 3.0's schema type is a close enough superset.
const json = (schema: TSchema) => ({
  content: { 'application/json': { schema: schema as OpenAPIV3.SchemaObject } },
});
