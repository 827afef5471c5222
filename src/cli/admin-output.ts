/** How the `admin` commands print a player's goals and an admin's change for people. */
import type { MethodResponse } from 'openapi-fetch';
import type { Api } from './api-client.ts';
import { formatEffect } from './audit-output.ts';
import { renderTable } from './table.ts';

type AdminChallengesBody = MethodResponse<Api, 'get', '/v1/admin/users/{userId}/challenges'>;
export type GoalChangeBody = MethodResponse<Api, 'put', '/v1/admin/users/{userId}/goals/{goalId}/progress'>;
type Stored = NonNullable<AdminChallengesBody['challenges'][number]['goals'][number]['stored']>;

/** The stored row in short: `4 in_progress`, its baseline, per-day marker or period when it has one. */
function storedCells(stored: Stored | null): string[] {
  if (!stored) return ['-', '', '', ''];
  const marker = [
    stored.progressDay && `day ${stored.progressDay}`,
    stored.periodStart && `period ${stored.periodStart}`,
  ]
    .filter(Boolean)
    .join(', ');
  return [
    `${stored.progress} ${stored.status}`,
    stored.baselineValue === null ? '' : String(stored.baselineValue),
    marker,
    stored.updatedAt,
  ];
}

export function formatAdminChallenges(body: AdminChallengesBody): string {
  const rows = body.challenges.flatMap((challenge) =>
    challenge.goals.map((goal) => [
      challenge.challengeId,
      goal.goalId,
      goal.status,
      `${goal.progress}/${goal.requirement.targetValue}`,
      goal.isActive ? 'yes' : 'no',
      ...storedCells(goal.stored),
    ]),
  );
  const lines = [
    renderTable(
      ['CHALLENGE', 'GOAL', 'STATUS', 'PROGRESS', 'ACTIVE', 'STORED', 'BASELINE', 'MARKER', 'UPDATED'],
      rows,
    ),
  ];
  if (body.unconfiguredRows.length > 0) {
    lines.push(
      '',
      'rows of goals not in the configuration (hidden from the player):',
      renderTable(
        ['CHALLENGE', 'GOAL', 'STORED', 'BASELINE', 'MARKER', 'UPDATED'],
        body.unconfiguredRows.map((row) => [row.challengeId, row.goalId, ...storedCells(row.stored)]),
      ),
    );
  }
  return lines.join('\n');
}

export function formatGoalChange(body: GoalChangeBody): string {
  return [
    `${body.action} ${body.challengeId}/${body.goalId} for ${body.userId}: ${formatEffect(body.effect)}`,
    `now: ${body.progress} ${body.status}${body.isActive ? '' : ' (inactive)'}`,
  ].join('\n');
}
