-- The least-privilege role `buddy-stream run` connects as: read and write the rows it projects, nothing
-- else. No DDL (migrations run as the schema owner: k8s/migration-job.yaml), no TRUNCATE, no DELETE but
-- where the processor deletes (expired parked events from the raw store; unparked events; recomputed
-- company metrics; a person erased on request, and their unsent outbox records).
--
--   psql -v role=buddy_stream_processor [-v password=SECRET] -d buddy_stream -f sql/roles/buddy-stream-processor.sql
--
-- Run as the schema owner or a superuser, after `buddy-stream migrate`, and again after a migration that
-- adds a table the processor uses (test/integration/least-privilege.test.ts runs the whole pipeline under
-- this role, so a missing grant fails CI). Idempotent: it first revokes what the role had, then grants.
-- Other commands (import, metrics-recompute, gdpr, dlq replay, ...) need other grants: run them as the owner.
-- On PostgreSQL 14 and older, also `REVOKE CREATE ON SCHEMA public FROM PUBLIC` (15 does it by default).

\set ON_ERROR_STOP on
\if :{?role}
\else
  \echo 'usage: psql -v role=NAME [-v password=SECRET] -d DATABASE -f sql/roles/buddy-stream-processor.sql'
  DO $$ BEGIN RAISE EXCEPTION 'the psql variable role is not set'; END $$;
\endif

BEGIN;

SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT;
\if :{?password}
ALTER ROLE :"role" PASSWORD :'password';
\endif

-- From nothing, in this database.
SELECT format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), :'role') \gexec
REVOKE ALL ON SCHEMA public FROM :"role";
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"role";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"role";
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM :"role";

-- Connect, and create the per-connection staging tables (COPY targets) as temporary tables.
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'role') \gexec
GRANT USAGE ON SCHEMA public TO :"role";

-- Rows the processor reads, inserts and updates (ON CONFLICT DO UPDATE and SELECT ... FOR UPDATE need
-- UPDATE): identity, projections, journey state, Q2Q scores, its offsets, parked events and the outbox.
GRANT SELECT, INSERT, UPDATE ON
  users,
  user_external_ids,
  external_id_mappings,
  program_enrollments,
  journey_flags,
  journey_milestones,
  buddy_matches,
  buddy_events,
  buddy_checkins,
  buddy_feedback,
  buddy_system_events,
  kintell_sessions,
  outcome_scores,
  evidence_snippets,
  stream_offsets,
  parked_events,
  outbox,
  outbox_cursor
TO :"role";
GRANT SELECT ON outbox_unsent TO :"role"; -- the outbox backlog gauges

-- Parked events leave parked_events when applied; expired ones leave the raw store (dead-lettered).
GRANT DELETE ON parked_events, buddy_system_events TO :"role";

-- GDPR erasure requests, which `run` consumes (src/gdpr/erase.ts): the person's user row is deleted (its
-- links, enrolment and journey rows go by ON DELETE CASCADE, which runs as the tables' owner) and their
-- unsent Q2Q records are dropped from the outbox.
GRANT DELETE ON users, outbox TO :"role";

-- A completed `buddy.import.batch` recomputes its companies' period metrics (src/metrics/company-period.ts):
-- a placeholder row for a tenant not seen yet, and the periods replaced.
GRANT INSERT, SELECT (id) ON companies TO :"role"; -- SELECT (id): ON CONFLICT (id) DO NOTHING reads it
GRANT SELECT, INSERT, UPDATE, DELETE ON metrics_company_period TO :"role";

-- buddy-stream's own functions (identity resolution in one round trip).
SELECT format('GRANT EXECUTE ON FUNCTION %s TO %I', p.oid::regprocedure, :'role')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.proname LIKE 'buddy\_stream\_%' \gexec

COMMIT;
