/**
 * Rotation periods: global and in UTC, the same for every player. A period is named by the UTC
 * day it starts on (`YYYY-MM-DD`); that name is what a progress row stores as its period marker
 * and what a claim of a reselectable goal is keyed by. Pure: time is always a parameter.
 */
import type { RotationSchedule } from './types.ts';

const DAY_MS = 86_400_000;

/** The instant the period containing `now` began. */
export function periodStart(schedule: RotationSchedule, now: Date): Date {
  const day = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  switch (schedule) {
    case 'daily':
      return new Date(day);
    case 'weekly': {
      // getUTCDay: 0 = Sunday; weeks start on Monday.
      const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
      return new Date(day - sinceMonday * DAY_MS);
    }
    case 'monthly':
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  }
}

/** The instant the period containing `now` ends and the next one begins (strictly after `now`). */
export function nextPeriodStart(schedule: RotationSchedule, now: Date): Date {
  const start = periodStart(schedule, now);
  switch (schedule) {
    case 'daily':
      return new Date(start.getTime() + DAY_MS);
    case 'weekly':
      return new Date(start.getTime() + 7 * DAY_MS);
    case 'monthly':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  }
}

/** The name of the period containing `now`: the UTC day it began on. */
export function periodKey(schedule: RotationSchedule, now: Date): string {
  return periodStart(schedule, now).toISOString().slice(0, 10);
}

/**
 * The name, under `schedule`, of the period a stored period name falls in. A row keeps the name it
 * was given under the schedule of its time; once the configuration changes the schedule (daily to
 * weekly, say) that name is a day inside one of the new periods, and must be compared as that
 * period, or a longer schedule would see every new event as from an earlier period.
 */
export function periodKeyOfStored(schedule: RotationSchedule, stored: string): string {
  return periodKey(schedule, new Date(`${stored}T00:00:00Z`));
}
