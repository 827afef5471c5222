/** How `rotation` prints a challenge's rotation status for people. */
import type { MethodResponse } from 'openapi-fetch';
import type { Api } from './api-client.ts';

type RotationStatusBody = MethodResponse<Api, 'get', '/v1/challenges/{challengeId}/rotation'>;

export function formatRotation(body: RotationStatusBody): string {
  const { rotation } = body;
  if (!rotation.enabled || !rotation.currentPeriod || !rotation.nextPeriod)
    return `${body.challengeId}: no rotation`;
  const { currentPeriod: current, nextPeriod: next } = rotation;
  return [
    `${body.challengeId}: ${rotation.schedule} rotation (${rotation.type})`,
    `current period: ${current.startTime} to ${current.endTime} (ends in ${current.expiresInSeconds} s)`,
    `next period:    ${next.startTime} to ${next.endTime}`,
  ].join('\n');
}
