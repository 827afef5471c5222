/**
 * Exit codes and how API answers become output: tables for people, the raw body for `--json`,
 * and one `error:` line (plus a hint where it helps) on stderr.
 */
import type { MethodResponse } from 'openapi-fetch';
import type { Api, ApiAnswer, ApiResponse } from './api-client.ts';
import { printable } from './printable.ts';
import { renderTable } from './table.ts';

export const EXIT = {
  OK: 0,
  /** Some events failed (`event`), or the service reports itself unhealthy (`health`). */
  FAILED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  UNAUTHENTICATED: 4,
  CLIENT_ERROR: 5,
  SERVER_ERROR: 6,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  event: some events failed; health: the service is unhealthy
  2  usage error (unknown option, missing argument, bad value, no dev secret)
  3  the service cannot be reached (not running, wrong --url, no answer in time)
  4  401 UNAUTHENTICATED: pass --user, --token or --mock-user
  5  other 4xx API error (e.g. CHALLENGE_NOT_FOUND, GOAL_NOT_COMPLETED, PERMISSION_DENIED)
  6  5xx API error (e.g. REWARD_GRANT_FAILED, UNAVAILABLE)`;

export type ChallengeListBody = MethodResponse<Api, 'get', '/v1/challenges'>;
export type ChallengeBody = MethodResponse<Api, 'get', '/v1/challenges/{challengeId}'>;
export type InitializeBody = MethodResponse<Api, 'post', '/v1/challenges/initialize'>;
export type ClaimBody = MethodResponse<Api, 'post', '/v1/challenges/{challengeId}/goals/{goalId}/claim'>;
export type GoalSelectionBody = MethodResponse<
  Api,
  'post',
  '/v1/challenges/{challengeId}/goals/batch-select'
>;
type Reward = ClaimBody['reward'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A successful answer whose body is not what this CLI expects (wrong --url, other service). */
export class UnexpectedResponse extends Error {
  override readonly name = 'UnexpectedResponse';
}

/**
 * The 2xx body once it has the listed keys. The types come from the document, but the body comes
 * from whatever answered at --url, so it is checked before it is trusted.
 */
export function expectBody<T>(answer: ApiAnswer<T>, keys: readonly (keyof T & string)[]): T {
  const body = answer.data;
  if (!isRecord(body) || !keys.every((key) => key in body))
    throw new UnexpectedResponse(
      `unexpected answer from ${answer.url} (HTTP ${answer.status}): ${answer.text.slice(0, 200)}`,
    );
  return body;
}

const formatReward = (reward: Reward) => `${reward.type} ${reward.rewardId} x${reward.quantity}`;
const yesNo = (value: boolean) => (value ? 'yes' : 'no');

export function formatChallenges(challenges: readonly ChallengeBody[]): string {
  const rows = challenges.flatMap((challenge) =>
    challenge.goals.map((goal) => [
      challenge.challengeId,
      goal.goalId,
      goal.status,
      `${goal.progress}/${goal.requirement.targetValue}`,
      yesNo(goal.isActive),
      yesNo(goal.locked),
      formatReward(goal.reward),
    ]),
  );
  if (rows.length === 0) return 'no goals';
  return renderTable(['CHALLENGE', 'GOAL', 'STATUS', 'PROGRESS', 'ACTIVE', 'LOCKED', 'REWARD'], rows);
}

export function formatInitialize(body: InitializeBody): string {
  const lines = [`newAssignments: ${body.newAssignments}`, `totalActive: ${body.totalActive}`];
  if (body.assignedGoals.length > 0) {
    lines.push(
      '',
      renderTable(
        ['CHALLENGE', 'GOAL', 'STATUS', 'PROGRESS', 'REWARD', 'ASSIGNED AT'],
        body.assignedGoals.map((goal) => [
          goal.challengeId,
          goal.goalId,
          goal.status,
          `${goal.progress}/${goal.target}`,
          formatReward(goal.reward),
          goal.assignedAt,
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export function formatSelection(body: GoalSelectionBody): string {
  const lines = [
    `totalActiveGoals: ${body.totalActiveGoals}`,
    `replacedGoals: ${body.replacedGoals.length > 0 ? body.replacedGoals.join(', ') : 'none'}`,
  ];
  if (body.selectedGoals.length > 0) {
    lines.push(
      '',
      renderTable(
        ['GOAL', 'STATUS', 'PROGRESS', 'ACTIVE', 'REWARD', 'ASSIGNED AT'],
        body.selectedGoals.map((goal) => [
          goal.goalId,
          goal.status,
          `${goal.progress}/${goal.target}`,
          yesNo(goal.isActive),
          formatReward(goal.reward),
          goal.assignedAt,
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export const formatClaim = (body: ClaimBody) =>
  [`reward: ${formatReward(body.reward)}`, `claimedAt: ${body.claimedAt}`].join('\n');

export const AUTH_HINT =
  'hint: AUTH_MODE=dev services: pass --user <id> (mints a dev token with DEV_JWT_SECRET or .data/dev-jwt-secret),\n' +
  '      or --token <jwt> (get one with: bun run cli token --user <id>);\n' +
  '      AUTH_MODE=mock services: pass --mock-user <id>';

export const ADMIN_HINT =
  'hint: admin commands need the admin permission: AUTH_MODE=dev services: leave out --token (a dev admin\n' +
  '      token is minted, or get one with: bun run cli token --admin); AUTH_MODE=mock services: pass --mock-admin <id>';

/** Prints a non-2xx API answer and returns the exit code for it. */
export function reportApiError(response: ApiResponse): number {
  const body = response.json;
  const code = isRecord(body) && typeof body['error'] === 'string' ? body['error'] : undefined;
  const message = isRecord(body) && typeof body['message'] === 'string' ? body['message'] : undefined;
  if (code !== undefined && message !== undefined)
    console.error(printable(`error: ${code} (HTTP ${response.status}): ${message}`));
  else
    console.error(
      printable(
        `error: HTTP ${response.status} from ${response.url}${response.text ? `: ${response.text.slice(0, 200)}` : ''}`,
      ),
    );
  if (response.status === 401) {
    console.error(AUTH_HINT);
    return EXIT.UNAUTHENTICATED;
  }
  if (code === 'PERMISSION_DENIED') console.error(ADMIN_HINT);
  return response.status >= 500 ? EXIT.SERVER_ERROR : EXIT.CLIENT_ERROR;
}
