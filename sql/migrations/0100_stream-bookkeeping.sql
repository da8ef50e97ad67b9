-- buddy-stream's own tables: stored offsets (the truth about progress), parked events, and the
-- few columns and unique keys the projections need beyond the seed.

-- Up Migration

-- The next offset to apply per consumer group and topic-partition. Written in the same
-- transaction as the batch it covers, so it is exactly as far as the projections are.
CREATE TABLE stream_offsets (
  group_id    varchar(255) NOT NULL,
  topic       varchar(255) NOT NULL,
  partition   integer      NOT NULL,
  next_offset bigint       NOT NULL,
  updated_at  timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

-- Events stored in buddy_system_events (processed_at NULL) whose user or match does not exist yet.
CREATE TABLE parked_events (
  event_id         uuid         PRIMARY KEY REFERENCES buddy_system_events (event_id) ON DELETE CASCADE,
  event_type       varchar(100) NOT NULL,
  waiting_for_kind varchar(20)  NOT NULL CONSTRAINT parked_events_waiting_for_kind_check
                     CHECK (waiting_for_kind IN ('user', 'match')),
  waiting_for_ref  varchar(255) NOT NULL,
  source_topic     varchar(255),
  source_partition integer,
  source_offset    bigint,
  parked_at        timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX parked_events_waiting_idx ON parked_events (waiting_for_kind, waiting_for_ref);
CREATE INDEX parked_events_parked_at_idx ON parked_events (parked_at);

-- Why a match ended; program_enrollments.status = 'completed' follows reason 'completed'.
ALTER TABLE buddy_matches ADD COLUMN end_reason varchar(50);

-- One buddy enrollment per user; one row per milestone per user (reached once).
CREATE UNIQUE INDEX program_enrollments_user_program_unique ON program_enrollments (user_id, program_type);
CREATE UNIQUE INDEX journey_milestones_user_milestone_unique ON journey_milestones (user_id, milestone);

-- Down Migration

DROP INDEX journey_milestones_user_milestone_unique;
DROP INDEX program_enrollments_user_program_unique;
ALTER TABLE buddy_matches DROP COLUMN end_reason;
DROP TABLE parked_events;
DROP TABLE stream_offsets;
