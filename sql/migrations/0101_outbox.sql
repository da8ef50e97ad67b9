-- The transactional outbox: records to publish (q2q texts, journey changes) written in the same
-- transaction as the projections they come from, published by the relay, marked sent on the
-- broker's acknowledgement. A rolled-back batch leaves no record; a crash before publishing leaves
-- the record unsent, and the relay publishes it on restart.

-- Up Migration

CREATE TABLE outbox (
  -- Deterministic per source (e.g. the text's row id and type): downstream dedupes by it, and a
  -- replayed projection cannot enqueue the same record twice.
  id              uuid         PRIMARY KEY,
  topic           varchar(255) NOT NULL,
  message_key     varchar(255),
  payload         jsonb        NOT NULL,
  source_event_id uuid,
  -- The CSR user the record is about: GDPR erasure scrubs their unsent and sent records.
  user_id         uuid,
  created_at      timestamptz  NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_user_id_idx ON outbox (user_id);

-- Down Migration

DROP TABLE outbox;
