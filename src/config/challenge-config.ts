/**
 * Reads and validates the challenge configuration. Validation runs in three passes, each stopping
 * at its first problem: key spelling (aliases, unknown keys), structure (TypeBox), then the rules
 * that span fields (uniqueness, prerequisites). The result is frozen: a new configuration is a new
 * result (see src/live-config/).
 */
import { readFileSync } from 'node:fs';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { Challenge, Goal } from '../domain/types.ts';
import { checkChallengeRules } from './challenge-config-rules.ts';
import {
  ChallengeConfigSchema,
  CONFIG_SHAPE,
  type EventCounting,
  type RawGoal,
  usesCurrentOriginalFormat,
} from './challenge-config-schema.ts';
import { ConfigError, describeValue, formatPath, type PathSegment } from './config-error.ts';
import { findJsonSyntaxError } from './json-syntax.ts';
import { normalizeKeys } from './normalize-keys.ts';

export { ConfigError } from './config-error.ts';

export interface ConfigOptions {
  /** Told about what loads but may not mean what the author thinks (once per document). */
  readonly onWarning?: (message: string) => void;
}

/**
 * Validates a parsed configuration document and returns the domain model, goals carrying their
 * challenge's id. Pure; `source` only names the document in error messages.
 *
 * A document that uses the original's current keys (`requirement.progressMode`, `rotation`) is
 * read as the original reads it: a goal's older `type`/`daily` keys are ignored (with a warning
 * naming those goals), and our own counting models are chosen with `eventCounting`. Documents
 * without those keys keep the meaning of `type` (`absolute`, `increment` with `daily`, `daily`).
 * @throws ConfigError naming `source`, the JSON path and the first problem found.
 */
export function parseChallengeConfig(
  json: unknown,
  source: string,
  options: ConfigOptions = {},
): Challenge[] {
  const { value, spelledPaths } = normalizeKeys(json, CONFIG_SHAPE, source);
  const fail = (path: readonly PathSegment[], reason: string): never => {
    const canonical = formatPath(path);
    throw new ConfigError(source, spelledPaths.get(canonical) ?? canonical, reason);
  };

  if (!Value.Check(ChallengeConfigSchema, value)) {
    const error = Value.Errors(ChallengeConfigSchema, value).First();
    if (error === undefined) return fail([], 'does not match the configuration format');
    return fail(pointerToPath(error.path), structuralReason(error));
  }
  checkChallengeRules(value, fail);
  const currentFormat = usesCurrentOriginalFormat(value);
  if (currentFormat) {
    const ignored = value.challenges.flatMap((challenge) =>
      challenge.goals
        .filter((goal) => goal.type !== undefined || goal.daily !== undefined)
        .map((goal) => goal.goalId),
    );
    if (ignored.length > 0) {
      options.onWarning?.(
        `${source}: goals ${ignored.map((id) => `"${id}"`).join(', ')} carry "type"/"daily", which this file's format ignores (it uses requirement.progressMode and rotation, as the original does); they count as progressMode "absolute". Use "eventCounting" ("each", "oncePerDay", "dailyCompletion") for those models.`,
      );
    }
  }
  return value.challenges.map((challenge) =>
    Object.freeze({
      challengeId: challenge.challengeId,
      name: challenge.name,
      description: challenge.description ?? '',
      goals: Object.freeze(challenge.goals.map((goal) => toGoal(goal, challenge.challengeId, currentFormat))),
    }),
  );
}

/**
 * Reads, parses and validates the configuration file at `path`.
 * @throws ConfigError when the file is missing, unreadable, not JSON or not a valid configuration.
 */
export function loadChallengeConfig(path: string, options: ConfigOptions = {}): Challenge[] {
  return parseChallengeConfig(readConfigDocument(path), path, options);
}

/**
 * The configuration file's JSON document, not yet validated (see `parseChallengeConfig`).
 * @throws ConfigError when the file is missing, unreadable or not JSON.
 */
export function readConfigDocument(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`;
    throw new ConfigError(path, '', reason, { cause: error });
  }
  // Editors on Windows may save a byte order mark, which JSON.parse rejects.
  const json = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(json);
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^JSON Parse error: /, '') : String(error);
    const position = findJsonSyntaxError(json);
    const where = position ? ` at line ${position.line}, column ${position.column}` : '';
    throw new ConfigError(path, '', `invalid JSON${where}: ${detail}`, { cause: error });
  }
}

const COUNTING_MODELS: Readonly<Record<EventCounting, Pick<Goal, 'type' | 'daily'>>> = {
  each: { type: 'increment', daily: false },
  oncePerDay: { type: 'increment', daily: true },
  dailyCompletion: { type: 'daily', daily: false },
};

function countingModel(goal: RawGoal, currentFormat: boolean): Pick<Goal, 'type' | 'daily'> {
  if (goal.eventCounting !== undefined) return COUNTING_MODELS[goal.eventCounting];
  if (currentFormat) return { type: 'absolute', daily: false };
  return { type: goal.type ?? 'absolute', daily: goal.daily ?? false };
}

function toGoal(goal: RawGoal, challengeId: string, currentFormat: boolean): Goal {
  const { rotation } = goal;
  return Object.freeze({
    goalId: goal.goalId,
    challengeId,
    name: goal.name,
    description: goal.description ?? '',
    ...countingModel(goal, currentFormat),
    progressMode: goal.requirement.progressMode ?? 'absolute',
    rotation:
      rotation?.enabled && rotation.schedule
        ? Object.freeze({
            schedule: rotation.schedule,
            resetProgress: rotation.onExpiry?.resetProgress ?? false,
            allowReselection: rotation.onExpiry?.allowReselection ?? false,
          })
        : null,
    eventSource: goal.eventSource,
    defaultAssigned: goal.defaultAssigned ?? false,
    requirement: Object.freeze({
      statCode: goal.requirement.statCode ?? '',
      operator: '>=',
      targetValue: goal.requirement.targetValue,
    }),
    reward: Object.freeze({ ...goal.reward }),
    prerequisites: Object.freeze([...(goal.prerequisites ?? [])]),
  });
}

/** TypeBox reports JSON pointers (`/challenges/2/goals/0`); array indexes become numbers. */
function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment));
}

function structuralReason(error: ValueError): string {
  const expected: unknown = error.schema['expected'];
  const phrase = typeof expected === 'string' ? expected : 'valid';
  if (error.type === ValueErrorType.ObjectRequiredProperty) return `is required (${phrase})`;
  if (error.type === ValueErrorType.ObjectAdditionalProperties) return 'unknown key';
  return `must be ${phrase} (got ${describeValue(error.value)})`;
}
