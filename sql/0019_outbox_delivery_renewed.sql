-- Whether messages are for delivery is one setting for every replica. A replica with a webhook
-- turns it on and renews it while it runs; one without a webhook turns it off only once no replica
-- has renewed it for a while, so a replica that differs (a rolling deploy adding or removing the
-- webhook, a delivering replica down for a time) does not stop delivery for the others.
ALTER TABLE outbox_settings ADD COLUMN webhook_renewed_at timestamptz;

-- A deployment delivering today keeps delivering through the upgrade of its replicas, as though one
-- had just renewed. A new database, migrated in this same transaction (`now()` is its start), has
-- the setting's first value and no replica yet: it starts unrenewed, and the first replica without
-- a webhook turns delivery off.
UPDATE outbox_settings SET webhook_renewed_at = now()
WHERE webhook_delivery AND EXISTS (SELECT 1 FROM schema_migrations WHERE applied_at < now());
