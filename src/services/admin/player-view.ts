/**
 * What an admin sees of a player: exactly the player's own view of every challenge (the same
 * renderer as GET /v1/challenges, so the two cannot drift apart), each goal with its stored row
 * beside it, and the rows of goals the configuration no longer has.
 */
import type { StoredProgress } from '../../db/admin-progress.ts';
import type { Catalog } from '../../domain/catalog.ts';
import { formatTimestamp } from '../../domain/time.ts';
import type { GoalStatus } from '../../domain/types.ts';
import { textOf } from '../byte-builder.ts';
import type { ChallengeRenderer } from '../goal-json.ts';

/** A stored row as it is, before any view adjusts it for the time (a new day or period). */
export interface StoredJson {
  /** The stored value: for a `relative` goal the stat's raw value, which the baseline is taken from. */
  readonly progress: number;
  readonly status: GoalStatus;
  readonly isActive: boolean;
  readonly baselineValue: number | null;
  /** `YYYY-MM-DD`, or `""`. */
  readonly progressDay: string;
  readonly periodStart: string;
  readonly lastEventAt: string;
  readonly completedAt: string;
  readonly claimedAt: string;
  readonly assignedAt: string;
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const storedJson = (row: StoredProgress): StoredJson => ({
  progress: row.progress,
  status: row.status,
  isActive: row.isActive,
  baselineValue: row.baselineValue,
  progressDay: row.progressDay ?? '',
  periodStart: row.periodStart ?? '',
  lastEventAt: formatTimestamp(row.lastEventAt),
  completedAt: formatTimestamp(row.completedAt),
  claimedAt: formatTimestamp(row.claimedAt),
  assignedAt: formatTimestamp(row.assignedAt),
  expiresAt: formatTimestamp(row.expiresAt),
  createdAt: formatTimestamp(row.createdAt),
  updatedAt: formatTimestamp(row.updatedAt),
});

type GoalView = { readonly goalId: string } & Record<string, unknown>;
type ChallengeView = { readonly goals: readonly GoalView[] } & Record<string, unknown>;

export interface AdminChallengesResponse {
  readonly userId: string;
  readonly challenges: ReadonlyArray<
    Record<string, unknown> & { readonly goals: ReadonlyArray<GoalView & { stored: StoredJson | null }> }
  >;
  /** Rows of goals that are not in the configuration in force: hidden from the player, kept. */
  readonly unconfiguredRows: ReadonlyArray<{ challengeId: string; goalId: string; stored: StoredJson }>;
}

export function adminChallenges(
  catalog: Catalog,
  renderer: ChallengeRenderer,
  userId: string,
  rows: readonly StoredProgress[],
  now: Date,
): AdminChallengesResponse {
  const byGoal = new Map(rows.map((row) => [row.goalId, row]));
  const view = JSON.parse(textOf(renderer.renderList(rows, false, now))) as { challenges: ChallengeView[] };
  const challenges = view.challenges.map((challenge) => ({
    ...challenge,
    goals: challenge.goals.map((goal) => {
      const row = byGoal.get(goal.goalId);
      return { ...goal, stored: row ? storedJson(row) : null };
    }),
  }));
  const unconfiguredRows = rows
    .filter((row) => !catalog.goalById.has(row.goalId))
    .map((row) => ({ challengeId: row.challengeId, goalId: row.goalId, stored: storedJson(row) }));
  return { userId, challenges, unconfiguredRows };
}
