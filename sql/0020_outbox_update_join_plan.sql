-- The update trigger joins the statement's old and new rows (0015). PL/pgSQL plans that query once
-- per connection and keeps the plan, costed for the transition tables of the first statement it
-- saw: on a connection whose first update wrote one row, a nested loop, with which an update of n
-- rows compares n × n pairs (an event flush writes hundreds of rows in one statement, and a
-- configuration change that releases the rows of a goal thousands). Without nested loops the
-- planner joins by hashing (or merging), linear in the rows whatever size it planned for, and no
-- slower for one row (measured in loadtest/RESULTS.md, "The outbox update trigger without nested
-- loops").
ALTER FUNCTION outbox_goals_updated() SET enable_nestloop = off;
