/**
 * A challenge's rotation schedule as the original reports it: the periods of the challenge's first
 * rotating goal (periods are global, so every player sees the same). Reads no player data.
 */
import type { CurrentCatalog } from '../domain/catalog.ts';
import { challengeNotFound } from '../domain/errors.ts';
import { nextPeriodStart, periodStart } from '../domain/rotation.ts';
import { formatTimestamp, secondsUntil } from '../domain/time.ts';

export interface RotationPeriod {
  readonly startTime: string;
  readonly endTime: string;
  readonly expiresInSeconds: number;
}

export interface RotationStatusResponse {
  readonly challengeId: string;
  readonly rotation: {
    readonly enabled: boolean;
    /** `global` (the only rotation type), or `""` without rotation. */
    readonly type: string;
    readonly schedule: string;
    readonly currentPeriod: RotationPeriod | null;
    /** The period after the current one; `expiresInSeconds` is always 0, as in the original. */
    readonly nextPeriod: RotationPeriod | null;
  };
}

export interface RotationStatus {
  /** CHALLENGE_NOT_FOUND for an unknown id. Async so the app bounds it like every other service. */
  getRotation(challengeId: string): Promise<RotationStatusResponse>;
}

export function createRotationStatus(deps: { catalog: CurrentCatalog; clock: () => Date }): RotationStatus {
  const { clock } = deps;
  return {
    async getRotation(challengeId) {
      const challenge = deps.catalog().challengeById.get(challengeId);
      if (!challenge) throw challengeNotFound(challengeId);
      const rotation = challenge.goals.find((goal) => goal.rotation !== null)?.rotation;
      if (!rotation) {
        return {
          challengeId,
          rotation: { enabled: false, type: '', schedule: '', currentPeriod: null, nextPeriod: null },
        };
      }
      const now = clock();
      const start = periodStart(rotation.schedule, now);
      const end = nextPeriodStart(rotation.schedule, now);
      const nextEnd = nextPeriodStart(rotation.schedule, end);
      return {
        challengeId,
        rotation: {
          enabled: true,
          type: 'global',
          schedule: rotation.schedule,
          currentPeriod: {
            startTime: formatTimestamp(start),
            endTime: formatTimestamp(end),
            expiresInSeconds: secondsUntil(end, now),
          },
          nextPeriod: {
            startTime: formatTimestamp(end),
            endTime: formatTimestamp(nextEnd),
            expiresInSeconds: 0,
          },
        },
      };
    },
  };
}
