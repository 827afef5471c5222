/**
 * Writers name in their progress notices the changes the outbox does not record, so the rule they
 * ask (`outboxMessageTypeOf`) must agree with the database's (`outbox_change_type`, which writes the
 * messages). Every pair of states below, over a real row, gets the same answer from both.
 */
import { afterAll, expect, test } from 'bun:test';
import { outboxMessageTypeOf, type RecordedFields } from '../../src/domain/outbox-message.ts';
import type { GoalStatus } from '../../src/domain/types.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
afterAll(() => app.close());

const T1 = new Date('2026-05-01T12:00:00Z');
const T2 = new Date('2026-05-02T08:00:00Z');
const STATUSES: GoalStatus[] = ['not_started', 'in_progress', 'completed', 'claimed'];

/** Every combination of the fields the rule reads, with a completion time only where one is kept. */
function states(): RecordedFields[] {
  const all: RecordedFields[] = [];
  for (const isActive of [true, false])
    for (const status of STATUSES)
      for (const completedAt of status === 'completed' || status === 'claimed' ? [T1, T2] : [null, T1])
        for (const periodStart of [null, '2026-05-01', '2026-05-08'])
          all.push({ isActive, status, completedAt, periodStart });
  return all;
}

const patch = (state: RecordedFields, rowId: string) => ({
  is_active: state.isActive,
  status: state.status,
  completed_at: state.completedAt?.toISOString() ?? null,
  period_start: state.periodStart,
  row_id: rowId,
});

test('the rule writers ask gives the message the database records, for every pair of states', async () => {
  const user = `change-type-${crypto.randomUUID()}`;
  expect((await app.request('POST', '/v1/challenges/initialize', { user })).status).toBe(200);
  const [{ row_id: rowId } = { row_id: '' }] = await app.db.pool<{ row_id: string }[]>`
    select row_id::text from user_goal_progress where user_id = ${user} and goal_id = 'defeat-10-enemies'`;
  const otherRowId = crypto.randomUUID();
  const pairs: { before: RecordedFields; after: RecordedFields; newEarning: boolean }[] = [];
  for (const before of states())
    for (const after of states())
      for (const newEarning of [false, true]) pairs.push({ before, after, newEarning });
  const rows = await app.db.pool<{ ord: string; type: string | null }[]>`
    select c.ord, outbox_change_type(
        jsonb_populate_record(t, c.before::jsonb), jsonb_populate_record(t, c.after::jsonb)) as type
    from user_goal_progress t,
      unnest(${pairs.map((p) => JSON.stringify(patch(p.before, rowId)))}::text[],
        ${pairs.map((p) => JSON.stringify(patch(p.after, p.newEarning ? otherRowId : rowId)))}::text[])
        with ordinality as c(before, after, ord)
    where t.user_id = ${user} and t.goal_id = 'defeat-10-enemies'
    order by c.ord`;
  expect(rows).toHaveLength(pairs.length);
  const disagreements = rows.flatMap((row, index) => {
    const pair = pairs[index];
    if (!pair) return [`no pair for row ${row.ord}`];
    const expected = outboxMessageTypeOf(pair.before, pair.after, pair.newEarning) ?? null;
    return expected === row.type ? [] : [`${JSON.stringify(pair)}: database ${row.type}, rule ${expected}`];
  });
  expect(disagreements).toEqual([]);
  // The pairs cover every message type and changes with none.
  expect(new Set(rows.map((row) => row.type))).toEqual(
    new Set([null, 'goal.assigned', 'goal.unassigned', 'goal.claimed', 'goal.completed', 'goal.reset']),
  );
});
