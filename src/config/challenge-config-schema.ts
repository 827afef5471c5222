/**
 * The structure of `config/challenges.json` once snake_case aliases are folded into camelCase keys.
 * Every node carries `expected`, the phrase error messages use: "must be <expected> (got …)".
 */
import { type Static, type TLiteral, type TProperties, Type } from '@sinclair/typebox';
import {
  EVENT_SOURCES,
  GOAL_TYPES,
  PROGRESS_MODES,
  REWARD_TYPES,
  ROTATION_SCHEDULES,
} from '../domain/types.ts';

/** Progress and quantities are stored as PostgreSQL `integer`. */
export const MAX_INT32 = 2_147_483_647;

const nonEmptyString = () => Type.String({ minLength: 1, pattern: '\\S', expected: 'a non-empty string' });
const optionalString = () => Type.Optional(Type.String({ expected: 'a string' }));
const optionalBoolean = () => Type.Optional(Type.Boolean({ expected: 'a boolean' }));
const positiveInt32 = () =>
  Type.Integer({
    minimum: 1,
    maximum: MAX_INT32,
    expected: `an integer greater than 0 and at most ${MAX_INT32}`,
  });
const oneOf = <T extends string>(values: readonly T[]) =>
  Type.Union(
    values.map((value): TLiteral<T> => Type.Literal(value)),
    { expected: `one of ${values.map((value) => JSON.stringify(value)).join(', ')}` },
  );
const strictObject = <T extends TProperties>(properties: T, expected = 'an object') =>
  Type.Object(properties, { additionalProperties: false, expected });

export const RequirementSchema = strictObject({
  statCode: optionalString(),
  operator: Type.Optional(Type.Literal('>=', { expected: 'exactly ">="' })),
  targetValue: positiveInt32(),
  progressMode: Type.Optional(oneOf(PROGRESS_MODES)),
});

/**
 * Our own counting models, offered in files written in the original's current format (where the
 * original ignores `type`): `each` = our `increment`, `oncePerDay` = `increment` with `daily`,
 * `dailyCompletion` = our `daily`.
 */
export const EVENT_COUNTINGS = ['each', 'oncePerDay', 'dailyCompletion'] as const;
export type EventCounting = (typeof EVENT_COUNTINGS)[number];

export const OnExpirySchema = strictObject({
  resetProgress: optionalBoolean(),
  allowReselection: optionalBoolean(),
});

export const RotationSchema = strictObject({
  enabled: Type.Boolean({ expected: 'a boolean' }),
  type: Type.Optional(Type.Literal('global', { expected: 'exactly "global"' })),
  schedule: Type.Optional(oneOf(ROTATION_SCHEDULES)),
  onExpiry: Type.Optional(OnExpirySchema),
});

export const RewardSchema = strictObject({
  type: oneOf(REWARD_TYPES),
  rewardId: nonEmptyString(),
  quantity: positiveInt32(),
});

export const GoalSchema = strictObject({
  goalId: nonEmptyString(),
  name: nonEmptyString(),
  description: optionalString(),
  type: Type.Optional(oneOf(GOAL_TYPES)),
  daily: optionalBoolean(),
  eventCounting: Type.Optional(oneOf(EVENT_COUNTINGS)),
  rotation: Type.Optional(RotationSchema),
  eventSource: oneOf(EVENT_SOURCES),
  defaultAssigned: optionalBoolean(),
  requirement: RequirementSchema,
  reward: RewardSchema,
  prerequisites: Type.Optional(Type.Array(nonEmptyString(), { expected: 'an array of goal ids' })),
});

export const ChallengeSchema = strictObject({
  challengeId: nonEmptyString(),
  name: nonEmptyString(),
  description: optionalString(),
  goals: Type.Array(GoalSchema, { minItems: 1, expected: 'a non-empty array of goals' }),
});

export const ChallengeConfigSchema = strictObject(
  { challenges: Type.Array(ChallengeSchema, { minItems: 1, expected: 'a non-empty array of challenges' }) },
  'an object with a "challenges" array',
);

export type RawChallengeConfig = Static<typeof ChallengeConfigSchema>;
export type RawGoal = Static<typeof GoalSchema>;

/**
 * Whether the document is written in the original's current format, which it reads with its keys
 * `requirement.progressMode` and `rotation`, ignoring the older `type`/`daily` keys that some of
 * its goals still carry.
 */
export function usesCurrentOriginalFormat(config: RawChallengeConfig): boolean {
  return config.challenges.some((challenge) =>
    challenge.goals.some(
      (goal) => goal.requirement.progressMode !== undefined || goal.rotation !== undefined,
    ),
  );
}

/**
 * Where each object sits in the document and which other spellings its keys accept. The
 * alternatives are the snake_case names of the design documents and `id`; giving two spellings
 * of one key is an error rather than a silent pick.
 */
export interface ObjectShape {
  readonly keys: readonly string[];
  readonly aliases: Readonly<Record<string, string>>;
  readonly objects: Readonly<Record<string, ObjectShape>>;
  readonly arraysOfObjects: Readonly<Record<string, ObjectShape>>;
}

const shape = (
  properties: TProperties,
  aliases: Record<string, string>,
  nested: Partial<Pick<ObjectShape, 'objects' | 'arraysOfObjects'>> = {},
): ObjectShape => ({
  keys: Object.keys(properties),
  aliases,
  objects: nested.objects ?? {},
  arraysOfObjects: nested.arraysOfObjects ?? {},
});

const goalShape = shape(
  GoalSchema.properties,
  {
    goal_id: 'goalId',
    id: 'goalId',
    default_assigned: 'defaultAssigned',
    event_source: 'eventSource',
    event_counting: 'eventCounting',
  },
  {
    objects: {
      requirement: shape(RequirementSchema.properties, {
        stat_code: 'statCode',
        target_value: 'targetValue',
        progress_mode: 'progressMode',
      }),
      reward: shape(RewardSchema.properties, { reward_id: 'rewardId' }),
      rotation: shape(
        RotationSchema.properties,
        { on_expiry: 'onExpiry' },
        {
          objects: {
            onExpiry: shape(OnExpirySchema.properties, {
              reset_progress: 'resetProgress',
              allow_reselection: 'allowReselection',
            }),
          },
        },
      ),
    },
  },
);

const challengeShape = shape(
  ChallengeSchema.properties,
  { challenge_id: 'challengeId', id: 'challengeId' },
  { arraysOfObjects: { goals: goalShape } },
);

export const CONFIG_SHAPE: ObjectShape = shape(
  ChallengeConfigSchema.properties,
  {},
  { arraysOfObjects: { challenges: challengeShape } },
);
