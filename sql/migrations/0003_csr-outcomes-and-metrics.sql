-- CSR platform schema, part 3 of 3: Q2Q outcome scores and their evidence, and the
-- company-period metrics that aggregate them.
-- Conventions: see 0001_csr-users-and-identity.sql.

-- Up Migration

-- The seed declares these two as ENUMs (the others are CHECK constraints).
CREATE TYPE outcome_score_method AS ENUM ('ai_classifier', 'rule_based', 'manual');
CREATE TYPE outcome_score_language AS ENUM ('en', 'uk', 'no', 'unknown');

CREATE TABLE outcome_scores (
  id            uuid                   PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Polymorphic reference (buddy_feedback.id, buddy_checkins.id, kintell_sessions.id), so no FK.
  text_id       uuid                   NOT NULL,
  -- Schema extension: 'skill_feedback' for skill-share session feedback.
  text_type     varchar(50)            CONSTRAINT outcome_scores_text_type_check
                  CHECK (text_type IN ('buddy_feedback', 'kintell_feedback', 'checkin_note', 'skill_feedback')),
  dimension     varchar(50)            NOT NULL CONSTRAINT outcome_scores_dimension_check
                  CHECK (dimension IN ('confidence', 'belonging', 'lang_level_proxy', 'job_readiness', 'well_being')),
  score         numeric(4,3)           NOT NULL CONSTRAINT outcome_scores_score_check
                  CHECK (score BETWEEN 0 AND 1),
  confidence    numeric(4,3)           CONSTRAINT outcome_scores_confidence_check
                  CHECK (confidence BETWEEN 0 AND 1),
  model_version varchar(50),
  method        outcome_score_method   DEFAULT 'ai_classifier',
  provider_used varchar(50),
  language      outcome_score_language DEFAULT 'en',
  topics        jsonb,
  created_at    timestamptz            NOT NULL DEFAULT now()
);
CREATE INDEX outcome_scores_text_id_idx ON outcome_scores (text_id);
-- The seed names a single-column dimension index and, separately, lists (dimension, created_at)
-- as a critical index; both are kept as specified although the first is a prefix of the second.
CREATE INDEX outcome_scores_dimension_idx ON outcome_scores (dimension);
CREATE INDEX outcome_scores_dimension_created_at_idx ON outcome_scores (dimension, created_at);
CREATE INDEX outcome_scores_language_idx ON outcome_scores (language);

CREATE TABLE evidence_snippets (
  id               uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  -- CASCADE: a snippet only exists as evidence for its score. Nullable, as in the seed.
  outcome_score_id uuid         REFERENCES outcome_scores (id) ON DELETE CASCADE,
  snippet_text     text,
  -- The UNIQUE constraint's own index carries the seed's name (one index, not two).
  snippet_hash     varchar(64)  CONSTRAINT evidence_snippets_hash_idx UNIQUE,
  embedding_ref    varchar(255),
  embedding        text,
  source_ref       varchar(255),
  created_at       timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX evidence_snippets_outcome_score_idx ON evidence_snippets (outcome_score_id);

CREATE TABLE metrics_company_period (
  id                    uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  -- CASCADE: aggregates belong to the company and are recomputable.
  company_id            uuid         NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
  period_start          date         NOT NULL,
  period_end            date         NOT NULL,
  participants_count    integer,
  volunteers_count      integer,
  sessions_count        integer,
  avg_integration_score numeric(4,3),
  avg_language_level    numeric(4,3),
  avg_job_readiness     numeric(4,3),
  sroi_ratio            numeric(6,2),
  vis_score             numeric(6,2),
  created_at            timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX metrics_company_period_idx ON metrics_company_period (company_id, period_start);
CREATE INDEX metrics_period_start_idx ON metrics_company_period (period_start);

-- Down Migration

DROP TABLE metrics_company_period;
DROP TABLE evidence_snippets;
DROP TABLE outcome_scores;
DROP TYPE outcome_score_language;
DROP TYPE outcome_score_method;
