-- The relay claims unsent outbox rows in (created_at, id) order. Rows written by one batch share
-- created_at (the transaction's now()), so an index on created_at alone leaves a sort of every
-- unsent row of that batch behind each claim; this one hands them over in claim order.

-- Up Migration

CREATE INDEX outbox_unsent_order_idx ON outbox (created_at, id) WHERE sent_at IS NULL;
DROP INDEX outbox_unsent_idx;

-- Down Migration

CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE sent_at IS NULL;
DROP INDEX outbox_unsent_order_idx;
