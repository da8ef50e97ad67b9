-- Journey state as streaming state: one row per user and flag (upserted when the value changes), and
-- the event-time clock that time-based journey rules (check-in due, feedback pending) run on.

-- Up Migration

CREATE UNIQUE INDEX journey_flags_user_flag_unique ON journey_flags (user_id, flag);
DROP INDEX IF EXISTS journey_flags_user_flag_idx;

-- The latest event time applied per partition: the stream's clock is the greatest of them, so a
-- replay of last year's events judges "7 days without a check-in" by last year's calendar.
ALTER TABLE stream_offsets ADD COLUMN event_time_high timestamptz;

-- Down Migration

ALTER TABLE stream_offsets DROP COLUMN event_time_high;
CREATE INDEX journey_flags_user_flag_idx ON journey_flags (user_id, flag);
DROP INDEX journey_flags_user_flag_unique;
