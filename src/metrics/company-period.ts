// metrics_company_period: one row per company (the matches' tenant) and UTC calendar month, recomputed
// from the projected tables and the Q2Q scores. Definitions and formulas: docs/metrics.md.
import type pg from 'pg';

/**
 * One statement, so it is atomic inside or outside the caller's transaction: computes every month of
 * the target companies, creates a placeholder `companies` row for a tenant the platform has not
 * created yet, upserts the months (UNIQUE company_id, period_start, period_end) and deletes the target
 * companies' rows for months that no longer exist. Other companies' rows are left alone.
 * $1: the companies to recompute (uuid[]), or NULL for every company that has a buddy match.
 */
export const RECOMPUTE_COMPANY_METRICS = `
WITH target AS (
  SELECT DISTINCT company_id FROM buddy_matches WHERE company_id IS NOT NULL AND $1::uuid[] IS NULL
  UNION
  SELECT unnest($1::uuid[])
),
m AS (
  SELECT bm.id, bm.company_id, bm.participant_id, bm.buddy_id,
    bm.matched_at AT TIME ZONE 'UTC' AS from_at, bm.ended_at AT TIME ZONE 'UTC' AS to_at
  FROM buddy_matches bm JOIN target t ON t.company_id = bm.company_id
),
skill AS (
  SELECT k.id, m.company_id, k.completed_at AT TIME ZONE 'UTC' AS at
  FROM kintell_sessions k JOIN m ON m.id::text = lower(k.metadata->>'match_id')
  WHERE k.session_type = 'skill_share' AND k.completed_at IS NOT NULL
),
-- An online skill share of a match is also its video call in buddy_events, with the same id: UNION
-- and count(DISTINCT id) count it once.
sessions AS (
  SELECT e.id, m.company_id, e.event_date AT TIME ZONE 'UTC' AS at
  FROM buddy_events e JOIN m ON m.id = e.match_id WHERE e.event_date IS NOT NULL
  UNION
  SELECT id, company_id, at FROM skill
),
texts AS (
  SELECT c.id, 'checkin_note' AS text_type, m.company_id, c.checkin_date AT TIME ZONE 'UTC' AS at
  FROM buddy_checkins c JOIN m ON m.id = c.match_id
  UNION ALL
  SELECT f.id, 'buddy_feedback', m.company_id, f.submitted_at AT TIME ZONE 'UTC'
  FROM buddy_feedback f JOIN m ON m.id = f.match_id
  UNION ALL
  SELECT id, 'skill_feedback', company_id, at FROM skill
),
-- Per text and dimension, the score that counts: manual before ai_classifier before rule_based, then
-- the latest.
best AS (
  SELECT DISTINCT ON (t.id, t.text_type, s.dimension) t.company_id, t.at, s.dimension, s.score
  FROM texts t JOIN outcome_scores s ON s.text_id = t.id
    AND (s.text_type = t.text_type OR (t.text_type = 'skill_feedback' AND s.text_type = 'kintell_feedback'))
  WHERE s.dimension IN ('job_readiness', 'lang_level_proxy')
  ORDER BY t.id, t.text_type, s.dimension,
    CASE s.method WHEN 'manual' THEN 0 WHEN 'ai_classifier' THEN 1 ELSE 2 END, s.created_at DESC, s.id
),
bounds AS (
  SELECT company_id, min(at) AS first_at, max(at) AS last_at FROM (
    SELECT company_id, from_at AS at FROM m
    UNION ALL SELECT company_id, to_at FROM m WHERE to_at IS NOT NULL
    UNION ALL SELECT company_id, at FROM sessions
    UNION ALL SELECT company_id, at FROM texts
  ) facts GROUP BY company_id
),
periods AS (
  SELECT b.company_id, p::date AS period_start, (p + interval '1 month' - interval '1 day')::date AS period_end
  FROM bounds b,
    generate_series(date_trunc('month', b.first_at), date_trunc('month', b.last_at), interval '1 month') p
),
active AS (
  SELECT p.company_id, p.period_start,
    count(DISTINCT m.participant_id) AS participants, count(DISTINCT m.buddy_id) AS volunteers
  FROM periods p JOIN m ON m.company_id = p.company_id
    AND m.from_at < p.period_end + 1 AND (m.to_at IS NULL OR m.to_at >= p.period_start)
  GROUP BY p.company_id, p.period_start
),
session_counts AS (
  SELECT company_id, date_trunc('month', at)::date AS period_start, count(DISTINCT id) AS sessions
  FROM sessions GROUP BY 1, 2
),
score_avgs AS (
  SELECT company_id, date_trunc('month', at)::date AS period_start,
    avg(score) FILTER (WHERE dimension = 'job_readiness') AS job_readiness,
    avg(score) FILTER (WHERE dimension = 'lang_level_proxy') AS language_level
  FROM best GROUP BY 1, 2
),
computed AS (
  SELECT p.company_id, p.period_start, p.period_end,
    coalesce(a.participants, 0)::int AS participants_count,
    coalesce(a.volunteers, 0)::int AS volunteers_count,
    coalesce(sc.sessions, 0)::int AS sessions_count,
    sa.language_level AS avg_language_level,
    sa.job_readiness AS avg_job_readiness
  FROM periods p
  LEFT JOIN active a USING (company_id, period_start)
  LEFT JOIN session_counts sc USING (company_id, period_start)
  LEFT JOIN score_avgs sa USING (company_id, period_start)
),
placeholder AS (
  INSERT INTO companies (id, name)
  SELECT company_id, 'company ' || left(company_id::text, 8) FROM computed GROUP BY company_id
  ON CONFLICT (id) DO NOTHING
),
upserted AS (
  INSERT INTO metrics_company_period (company_id, period_start, period_end, participants_count,
    volunteers_count, sessions_count, avg_integration_score, avg_language_level, avg_job_readiness,
    sroi_ratio, vis_score)
  SELECT company_id, period_start, period_end, participants_count, volunteers_count, sessions_count,
    NULL, avg_language_level, avg_job_readiness, NULL, NULL
  FROM computed
  ON CONFLICT (company_id, period_start, period_end) DO UPDATE SET
    participants_count = EXCLUDED.participants_count, volunteers_count = EXCLUDED.volunteers_count,
    sessions_count = EXCLUDED.sessions_count, avg_integration_score = EXCLUDED.avg_integration_score,
    avg_language_level = EXCLUDED.avg_language_level, avg_job_readiness = EXCLUDED.avg_job_readiness,
    sroi_ratio = EXCLUDED.sroi_ratio, vis_score = EXCLUDED.vis_score, created_at = now()
  RETURNING 1
),
stale AS (
  DELETE FROM metrics_company_period x USING target t
  WHERE x.company_id = t.company_id AND NOT EXISTS (
    SELECT 1 FROM computed c
    WHERE c.company_id = x.company_id AND c.period_start = x.period_start AND c.period_end = x.period_end)
)
SELECT count(*)::int AS n FROM upserted`;

/**
 * Recomputes metrics_company_period for `companyIds` (default: every company that has a buddy match)
 * and returns the number of rows written. Idempotent: running it again writes the same values.
 */
export async function recomputeCompanyMetrics(
  client: pg.PoolClient | pg.Client,
  options: { companyIds?: string[] } = {},
): Promise<number> {
  const ids = options.companyIds === undefined ? null : options.companyIds.map((id) => id.toLowerCase());
  const { rows } = await client.query<{ n: number }>(RECOMPUTE_COMPANY_METRICS, [ids]);
  return rows[0]!.n;
}
