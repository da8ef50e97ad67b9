-- The relay follows the outbox with a cursor instead of marking every row it sends. Each row carries the
-- id of the transaction that wrote it (tx) and an insert sequence (seq); the relay publishes rows in
-- (tx, seq) order past the cursor, but only rows whose transaction is older than every transaction still
-- running (pg_snapshot_xmin): no row can appear behind the cursor later, whatever order transactions
-- commit in. Publishing then costs one index range scan and one cursor update per batch of records,
-- instead of an UPDATE (a new copy of the row and its indexes) per record plus a scan of a partial index
-- full of just-sent entries (profiled: 24% of the statement time at 200,000 events).
--
-- A record is sent when (tx, seq) <= the cursor's (tx, seq); the outbox_unsent view lists the others.

-- Up Migration

-- Existing rows: sent ones before the cursor (tx 0), unsent ones just after it (tx 1). Real transaction
-- ids are 3 and up.
ALTER TABLE outbox
  ADD COLUMN tx xid8 NOT NULL DEFAULT '0',
  ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
UPDATE outbox SET tx = '1' WHERE sent_at IS NULL;
ALTER TABLE outbox ALTER COLUMN tx SET DEFAULT pg_current_xact_id();

CREATE TABLE outbox_cursor (
  -- One row: the relay that holds its lock publishes; the others skip.
  id       boolean     PRIMARY KEY DEFAULT true CHECK (id),
  tx       xid8        NOT NULL,
  seq      bigint      NOT NULL,
  moved_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO outbox_cursor (tx, seq) SELECT '0', coalesce(max(seq), 0) FROM outbox WHERE tx = '0';

CREATE INDEX outbox_relay_order_idx ON outbox (tx, seq);
DROP INDEX outbox_unsent_order_idx;
ALTER TABLE outbox DROP COLUMN sent_at;

CREATE VIEW outbox_unsent AS
  SELECT o.* FROM outbox o, outbox_cursor c WHERE (o.tx, o.seq) > (c.tx, c.seq);

-- Down Migration

DROP VIEW outbox_unsent;
ALTER TABLE outbox ADD COLUMN sent_at timestamptz;
UPDATE outbox o SET sent_at = c.moved_at FROM outbox_cursor c WHERE (o.tx, o.seq) <= (c.tx, c.seq);
CREATE INDEX outbox_unsent_order_idx ON outbox (created_at, id) WHERE sent_at IS NULL;
DROP INDEX outbox_relay_order_idx;
DROP TABLE outbox_cursor;
ALTER TABLE outbox DROP COLUMN seq, DROP COLUMN tx;
