/**
 * Wire format of goals and challenges (camelCase, `""` for missing timestamps, one key each).
 * List responses are the hottest path, so the renderer does as little per request as it can:
 * - the static part of every goal is serialised once per catalog;
 * - a goal with no row renders the same text at any time (no progress, no timestamps), so that
 *   whole text is serialised once per catalog too, locked and unlocked (except rotating goals,
 *   which always show when their period ends);
 * - a response is one `join` over flat pieces: nesting joins or wrapping the result in a template
 *   copies the whole body again for every level.
 */
import type { Catalog } from '../domain/catalog.ts';
import { isDone, type ProgressView, viewProgress, viewRows } from '../domain/progress-view.ts';
import { rewardJson } from '../domain/reward-json.ts';
import { formatTimestamp, secondsUntil } from '../domain/time.ts';
import type { Goal, ProgressState, Requirement } from '../domain/types.ts';

export const requirementJson = (requirement: Requirement) => ({
  statCode: requirement.statCode,
  operator: requirement.operator,
  targetValue: requirement.targetValue,
});

export interface ChallengeRenderer {
  /** `{"challenges":[…]}` for all challenges in configuration order. */
  renderList(rows: readonly ProgressState[], activeOnly: boolean, now: Date): string;
  /** One challenge object; undefined when the id is unknown. */
  renderOne(
    challengeId: string,
    rows: readonly ProgressState[],
    activeOnly: boolean,
    now: Date,
  ): string | undefined;
  /**
   * Goal objects exactly as the list shows them, by goal id; goals not configured are left out.
   * `rows` must hold the goals' rows and their prerequisites' rows (`locked` depends on them).
   */
  renderGoals(goalIds: Iterable<string>, rows: readonly ProgressState[], now: Date): Map<string, string>;
}

interface GoalText {
  readonly goal: Goal;
  /** `{"goalId":…,"prerequisites":[…],` */
  readonly prefix: string;
  /** The complete text for a player with no row, unlocked and locked. */
  readonly unassigned: string;
  readonly unassignedLocked: string;
}

interface ChallengeText {
  /** `{"challengeId":…,"description":…,"goals":[` */
  readonly head: string;
  readonly goals: readonly GoalText[];
}

export function createChallengeRenderer(catalog: Catalog): ChallengeRenderer {
  // Any instant will do: the view of a goal with no row does not depend on the time.
  const anyInstant = new Date(0);
  const challengeTexts = new Map<string, ChallengeText>();
  const goalTexts = new Map<string, GoalText>();
  for (const challenge of catalog.challenges) {
    const head = JSON.stringify({
      challengeId: challenge.challengeId,
      name: challenge.name,
      description: challenge.description,
    });
    const goals = challenge.goals.map((goal): GoalText => {
      const fixed = JSON.stringify({
        goalId: goal.goalId,
        name: goal.name,
        description: goal.description,
        requirement: requirementJson(goal.requirement),
        reward: rewardJson(goal.reward),
        prerequisites: goal.prerequisites,
      });
      const prefix = flat(`${fixed.slice(0, -1)},`);
      const view = viewProgress(goal, undefined, anyInstant);
      const text = {
        goal,
        prefix,
        unassigned: flat(renderGoal(prefix, view, false, anyInstant)),
        unassignedLocked: flat(renderGoal(prefix, view, true, anyInstant)),
      };
      goalTexts.set(goal.goalId, text);
      return text;
    });
    challengeTexts.set(challenge.challengeId, { head: flat(`${head.slice(0, -1)},"goals":[`), goals });
  }

  /** Appends one challenge object to `parts`. */
  const renderChallenge = (
    parts: string[],
    text: ChallengeText,
    views: ReadonlyMap<string, ProgressView>,
    activeOnly: boolean,
    now: Date,
  ): void => {
    parts.push(text.head);
    let separator = '';
    for (const goalText of text.goals) {
      const { goal } = goalText;
      const view = views.get(goal.goalId);
      if (activeOnly && !view?.isActive) continue;
      const locked = goal.prerequisites.some((goalId) => !isDone(views.get(goalId)?.status ?? 'not_started'));
      if (view) parts.push(separator, renderGoal(goalText.prefix, view, locked, now));
      else if (goal.rotation)
        parts.push(separator, renderGoal(goalText.prefix, viewProgress(goal, undefined, now), locked, now));
      else parts.push(separator, locked ? goalText.unassignedLocked : goalText.unassigned);
      separator = ',';
    }
    parts.push(']}');
  };

  return {
    renderList(rows, activeOnly, now) {
      const views = viewRows(catalog, rows, now);
      const parts = ['{"challenges":['];
      let separator = '';
      for (const text of challengeTexts.values()) {
        parts.push(separator);
        renderChallenge(parts, text, views, activeOnly, now);
        separator = ',';
      }
      parts.push(']}');
      return parts.join('');
    },
    renderOne(challengeId, rows, activeOnly, now) {
      const text = challengeTexts.get(challengeId);
      if (!text) return undefined;
      const parts: string[] = [];
      renderChallenge(parts, text, viewRows(catalog, rows, now), activeOnly, now);
      return parts.join('');
    },
    renderGoals(goalIds, rows, now) {
      const views = viewRows(catalog, rows, now);
      const rendered = new Map<string, string>();
      for (const goalId of goalIds) {
        const text = goalTexts.get(goalId);
        if (!text || rendered.has(goalId)) continue;
        const { goal } = text;
        const locked = goal.prerequisites.some((id) => !isDone(views.get(id)?.status ?? 'not_started'));
        const view = views.get(goalId) ?? viewProgress(goal, undefined, now);
        rendered.set(goalId, renderGoal(text.prefix, view, locked, now));
      }
      return rendered;
    },
  };
}

/**
 * `text` copied into one contiguous string. Concatenation builds a rope (a tree of the pieces), and
 * JSC's `join` walks a rope piece by piece on every call without flattening it, so the texts that
 * go into every response are copied flat once, here.
 */
const flat = (text: string): string => Buffer.from(text).toString();

function renderGoal(prefix: string, view: ProgressView, locked: boolean, now: Date): string {
  return (
    `${prefix}"progress":${view.progress},"status":"${view.status}","locked":${locked},` +
    `"completedAt":"${formatTimestamp(view.completedAt)}","claimedAt":"${formatTimestamp(view.claimedAt)}",` +
    `"isActive":${view.isActive},"expiresAt":"${formatTimestamp(view.expiresAt)}",` +
    `"expiresInSeconds":${secondsUntil(view.expiresAt, now)}}`
  );
}
