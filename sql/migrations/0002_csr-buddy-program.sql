-- CSR platform schema, part 2 of 3: Buddy matches and their activity, the raw Buddy event
-- store, and Kintell sessions (which also hold Buddy skill-share sessions).
-- Conventions: see 0001_csr-users-and-identity.sql.

-- Up Migration

CREATE TABLE buddy_matches (
  id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Plain FKs (no CASCADE): a match is shared by two people, so erasing one of them must not
  -- silently delete the other's history. GDPR erasure handles matches explicitly.
  participant_id uuid        NOT NULL REFERENCES users (id),
  buddy_id       uuid        NOT NULL REFERENCES users (id),
  matched_at     timestamptz NOT NULL,
  status         varchar(50) NOT NULL DEFAULT 'active' CONSTRAINT buddy_matches_status_check
                   CHECK (status IN ('active', 'inactive', 'ended')),
  ended_at       timestamptz,
  -- Tenant from the event's metadata.companyId, when it carries one. No FK: events name their
  -- company whether or not the platform's companies table has that row yet.
  company_id     uuid
);
CREATE INDEX buddy_matches_participant_status_idx ON buddy_matches (participant_id, status);
-- "Active matches for user" queries both sides; also keeps the buddy_id FK check cheap.
CREATE INDEX buddy_matches_buddy_status_idx ON buddy_matches (buddy_id, status);
CREATE INDEX buddy_matches_company_id_idx ON buddy_matches (company_id);

-- Children of a match use plain FKs too: a match with history is never deleted implicitly;
-- erasure redacts their free text instead (seed: "Redact on Delete").
CREATE TABLE buddy_events (
  id          uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id    uuid         NOT NULL REFERENCES buddy_matches (id),
  event_type  varchar(100),
  event_date  timestamptz,
  description text,
  location    varchar(255),
  -- Schema extension: sdg_goals, duration_minutes, attendee_count, event_format.
  metadata    jsonb        NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX buddy_events_match_date_idx ON buddy_events (match_id, event_date);
CREATE INDEX buddy_events_type_date_idx ON buddy_events (event_type, event_date);

CREATE TABLE buddy_checkins (
  id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id     uuid        NOT NULL REFERENCES buddy_matches (id),
  checkin_date timestamptz NOT NULL,
  mood         varchar(50) CONSTRAINT buddy_checkins_mood_check
                 CHECK (mood IN ('great', 'good', 'okay', 'struggling', 'difficult')),
  notes        text
);
CREATE INDEX buddy_checkins_match_date_idx ON buddy_checkins (match_id, checkin_date);

CREATE TABLE buddy_feedback (
  id            uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id      uuid         NOT NULL REFERENCES buddy_matches (id),
  from_role     varchar(50)  NOT NULL CONSTRAINT buddy_feedback_from_role_check
                  CHECK (from_role IN ('participant', 'buddy')),
  rating        numeric(3,2) NOT NULL CONSTRAINT buddy_feedback_rating_check
                  CHECK (rating BETWEEN 0 AND 1),
  feedback_text text,
  submitted_at  timestamptz  NOT NULL
);
CREATE INDEX buddy_feedback_match_id_idx ON buddy_feedback (match_id);
CREATE INDEX buddy_feedback_submitted_at_idx ON buddy_feedback (submitted_at);

-- Raw event store: every Buddy event, exactly once (UNIQUE event_id), payload kept for replay.
-- The buddy_events_* index names are the seed's, although the table is buddy_system_events.
CREATE TABLE buddy_system_events (
  id              uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The UNIQUE constraint's own index carries the seed's name, so event_id has one index, not two.
  event_id        uuid         NOT NULL CONSTRAINT buddy_events_event_id_idx UNIQUE,
  event_type      varchar(100) NOT NULL,
  user_id         varchar(100),
  "timestamp"     timestamptz  NOT NULL,
  payload         jsonb        NOT NULL,
  correlation_id  uuid,
  processed_at    timestamptz,
  derived_metrics jsonb        DEFAULT '[]'::jsonb,
  created_at      timestamptz  NOT NULL DEFAULT now(),
  -- Tenant from metadata.companyId. No FK: raw events are stored before (and whether or not)
  -- the company exists here.
  company_id      uuid
);
CREATE INDEX buddy_events_user_timestamp_idx ON buddy_system_events (user_id, "timestamp");
CREATE INDEX buddy_events_event_type_idx ON buddy_system_events (event_type);

CREATE TABLE kintell_sessions (
  id                  uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  external_session_id varchar(255),
  -- Schema extension: 'skill_share' for Buddy skill exchange sessions.
  session_type        varchar(50)  NOT NULL CONSTRAINT kintell_sessions_session_type_check
                        CHECK (session_type IN ('language', 'mentorship', 'skill_share')),
  -- Plain FKs, as for buddy_matches: a session is shared by two people; erasure is explicit.
  participant_id      uuid         NOT NULL REFERENCES users (id),
  volunteer_id        uuid         NOT NULL REFERENCES users (id),
  scheduled_at        timestamptz,
  completed_at        timestamptz,
  duration_minutes    integer,
  rating              numeric(3,2) CONSTRAINT kintell_sessions_rating_check
                        CHECK (rating BETWEEN 0 AND 1),
  feedback_text       text,
  language_level      varchar(10),
  topics              jsonb,
  metadata            jsonb,
  created_at          timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX kintell_sessions_type_completed_idx ON kintell_sessions (session_type, completed_at);
CREATE INDEX kintell_sessions_participant_id_idx ON kintell_sessions (participant_id);
CREATE INDEX kintell_sessions_volunteer_id_idx ON kintell_sessions (volunteer_id);

-- Down Migration

DROP TABLE kintell_sessions;
DROP TABLE buddy_system_events;
DROP TABLE buddy_feedback;
DROP TABLE buddy_checkins;
DROP TABLE buddy_events;
DROP TABLE buddy_matches;
