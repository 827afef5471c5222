/**
 * Wire format of goals and challenges (camelCase, `""` for missing timestamps, one key each).
 * List responses are the hottest path, so the renderer does as little per request as it can:
 * - the static part of every goal is serialised once per catalog;
 * - a goal with no row renders the same text at any time (no progress, no timestamps), so that
 *   whole text is serialised once per catalog too, locked and unlocked (except rotating goals,
 *   which always show when their period ends);
 * - a response is written as UTF-8 bytes into one buffer (byte-builder.ts): the fixed pieces are
 *   encoded once per catalog and copied in, and only each row's values are encoded per request;
 * - a client that holds the answer already is told so from a tag of what the answer shows, without
 *   rendering it (`listTag`).
 */
import type { Catalog } from '../domain/catalog.ts';
import { isDone, type ProgressView, viewProgress, viewRows } from '../domain/progress-view.ts';
import { rewardJson } from '../domain/reward-json.ts';
import { formatTimestamp, secondsUntil } from '../domain/time.ts';
import { GOAL_STATUSES, type Goal, type ProgressState, type Requirement } from '../domain/types.ts';
import {
  type ByteBuilder,
  createByteBuilder,
  createTextBuilder,
  type JsonWriter,
  type Piece,
  piece,
  textOf,
  utf8,
} from './byte-builder.ts';

export const requirementJson = (requirement: Requirement) => ({
  statCode: requirement.statCode,
  operator: requirement.operator,
  targetValue: requirement.targetValue,
});

export interface ChallengeRenderer {
  /** `{"challenges":[…]}` for all challenges in configuration order, as UTF-8. */
  renderList(rows: readonly ProgressState[], activeOnly: boolean, now: Date): Uint8Array<ArrayBuffer>;
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
  /** One challenge object as UTF-8; undefined when the id is unknown. */
  renderOne(
    challengeId: string,
    rows: readonly ProgressState[],
    activeOnly: boolean,
    now: Date,
  ): Uint8Array<ArrayBuffer> | undefined;
  /**
   * Goal objects exactly as the list shows them, by goal id; goals not configured are left out.
   * `rows` must hold the goals' rows and their prerequisites' rows (`locked` depends on them).
   */
  renderGoals(goalIds: Iterable<string>, rows: readonly ProgressState[], now: Date): Map<string, string>;
}

interface GoalText {
  readonly goal: Goal;
  /** `{"goalId":…,"prerequisites":[…],` */
  readonly prefix: Piece;
  /** The complete object for a player with no row, unlocked and locked. */
  readonly unassigned: Uint8Array;
  readonly unassignedLocked: Uint8Array;
}

interface ChallengeText {
  /** `{"challengeId":…,"description":…,"goals":[` */
  readonly head: Uint8Array;
  readonly goals: readonly GoalText[];
}

const LIST_HEAD = utf8('{"challenges":[');
const CLOSE = utf8(']}');
const COMMA = utf8(',');
/**
 * How many more bytes a goal's values take than a goal without a row shows (its progress's digits,
 * three instants, the seconds left): ~100 at most; a body that needs more grows its buffer.
 */
const VALUES_SLACK = 128;
/** Room for everything after a goal's prefix (`writeGoal`): ~130 bytes of keys and ~100 of values. */
const GOAL_VALUES_BYTES = 256;

