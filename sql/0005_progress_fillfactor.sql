-- Every event rewrites the progress rows it advances, and an absolute goal's row keeps changing
-- until it is claimed. None of the changed columns is indexed, so PostgreSQL can update a row in
-- place on its page (a HOT update: no new index entries, dead versions pruned page by page) when
-- the page has room. Leaving a quarter of each page free gives it that room. It applies to pages
-- written from now on; run VACUUM FULL (or pg_repack) once to rewrite an existing table.
ALTER TABLE user_goal_progress SET (fillfactor = 75);
