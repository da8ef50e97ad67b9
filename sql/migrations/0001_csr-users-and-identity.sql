-- CSR platform schema, part 1 of 3: tenants, users, identity links, enrollments, journey state.
-- Source of truth: shared/seed/csr-platform-schema.md (table and column names are a contract).
-- Conventions for all three files:
--   * UUID primary keys default to gen_random_uuid() (core since PostgreSQL 13, no extension).
--   * Every timestamp is timestamptz. created_at/updated_at are NOT NULL DEFAULT now(); domain
--     timestamps (matched_at, set_at, ...) are NOT NULL where the seed says so but have no default,
--     so a projection that forgets the event time fails loudly instead of storing arrival time.
--   * updated_at is set by the writers (no trigger), which keeps bulk COPY/upsert paths cheap.
--   * Value sets named in the seed are CHECK constraints (ENUM types only where the seed says ENUM),
--     so adding a value later is a plain constraint swap.

-- Up Migration

-- Tenants. The seed only references companies (metrics_company_period.company_id); the
-- platform owns the full table, this is the minimal shape the foreign keys need.
CREATE TABLE companies (
  id         uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  name       varchar(255) NOT NULL,
  created_at timestamptz  NOT NULL DEFAULT now(),
  updated_at timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id            uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  email         varchar(255) NOT NULL CONSTRAINT users_email_unique UNIQUE,
  -- 'beneficiary' is how the seed maps Buddy participants.
  role          varchar(50)  NOT NULL CONSTRAINT users_role_check
                  CHECK (role IN ('admin', 'company_user', 'participant', 'volunteer', 'beneficiary')),
  first_name    varchar(100),
  last_name     varchar(100),
  journey_flags jsonb        DEFAULT '{}'::jsonb,
  created_at    timestamptz  NOT NULL DEFAULT now(),
  updated_at    timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX idx_users_journey_flags ON users USING gin (journey_flags);

-- Preferred identity link (seed: "Preferred over external_id_mappings").
CREATE TABLE user_external_ids (
  id          uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  -- CASCADE as the seed says: erasing a user removes its external ids.
  profile_id  uuid         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider    varchar(50)  NOT NULL CONSTRAINT user_external_ids_provider_check
                CHECK (provider IN ('kintell', 'discord', 'buddy', 'upskilling')),
  external_id varchar(255) NOT NULL,
  created_at  timestamptz  NOT NULL DEFAULT now(),
  updated_at  timestamptz  NOT NULL DEFAULT now(),
  metadata    jsonb        DEFAULT '{}'::jsonb,
  -- One CSR user per external id (e.g. per Buddy user id); also the resolver's lookup path.
  CONSTRAINT idx_user_external_ids_provider_external UNIQUE (provider, external_id)
);
CREATE INDEX idx_user_external_ids_profile ON user_external_ids (profile_id);
CREATE INDEX idx_user_external_ids_provider ON user_external_ids (provider);

-- Older identity link, kept because the platform still reads it.
CREATE TABLE external_id_mappings (
  id              uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  -- CASCADE: the mapping belongs to the user and means nothing without it.
  user_id         uuid         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  external_system varchar(50)  NOT NULL CONSTRAINT external_id_mappings_external_system_check
                    CHECK (external_system IN ('kintell', 'discord', 'buddy', 'upskilling')),
  external_id     varchar(255) NOT NULL,
  created_at      timestamptz  NOT NULL DEFAULT now(),
  CONSTRAINT external_id_mappings_system_external_id_unique UNIQUE (external_system, external_id)
);
-- FK columns are indexed so that cascades on user erasure do not scan the child table.
CREATE INDEX external_id_mappings_user_id_idx ON external_id_mappings (user_id);

CREATE TABLE program_enrollments (
  id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  -- CASCADE: an enrollment is part of the user's own record.
  user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  program_type varchar(50) NOT NULL CONSTRAINT program_enrollments_program_type_check
                 CHECK (program_type IN ('buddy', 'language', 'mentorship', 'upskilling')),
  enrolled_at  timestamptz NOT NULL,
  status       varchar(50) NOT NULL DEFAULT 'active' CONSTRAINT program_enrollments_status_check
                 CHECK (status IN ('active', 'completed', 'dropped')),
  completed_at timestamptz,
  -- Tenant from the event's metadata.companyId, when it carries one. No FK: events name their
  -- company whether or not the platform's companies table has that row yet.
  company_id   uuid
);
-- user_id is indexed by 0100's UNIQUE (user_id, program_type), which also serves the FK.
CREATE INDEX program_enrollments_company_id_idx ON program_enrollments (company_id);

CREATE TABLE journey_flags (
  id          uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  -- CASCADE: computed per-user state, worthless once the user is erased.
  user_id     uuid         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  flag        varchar(100) NOT NULL,
  value       boolean      NOT NULL,
  set_by_rule varchar(100),
  set_at      timestamptz  NOT NULL,
  expires_at  timestamptz
);
CREATE INDEX journey_flags_user_flag_idx ON journey_flags (user_id, flag);

CREATE TABLE journey_milestones (
  id                uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  -- CASCADE: per-user history, erased with the user.
  user_id           uuid         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  milestone         varchar(100) NOT NULL,
  reached_at        timestamptz  NOT NULL,
  triggered_by_rule varchar(100),
  metadata          jsonb
);
-- user_id is indexed by 0100's UNIQUE (user_id, milestone), which also serves the FK.

-- Down Migration

DROP TABLE journey_milestones;
DROP TABLE journey_flags;
DROP TABLE program_enrollments;
DROP TABLE external_id_mappings;
DROP TABLE user_external_ids;
DROP TABLE users;
DROP TABLE companies;
