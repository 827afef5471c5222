/**
 * What applying a new challenge configuration changes: challenges and goals added and removed, and
 * for each goal kept, which of its fields differ. Pure; the impact on players' rows is counted by
 * the caller for the goals named here.
 */
import { createHash } from 'node:crypto';
import type { Challenge, Goal } from './types.ts';

/** A goal field whose change alters what counts towards the goal, so its players' rows may no longer match it. */
const RETARGETING_FIELDS = [
  'eventSource',
  'statCode',
  'targetValue',
  'type',
  'daily',
  'progressMode',
] as const;

export interface GoalChange {
  readonly goalId: string;
  readonly challengeId: string;
  /** Names of the fields that differ (`statCode`, `targetValue`, `reward`, `rotation`, …). */
  readonly fields: readonly string[];
  /** Some field that decides what counts changed (see RETARGETING_FIELDS). */
  readonly retargeted: boolean;
}

export interface ConfigDiff {
  readonly challengesAdded: readonly string[];
  readonly challengesRemoved: readonly string[];
  readonly goalsAdded: readonly string[];
  readonly goalsRemoved: readonly string[];
  readonly goalsChanged: readonly GoalChange[];
}

/** A content hash of validated rules: two documents with the same rules, however spelled, share it. */
export function configVersion(challenges: readonly Challenge[]): string {
  return createHash('sha256').update(JSON.stringify(challenges)).digest('hex').slice(0, 16);
}

export function diffConfigs(before: readonly Challenge[], after: readonly Challenge[]): ConfigDiff {
  const beforeIds = new Set(before.map((challenge) => challenge.challengeId));
  const afterIds = new Set(after.map((challenge) => challenge.challengeId));
  const goalsBefore = new Map(
    before.flatMap((challenge) => challenge.goals.map((goal) => [goal.goalId, goal])),
  );
  const goalsAfter = new Map(
    after.flatMap((challenge) => challenge.goals.map((goal) => [goal.goalId, goal])),
  );
  const goalsChanged: GoalChange[] = [];
  for (const [goalId, goal] of goalsAfter) {
    const old = goalsBefore.get(goalId);
    if (!old) continue;
    const fields = changedFields(old, goal);
    if (fields.length === 0) continue;
    goalsChanged.push({
      goalId,
      challengeId: goal.challengeId,
      fields,
      retargeted: fields.some((field) => (RETARGETING_FIELDS as readonly string[]).includes(field)),
    });
  }
  return {
    challengesAdded: [...afterIds].filter((id) => !beforeIds.has(id)),
    challengesRemoved: [...beforeIds].filter((id) => !afterIds.has(id)),
    goalsAdded: [...goalsAfter.keys()].filter((id) => !goalsBefore.has(id)),
    goalsRemoved: [...goalsBefore.keys()].filter((id) => !goalsAfter.has(id)),
    goalsChanged,
  };
}

function changedFields(a: Goal, b: Goal): string[] {
  const fields: string[] = [];
  const compare = (name: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) fields.push(name);
  };
  compare('challengeId', a.challengeId, b.challengeId);
  compare('name', a.name, b.name);
  compare('description', a.description, b.description);
  compare('type', a.type, b.type);
  compare('daily', a.daily, b.daily);
  compare('progressMode', a.progressMode, b.progressMode);
  compare('rotation', a.rotation, b.rotation);
  compare('eventSource', a.eventSource, b.eventSource);
  compare('defaultAssigned', a.defaultAssigned, b.defaultAssigned);
  compare('statCode', a.requirement.statCode, b.requirement.statCode);
  compare('targetValue', a.requirement.targetValue, b.requirement.targetValue);
  compare('reward', a.reward, b.reward);
  compare('prerequisites', a.prerequisites, b.prerequisites);
  return fields;
}