export function createChallengeRenderer(catalog: Catalog): ChallengeRenderer {
  // Any instant will do: the view of a goal with no row does not depend on the time.
  const anyInstant = new Date(0);
  const challengeTexts = new Map<string, ChallengeText>();
  const goalTexts = new Map<string, GoalText>();
  // Every text the answers are made of, for the tags' seed.
  const seedTexts: string[] = [];
  for (const challenge of catalog.challenges) {
    const head = JSON.stringify({
      challengeId: challenge.challengeId,
      name: challenge.name,
      description: challenge.description,
    });
    const goalSeeds: string[] = [];
    const goals = challenge.goals.map((goal): GoalText => {
      const fixed = JSON.stringify({
        goalId: goal.goalId,
        name: goal.name,
        description: goal.description,
        requirement: requirementJson(goal.requirement),
        reward: rewardJson(goal.reward),
        prerequisites: goal.prerequisites,
      });
      const prefix = piece(`${fixed.slice(0, -1)},`);
      const view = viewProgress(goal, undefined, anyInstant);
      const unassigned = renderGoal(prefix, view, false, anyInstant);
      const unassignedLocked = renderGoal(prefix, view, true, anyInstant);
      goalSeeds.push(textOf(unassigned), textOf(unassignedLocked));
      const text = { goal, prefix, unassigned, unassignedLocked };
      goalTexts.set(goal.goalId, text);
      return text;
    });
    const headText = `${head.slice(0, -1)},"goals":[`;
    seedTexts.push(headText, ...goalSeeds);
    challengeTexts.set(challenge.challengeId, { head: utf8(headText), goals });
  }
  // Seeds the tags with every text the answers are made of: catalogs that render alike share it.
  const catalogSeed = Bun.hash(seedTexts.join('\u0000'));

  /**
   * A first guess at a body's size, so that it is built in one buffer. A goal with a row takes its
   * text without a row plus at most `VALUES_SLACK` bytes (digits and instants where that text has
   * none); a list of active goals has only goals with rows.
   */
  const goalBytes = ({ goal, unassigned, unassignedLocked }: GoalText, activeOnly: boolean) =>
    COMMA.byteLength +
    (activeOnly ? 0 : Math.max(unassigned.byteLength, unassignedLocked.byteLength)) +
    (goal.rotation && !activeOnly ? VALUES_SLACK : 0);
  const challengeBytes = (text: ChallengeText, activeOnly: boolean) =>
    text.head.byteLength +
    CLOSE.byteLength +
    text.goals.reduce((sum, goal) => sum + goalBytes(goal, activeOnly), 0);
  const fixedListBytes = (activeOnly: boolean) =>
    LIST_HEAD.byteLength +
    CLOSE.byteLength +
    [...challengeTexts.values()].reduce(
      (sum, text) => sum + COMMA.byteLength + challengeBytes(text, activeOnly),
      0,
    );
  const listBytes = [fixedListBytes(false), fixedListBytes(true)] as const;
  const rowBytes = [
    VALUES_SLACK,
    VALUES_SLACK + Math.max(0, ...[...goalTexts.values()].map((text) => goalBytes(text, false))),
  ] as const;
  const capacityFor = (fixed: number, rows: readonly ProgressState[], activeOnly: boolean) =>
    fixed + rows.length * rowBytes[activeOnly ? 1 : 0];

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

  /** Writes one challenge object. */
  const renderChallenge = (
    out: ByteBuilder,
    text: ChallengeText,
    views: ReadonlyMap<string, ProgressView>,
    activeOnly: boolean,
    now: Date,
  ): void => {
    out.bytes(text.head);
    let first = true;
    for (const goalText of text.goals) {
      const { goal } = goalText;
      const view = views.get(goal.goalId);
      if (activeOnly && !view?.isActive) continue;
      if (!first) out.bytes(COMMA);
      first = false;
      const locked = goal.prerequisites.some((goalId) => !isDone(views.get(goalId)?.status ?? 'not_started'));
      const shown = view ?? (goal.rotation ? viewProgress(goal, undefined, now) : undefined);
      if (shown) writeGoal(out, goalText.prefix, shown, locked, now);
      else out.bytes(locked ? goalText.unassignedLocked : goalText.unassigned);
    }
    out.bytes(CLOSE);
  };

  return {
    renderList(rows, activeOnly, now) {
      const views = viewRows(catalog, rows, now);
      const out = createByteBuilder(capacityFor(listBytes[activeOnly ? 1 : 0], rows, activeOnly));
      out.bytes(LIST_HEAD);
      let first = true;
      for (const text of challengeTexts.values()) {
        if (!first) out.bytes(COMMA);
        first = false;
        renderChallenge(out, text, views, activeOnly, now);
      }
      out.bytes(CLOSE);
      return out.finish();
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
      const out = createByteBuilder(capacityFor(challengeBytes(text, activeOnly), rows, activeOnly));
      renderChallenge(out, text, viewRows(catalog, rows, now), activeOnly, now);
      return out.finish();
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
        const out = createTextBuilder();
        writeGoal(out, text.prefix, view, locked, now);
        rendered.set(goalId, out.finish());
      }
      return rendered;
    },
  };
}

/** The most numbers `tagChallenge` writes for one goal. */
const TAG_SLOTS_PER_GOAL = 11;

const PROGRESS = piece('"progress":');
const STATUS = new Map(GOAL_STATUSES.map((status) => [status, piece(`,"status":"${status}","locked":`)]));
const TRUE = piece('true');
const FALSE = piece('false');
const COMPLETED_AT = piece(',"completedAt":"');
const CLAIMED_AT = piece('","claimedAt":"');
const IS_ACTIVE = piece('","isActive":');
const EXPIRES_AT = piece(',"expiresAt":"');
const EXPIRES_IN = piece('","expiresInSeconds":');
const END = piece('}');

/**
 * One goal object: its fixed prefix, then its progress as shown now. Written piece by piece: the
 * values are numbers, a status and instants, all ASCII, so no text is built and encoded for them.
 */
function writeGoal(out: JsonWriter, prefix: Piece, view: ProgressView, locked: boolean, now: Date): void {
  out.piece(prefix);
  out.piece(PROGRESS);
  out.ascii(String(view.progress));
  out.piece(STATUS.get(view.status) ?? piece(`,"status":${JSON.stringify(view.status)},"locked":`));
  out.piece(locked ? TRUE : FALSE);
  out.piece(COMPLETED_AT);
  out.ascii(formatTimestamp(view.completedAt));
  out.piece(CLAIMED_AT);
  out.ascii(formatTimestamp(view.claimedAt));
  out.piece(IS_ACTIVE);
  out.piece(view.isActive ? TRUE : FALSE);
  out.piece(EXPIRES_AT);
  out.ascii(formatTimestamp(view.expiresAt));
  out.piece(EXPIRES_IN);
  out.ascii(String(secondsUntil(view.expiresAt, now)));
  out.piece(END);
}

/** One goal object on its own. */
function renderGoal(prefix: Piece, view: ProgressView, locked: boolean, now: Date): Uint8Array {
  const out = createByteBuilder(prefix.bytes.byteLength + GOAL_VALUES_BYTES);
  writeGoal(out, prefix, view, locked, now);
  return out.finish();
}
