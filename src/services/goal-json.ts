/**
 * Wire format of goals and challenges (camelCase, `""` for missing timestamps, one key each).
 * List responses are the hottest path, so the renderer does as little per request as it can:
 * - the static part of every goal is serialised once per catalog;
 * - a goal with no row renders the same text at any time (no progress, no timestamps), so that
 *   whole text is serialised once per catalog too, locked and unlocked (except rotating goals,
 *   which always show when their period ends);
 * - a response is one `join` over flat pieces: nesting joins or wrapping the result in a template
 *   copies the whole body again for every level;
 * - a client that holds the answer already is told so from a tag of what the answer shows, without
 *   rendering it (`listTag`).
 */
import type { Catalog } from '../domain/catalog.ts';
import { isDone, type ProgressView, viewProgress, viewRows } from '../domain/progress-view.ts';
import { rewardJson } from '../domain/reward-json.ts';
import { formatTimestamp, secondsUntil } from '../domain/time.ts';
import { GOAL_STATUSES, type Goal, type ProgressState, type Requirement } from '../domain/types.ts';

export const requirementJson = (requirement: Requirement) => ({
  statCode: requirement.statCode,
  operator: requirement.operator,
  targetValue: requirement.targetValue,
});

export interface ChallengeRenderer {
  /** `{"challenges":[…]}` for all challenges in configuration order. */
  renderList(rows: readonly ProgressState[], activeOnly: boolean, now: Date): string;
  /**
   * A name for the text `renderList` gives for the same arguments: it changes whenever the text
   * would, and is the same on every replica with the same configuration. It hashes what the list
   * shows of each goal rather than the text, which costs a fraction of rendering it.
   */
  listTag(rows: readonly ProgressState[], activeOnly: boolean, now: Date): string;
  /** The same for `renderOne`; undefined when the id is unknown. */
  oneTag(
    challengeId: string,
    rows: readonly ProgressState[],
    activeOnly: boolean,
    now: Date,
  ): string | undefined;
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
  // Seeds the tags with every text the answers are made of: catalogs that render alike share it.
  const catalogSeed = Bun.hash(
    [...challengeTexts.values()]
      .flatMap((text) => [
        text.head,
        ...text.goals.flatMap((goal) => [goal.unassigned, goal.unassignedLocked]),
      ])
      .join('\u0000'),
  );

  /**
   * What `renderChallenge` makes of each goal, written as numbers into `values`: the goal's place in
   * its challenge, then for a goal without a row only whether it is locked (its text is otherwise fixed), else
   * every value its text shows. Instants go in as milliseconds (NaN for none), finer than the
   * text's seconds: a tag may change when the text does not, never the other way. Numbers hashed as
   * bytes cost a fraction of the text, and of strings joined to stand for it.
   */
  const goalCount = catalog.challenges.reduce((count, challenge) => count + challenge.goals.length, 0);
  const values = new Float64Array(2 + catalog.challenges.length + goalCount * TAG_SLOTS_PER_GOAL);
  const tagChallenge = (
    start: number,
    text: ChallengeText,
    views: ReadonlyMap<string, ProgressView>,
    activeOnly: boolean,
    now: Date,
  ): number => {
    let at = start;
    // A challenge starts with a place no goal has: without it, goals of two challenges run together.
    values[at++] = -1;
    text.goals.forEach((goalText, index) => {
      const { goal } = goalText;
      const row = views.get(goal.goalId);
      if (activeOnly && !row?.isActive) return;
      const locked = goal.prerequisites.some((goalId) => !isDone(views.get(goalId)?.status ?? 'not_started'));
      const view = row ?? (goal.rotation ? viewProgress(goal, undefined, now) : undefined);
      values[at++] = index;
      if (!view) {
        values[at++] = locked ? 1 : 0;
        return;
      }
      values[at++] = row ? 2 : 3;
      values[at++] = view.progress;
      values[at++] = GOAL_STATUSES.indexOf(view.status);
      values[at++] = locked ? 1 : 0;
      values[at++] = view.completedAt?.getTime() ?? Number.NaN;
      values[at++] = view.claimedAt?.getTime() ?? Number.NaN;
      values[at++] = view.isActive ? 1 : 0;
      values[at++] = view.expiresAt?.getTime() ?? Number.NaN;
      values[at++] = secondsUntil(view.expiresAt, now);
    });
    return at;
  };
  const tagOf = (length: number): string => Bun.hash(values.subarray(0, length), catalogSeed).toString(36);

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
    listTag(rows, activeOnly, now) {
      const views = viewRows(catalog, rows, now);
      values[0] = activeOnly ? 1 : 0;
      values[1] = -1;
      let at = 2;
      for (const text of challengeTexts.values()) at = tagChallenge(at, text, views, activeOnly, now);
      return tagOf(at);
    },
    oneTag(challengeId, rows, activeOnly, now) {
      const text = challengeTexts.get(challengeId);
      if (!text) return undefined;
      values[0] = activeOnly ? 1 : 0;
      values[1] = catalog.challenges.findIndex((challenge) => challenge.challengeId === challengeId);
      return tagOf(tagChallenge(2, text, viewRows(catalog, rows, now), activeOnly, now));
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

/** The most numbers `tagChallenge` writes for one goal. */
const TAG_SLOTS_PER_GOAL = 11;

function renderGoal(prefix: string, view: ProgressView, locked: boolean, now: Date): string {
  return (
    `${prefix}"progress":${view.progress},"status":"${view.status}","locked":${locked},` +
    `"completedAt":"${formatTimestamp(view.completedAt)}","claimedAt":"${formatTimestamp(view.claimedAt)}",` +
    `"isActive":${view.isActive},"expiresAt":"${formatTimestamp(view.expiresAt)}",` +
    `"expiresInSeconds":${secondsUntil(view.expiresAt, now)}}`
  );
}
