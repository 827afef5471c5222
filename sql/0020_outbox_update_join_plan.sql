-- The update trigger joins the statement's old and new rows (0015). PL/pgSQL plans that query once
-- per connection and keeps the plan, costed for the transition tables of the first statement it
-- saw; a connection whose first update wrote one row kept a nested loop, and an update of n rows
-- then compared n × n pairs: 58 ms in the trigger for 500 rows and 845 ms for 2,000, where a plan
-- made for them took 4 and 6 ms. An event flush writes hundreds of rows in one statement, and a
-- configuration change that releases the rows of a goal thousands. Without nested loops the
-- planner joins by hashing (or merging), linear in the rows whatever size it planned for: 0.9 ms
-- for 500 rows and 1.7 ms for 2,000, and no slower for one.
ALTER FUNCTION outbox_goals_updated() SET enable_nestloop = off;
