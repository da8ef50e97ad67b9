// A small, hand-checked world for metrics_company_period: two companies, matches, sessions, texts and
// scores over February to April 2025, written straight into the tables. EXPECTED is worked out by hand
// from the definitions in docs/metrics.md (the comments show the working).
import type pg from 'pg';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export const COMPANY_A = '0a000000-0000-4000-8000-00000000000a';
export const COMPANY_B = '0b000000-0000-4000-8000-00000000000b';
/** Has a stale metrics row, no matches: untouched by a recompute of all companies. */
export const COMPANY_D = '0d000000-0000-4000-8000-00000000000d';

const [P1, P2, P3, P4, P5, P9] = [id(1), id(2), id(3), id(4), id(5), id(9)] as const;
const [V1, V2, V3, V4, V9] = [id(11), id(12), id(13), id(14), id(19)] as const;
const [M1, M2, M3, M4, M5, M6, M9] = [id(101), id(102), id(103), id(104), id(105), id(106), id(109)] as const;

export async function seedCompanyMetricsFixture(db: pg.Pool | pg.Client): Promise<void> {
  const users = [P1, P2, P3, P4, P5, P9, V1, V2, V3, V4, V9];
  for (const [i, u] of users.entries()) {
    await db.query(`INSERT INTO users (id, email, role) VALUES ($1, $2, $3)`, [
      u,
      `user${i}@example.org`,
      i < 6 ? 'beneficiary' : 'volunteer',
    ]);
  }
  // A already exists in companies (its name is kept); B does not (a placeholder row is created).
  await db.query(`INSERT INTO companies (id, name) VALUES ($1, 'Acme'), ($2, 'Delta')`, [
    COMPANY_A,
    COMPANY_D,
  ]);
  const match = (m: string, p: string, v: string, company: string | null, from: string, to: string | null) =>
    db.query(
      `INSERT INTO buddy_matches (id, participant_id, buddy_id, matched_at, status, ended_at, company_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [m, p, v, from, to ? 'ended' : 'active', to, company],
    );
  await match(M4, P3, V1, COMPANY_A, '2025-02-10T09:00:00Z', '2025-03-01T12:00:00Z'); // Feb, Mar
  await match(M1, P1, V1, COMPANY_A, '2025-03-05T09:00:00Z', null); // Mar, Apr
  await match(M2, P2, V2, COMPANY_A, '2025-03-20T09:00:00Z', '2025-04-02T09:00:00Z'); // Mar, Apr
  await match(M3, P1, V3, COMPANY_A, '2025-04-10T09:00:00Z', '2025-04-20T09:00:00Z'); // Apr
  await match(M5, P4, V4, COMPANY_B, '2025-03-15T09:00:00Z', null); // Mar, Apr
  await match(M6, P5, V4, COMPANY_B, '2025-04-01T09:00:00Z', null); // Apr
  await match(M9, P9, V9, null, '2025-03-01T09:00:00Z', null); // no tenant: in no company's metrics

  const event = (e: number, m: string, at: string) =>
    db.query(
      `INSERT INTO buddy_events (id, match_id, event_type, event_date) VALUES ($1, $2, 'hangout', $3)`,
      [id(e), m, at],
    );
  await event(201, M1, '2025-03-10T18:00:00Z');
  await event(202, M2, '2025-03-25T18:00:00Z');
  await event(203, M1, '2025-03-31T20:00:00Z'); // March in UTC (April 1 in UTC+14)
  await event(204, M1, '2025-04-03T18:00:00Z');
  await event(205, M5, '2025-04-05T18:00:00Z');
  await event(206, M6, '2025-04-06T18:00:00Z');
  await event(209, M9, '2025-03-06T18:00:00Z');
  const session = (s: number, p: string, v: string, type: string, matchId: string | null, at: string) =>
    db.query(
      `INSERT INTO kintell_sessions (id, session_type, participant_id, volunteer_id, completed_at, metadata)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [id(s), type, p, v, at, JSON.stringify(matchId ? { match_id: matchId.toUpperCase() } : {})],
    );
  // Online skill share of M1: a kintell session AND its video call in buddy_events, same id: one session.
  await session(301, P1, V1, 'skill_share', M1, '2025-04-15T10:00:00Z');
  await db.query(
    `INSERT INTO buddy_events (id, match_id, event_type, event_date) VALUES ($1, $2, 'video_call', $3)`,
    [id(301), M1, '2025-04-15T10:00:00Z'],
  );
  await session(302, P1, V3, 'skill_share', M3, '2025-04-12T10:00:00Z');
  await session(303, P1, V1, 'skill_share', null, '2025-04-12T10:00:00Z'); // no match: no company
  await session(304, P1, V1, 'language', M1, '2025-04-13T10:00:00Z'); // not a skill share

  await db.query(
    `INSERT INTO buddy_checkins (id, match_id, checkin_date) VALUES ($1, $2, '2025-03-12T10:00:00Z')`,
    [id(401), M1],
  );
  const feedback = (f: number, m: string, at: string) =>
    db.query(
      `INSERT INTO buddy_feedback (id, match_id, from_role, rating, submitted_at) VALUES ($1, $2, 'participant', 0.8, $3)`,
      [id(f), m, at],
    );
  await feedback(501, M1, '2025-03-15T10:00:00Z');
  await feedback(502, M2, '2025-03-28T10:00:00Z');
  await feedback(503, M6, '2025-04-20T10:00:00Z');
  await feedback(509, M9, '2025-03-20T10:00:00Z');

  const score = (
    text: number,
    type: string,
    dim: string,
    value: number,
    method: string,
    version: string,
    at: string,
  ) =>
    db.query(
      `INSERT INTO outcome_scores (text_id, text_type, dimension, score, method, model_version, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id(text), type, dim, value, method, version, at],
    );
  const t0 = '2025-05-01T00:00:00Z';
  const t1 = '2025-05-02T00:00:00Z';
  await score(401, 'checkin_note', 'well_being', 0.9, 'rule_based', 'r1', t0); // not job readiness
  await score(501, 'buddy_feedback', 'job_readiness', 0.65, 'rule_based', 'r1', t1);
  await score(501, 'buddy_feedback', 'job_readiness', 0.8, 'ai_classifier', 'm1', t0); // ai beats rules
  await score(501, 'buddy_feedback', 'lang_level_proxy', 0.4, 'ai_classifier', 'm1', t0);
  await score(502, 'buddy_feedback', 'job_readiness', 0.2, 'rule_based', 'r0', t0);
  await score(502, 'buddy_feedback', 'job_readiness', 0.5, 'rule_based', 'r1', t1); // the latest rules win
  await score(302, 'skill_feedback', 'job_readiness', 0.9, 'ai_classifier', 'm1', t0);
  await score(301, 'kintell_feedback', 'job_readiness', 0.95, 'ai_classifier', 'm1', t0);
  await score(301, 'skill_feedback', 'job_readiness', 0.6, 'manual', 'human', t0); // manual beats ai
  await score(303, 'skill_feedback', 'job_readiness', 0.1, 'ai_classifier', 'm1', t0); // no company
  await score(503, 'buddy_feedback', 'job_readiness', 0.3, 'rule_based', 'r1', t0);
  await score(509, 'buddy_feedback', 'job_readiness', 0.99, 'ai_classifier', 'm1', t0); // no tenant
  await score(503, 'checkin_note', 'job_readiness', 0.0, 'ai_classifier', 'm1', t0); // wrong type for the id

  // Rows a recompute must remove (A, January: not a month of A) or leave alone (D).
  await db.query(
    `INSERT INTO metrics_company_period (company_id, period_start, period_end, participants_count)
     VALUES ($1, '2025-01-01', '2025-01-31', 99), ($2, '2025-01-01', '2025-01-31', 7)`,
    [COMPANY_A, COMPANY_D],
  );
}

type Row = [string, string, string, number, number, number, number | null, number | null];
const row = ([company, start, end, p, v, s, jr, ll]: Row) => ({
  company_id: company,
  period_start: start,
  period_end: end,
  participants_count: p,
  volunteers_count: v,
  sessions_count: s,
  avg_integration_score: null,
  avg_language_level: ll,
  avg_job_readiness: jr,
  sroi_ratio: null,
  vis_score: null,
});

/** [company, period_start, period_end, participants, volunteers, sessions, avg job readiness, avg language level] */
export const EXPECTED = [
  // A, Feb: M4 (P3, V1); no session, no score.
  row([COMPANY_A, '2025-02-01', '2025-02-28', 1, 1, 0, null, null]),
  // A, Mar: M4 (ended Mar 1), M1, M2 -> participants P3, P1, P2; volunteers V1, V2. Sessions 201, 202, 203.
  // Job readiness: feedback 501 -> 0.8 (ai over rules), 502 -> 0.5 (latest rules): (0.8 + 0.5) / 2.
  // Language level: 501's lang_level_proxy 0.4.
  row([COMPANY_A, '2025-03-01', '2025-03-31', 3, 2, 3, 0.65, 0.4]),
  // A, Apr: M1, M2 (ended Apr 2), M3 -> participants P1, P2; volunteers V1, V2, V3. Sessions 204, 301
  // (video call and skill share, once), 302. Job readiness: 302 -> 0.9, 301 -> 0.6 (manual): 0.75.
  row([COMPANY_A, '2025-04-01', '2025-04-30', 2, 3, 3, 0.75, null]),
  // B, Mar: M5 (P4, V4); no session.
  row([COMPANY_B, '2025-03-01', '2025-03-31', 1, 1, 0, null, null]),
  // B, Apr: M5, M6 -> participants P4, P5; volunteer V4. Sessions 205, 206. Job readiness: 503 -> 0.3.
  row([COMPANY_B, '2025-04-01', '2025-04-30', 2, 1, 2, 0.3, null]),
];

/** The rows as the tests read them: dates as text, numerics as numbers. */
export const SELECT_METRICS = `SELECT company_id, period_start::text, period_end::text, participants_count,
  volunteers_count, sessions_count, avg_integration_score::float8, avg_language_level::float8,
  avg_job_readiness::float8, sroi_ratio::float8, vis_score::float8
  FROM metrics_company_period WHERE company_id <> $1 ORDER BY company_id, period_start`;
