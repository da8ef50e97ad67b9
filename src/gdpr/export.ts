// A data subject access request: everything the database holds about one person, as one JSON document.
import type pg from 'pg';
import { EVENTS_OF, matchesOf, type Subject } from '../ops-tools/subject.ts';

const Q = {
  profile: `SELECT id, email, role, first_name, last_name, journey_flags, created_at, updated_at FROM users WHERE id = $1::uuid`,
  externalIds: `SELECT provider, external_id, metadata, created_at, updated_at FROM user_external_ids WHERE profile_id = $1::uuid
    ORDER BY provider, external_id`,
  mappings: `SELECT external_system, external_id, created_at FROM external_id_mappings WHERE user_id = $1::uuid
    ORDER BY external_system, external_id`,
  enrollments: 'SELECT * FROM program_enrollments WHERE user_id = $1::uuid ORDER BY program_type',
  matches: `SELECT *, CASE WHEN participant_id = $2::uuid THEN 'participant' ELSE 'buddy' END AS role_in_match
    FROM buddy_matches WHERE id::text = ANY($1::text[]) ORDER BY matched_at, id`,
  activities: 'SELECT * FROM buddy_events WHERE match_id::text = ANY($1::text[]) ORDER BY event_date, id',
  checkins: 'SELECT * FROM buddy_checkins WHERE match_id::text = ANY($1::text[]) ORDER BY checkin_date, id',
  feedback: 'SELECT * FROM buddy_feedback WHERE match_id::text = ANY($1::text[]) ORDER BY submitted_at, id',
  sessions: `SELECT *, CASE WHEN participant_id = $1::uuid THEN 'learner' ELSE 'teacher' END AS role_in_session
    FROM kintell_sessions WHERE participant_id = $1::uuid OR volunteer_id = $1::uuid ORDER BY completed_at, id`,
  flags:
    'SELECT flag, value, set_by_rule, set_at, expires_at FROM journey_flags WHERE user_id = $1::uuid ORDER BY flag',
  milestones: `SELECT milestone, reached_at, triggered_by_rule, metadata FROM journey_milestones WHERE user_id = $1::uuid
    ORDER BY reached_at, milestone`,
  scores: `SELECT s.*, coalesce((SELECT json_agg(json_build_object('snippet_text', e.snippet_text, 'source_ref', e.source_ref))
      FROM evidence_snippets e WHERE e.outcome_score_id = s.id), '[]') AS evidence
    FROM outcome_scores s WHERE s.text_id::text = ANY($1::text[]) ORDER BY s.text_id, s.dimension, s.id`,
  outbox: `SELECT o.id, o.topic, o.payload, o.created_at, (o.tx, o.seq) <= (c.tx, c.seq) AS sent
    FROM outbox o, outbox_cursor c WHERE o.user_id = $1::uuid ORDER BY o.created_at, o.id`,
} as const;

/** The DSAR document of a person: profile, identity links, Buddy activity, raw events, journey, scores. */
export async function exportSubject(
  db: pg.Pool | pg.PoolClient,
  subject: Subject,
): Promise<Record<string, unknown>> {
  const u = subject.userId;
  const rows = async (sql: string, params: unknown[]) => (await db.query(sql, params)).rows;
  const matches = await matchesOf(db, subject);
  const sessions = u ? await rows(Q.sessions, [u]) : [];
  const checkins = await rows(Q.checkins, [matches]);
  const feedback = await rows(Q.feedback, [matches]);
  const textIds = [...checkins, ...feedback, ...sessions].map((r) => String(r.id));
  const raw = await rows(EVENTS_OF, [subject.buddyIds, matches]);
  return {
    generatedAt: new Date().toISOString(),
    subject: { userId: u, buddyUserIds: subject.buddyIds, erased: subject.tombstone },
    profile: u ? ((await rows(Q.profile, [u]))[0] ?? null) : null,
    externalIds: u ? await rows(Q.externalIds, [u]) : [],
    externalIdMappings: u ? await rows(Q.mappings, [u]) : [],
    enrollments: u ? await rows(Q.enrollments, [u]) : [],
    matches: await rows(Q.matches, [matches, u]),
    activities: await rows(Q.activities, [matches]),
    checkins,
    feedback,
    skillSessions: sessions,
    journeyFlags: u ? await rows(Q.flags, [u]) : [],
    journeyMilestones: u ? await rows(Q.milestones, [u]) : [],
    outcomeScores: await rows(Q.scores, [textIds]),
    outboxRecords: u ? await rows(Q.outbox, [u]) : [],
    rawEvents: raw.map((r) => ({
      eventId: r.event_id,
      timestamp: r.timestamp,
      payload: JSON.parse(r.payload),
    })),
  };
}
