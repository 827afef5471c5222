/** How `history` and `admin events` print audit entries for people: one row per entry, newest first. */
import type { MethodResponse } from 'openapi-fetch';
import type { Api } from './api-client.ts';
import { renderTable } from './table.ts';

type Entry = MethodResponse<Api, 'get', '/v1/admin/users/{userId}/events'>['entries'][number];
type Effect = Entry['goals'][number];

/** `defeat-10-enemies 2→5 in_progress`, `… 5→10 in_progress→completed`, or `tutorial: already_claimed`. */
export function formatEffect(effect: Effect): string {
  if (effect.result === 'unchanged' || !effect.from || !effect.to)
    return `${effect.goalId}: ${effect.reason ?? 'unchanged'}`;
  const { from, to } = effect;
  const status = from.status === to.status ? to.status : `${from.status}→${to.status}`;
  return `${effect.goalId} ${from.progress}→${to.progress} ${status}`;
}

/** What happened: the event (stat and value, or login) or the admin's action and name. */
function what(entry: Entry): string {
  if (entry.kind === 'admin')
    return entry.adminUserId === undefined
      ? `admin ${entry.action}`
      : `admin ${entry.action} by ${entry.adminUserId}`;
  const event = entry.kind === 'login' ? 'login' : `${entry.statCode}=${entry.value}`;
  return entry.eventId ? `${event} (${entry.eventId})` : event;
}

export function formatEntries(entries: readonly Entry[]): string {
  if (entries.length === 0) return 'no entries';
  return renderTable(
    ['RECORDED', 'WHAT', 'EFFECT'],
    entries.map((entry) => [
      entry.recordedAt,
      what(entry),
      entry.reason ?? (entry.goals.length === 0 ? '-' : entry.goals.map(formatEffect).join('; ')),
    ]),
  );
}
