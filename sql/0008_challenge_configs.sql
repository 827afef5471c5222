-- Challenge configurations as applied, newest last: the file at start-up or on SIGHUP, or a body
-- sent to PUT /v1/admin/config. The row with the highest id is in force; every replica polls for it.
CREATE TABLE challenge_configs (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Content hash of the validated configuration: equal rules, equal version, however spelled.
  version     text        NOT NULL,
  -- The document as given, in the configuration file's format.
  document    jsonb       NOT NULL,
  source      text        NOT NULL CHECK (source IN ('file', 'api')),
  -- The file's path, or the admin's user id.
  applied_by  text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX challenge_configs_file_versions ON challenge_configs (version) WHERE source = 'file';
