/** How `rotation` prints a challenge's rotation status for people. */
import type { Static } from '@sinclair/typebox';
import type { RotationStatusResponse } from '../http/schemas.ts';

export type RotationStatusBody = Static<typeof RotationStatusResponse>;

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
