/**
 * Forward-only migrations, in order. Listed explicitly (not read from a directory at run time) so
 * they are embedded in the compiled binary; a test checks this list matches the files in sql/.
 */
import m0001 from '../../sql/0001_user_goal_progress.sql' with { type: 'text' };
import m0002 from '../../sql/0002_processed_events.sql' with { type: 'text' };
import m0003 from '../../sql/0003_last_event_at.sql' with { type: 'text' };
import m0004 from '../../sql/0004_relative_progress_and_rotation.sql' with { type: 'text' };
import m0005 from '../../sql/0005_progress_fillfactor.sql' with { type: 'text' };
import m0006 from '../../sql/0006_erasure_and_expired_cleanup.sql' with { type: 'text' };
import m0007 from '../../sql/0007_event_audit.sql' with { type: 'text' };
import m0008 from '../../sql/0008_challenge_configs.sql' with { type: 'text' };
import m0009 from '../../sql/0009_outbox.sql' with { type: 'text' };
import m0010 from '../../sql/0010_outbox_delivery.sql' with { type: 'text' };
import m0011 from '../../sql/0011_outbox_reset_meaning.sql' with { type: 'text' };
import m0012 from '../../sql/0012_outbox_insert_statement.sql' with { type: 'text' };
import m0013 from '../../sql/0013_outbox_delivery_when_configured.sql' with { type: 'text' };
import m0014 from '../../sql/0014_stat_values.sql' with { type: 'text' };
import m0015 from '../../sql/0015_outbox_update_statement.sql' with { type: 'text' };
import m0016 from '../../sql/0016_stat_takeovers.sql' with { type: 'text' };
import m0017 from '../../sql/0017_outbox_delivery_once.sql' with { type: 'text' };
import m0018 from '../../sql/0018_outbox_notify_after_commit.sql' with { type: 'text' };
import m0019 from '../../sql/0019_outbox_delivery_renewed.sql' with { type: 'text' };
import m0020 from '../../sql/0020_outbox_update_join_plan.sql' with { type: 'text' };
import m0021 from '../../sql/0021_erased_claims.sql' with { type: 'text' };
import m0022 from '../../sql/0022_refused_claims.sql' with { type: 'text' };

export interface Migration {
  readonly version: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: '0001_user_goal_progress', sql: m0001 },
  { version: '0002_processed_events', sql: m0002 },
  { version: '0003_last_event_at', sql: m0003 },
  { version: '0004_relative_progress_and_rotation', sql: m0004 },
  { version: '0005_progress_fillfactor', sql: m0005 },
  { version: '0006_erasure_and_expired_cleanup', sql: m0006 },
  { version: '0007_event_audit', sql: m0007 },
  { version: '0008_challenge_configs', sql: m0008 },
  { version: '0009_outbox', sql: m0009 },
  { version: '0010_outbox_delivery', sql: m0010 },
  { version: '0011_outbox_reset_meaning', sql: m0011 },
  { version: '0012_outbox_insert_statement', sql: m0012 },
  { version: '0013_outbox_delivery_when_configured', sql: m0013 },
  { version: '0014_stat_values', sql: m0014 },
  { version: '0015_outbox_update_statement', sql: m0015 },
  { version: '0016_stat_takeovers', sql: m0016 },
  { version: '0017_outbox_delivery_once', sql: m0017 },
  { version: '0018_outbox_notify_after_commit', sql: m0018 },
  { version: '0019_outbox_delivery_renewed', sql: m0019 },
  { version: '0020_outbox_update_join_plan', sql: m0020 },
  { version: '0021_erased_claims', sql: m0021 },
  { version: '0022_refused_claims', sql: m0022 },
];
