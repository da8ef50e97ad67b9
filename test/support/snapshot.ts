// The database state in the model's shape (test/support/model.ts), so a test can write
// `expect(await snapshotDatabase(client)).toEqual(computeExpected(events))`: CSR user ids translated
// back to Buddy ids, timestamps as UTC ISO strings with milliseconds, decimals as numbers.
import type pg from 'pg';
import type {
  BuddyEventRow,
  BuddyState,
  CheckinRow,
  EnrollmentRow,
  FeedbackRow,
  JourneyFlagsRow,
  KintellSessionRow,
  MatchRow,
  MilestoneRow,
  ParkedRow,
  RawEventRow,
  UserRow,
} from './model.ts';

/** A pg.Client, pg.Pool or pool client. */
interface Queryable {
  query(text: string): Promise<pg.QueryResult<pg.QueryResultRow>>;
}

const Q = {
  users: `SELECT x.external_id AS buddy_id, u.id::text AS user_id, u.email, u.first_name, u.last_name, u.role,
      u.journey_flags
    FROM users u JOIN user_external_ids x ON x.profile_id = u.id AND x.provider = 'buddy'
    ORDER BY x.external_id`,
  matches: `SELECT id::text AS id, participant_id::text AS participant_id, buddy_id::text AS buddy_id, matched_at,
      status, ended_at, end_reason, company_id::text AS company_id
    FROM buddy_matches ORDER BY id`,
  events: `SELECT id::text AS id, match_id::text AS match_id, event_type, event_date, description, location
    FROM buddy_events ORDER BY id`,
  checkins: `SELECT id::text AS id, match_id::text AS match_id, checkin_date, mood, notes FROM buddy_checkins ORDER BY id`,
  feedback: `SELECT id::text AS id, match_id::text AS match_id, from_role, rating::text AS rating, feedback_text,
      submitted_at
    FROM buddy_feedback ORDER BY id`,
  sessions: `SELECT id::text AS id, external_session_id, session_type, participant_id::text AS participant_id,
      volunteer_id::text AS volunteer_id, scheduled_at, completed_at, duration_minutes, rating::text AS rating,
      feedback_text, topics
    FROM kintell_sessions ORDER BY id`,
  // Only the milestones buddy.milestone.reached maps (journey rules may add others).
  milestones: `SELECT user_id::text AS user_id, milestone, reached_at, triggered_by_rule FROM journey_milestones
    WHERE milestone LIKE 'buddy\\_milestone\\_%' ORDER BY user_id, milestone, reached_at`,
  enrollments: `SELECT user_id::text AS user_id, program_type, enrolled_at, status, completed_at
    FROM program_enrollments WHERE program_type = 'buddy' ORDER BY user_id, enrolled_at`,
  raw: `SELECT event_id::text AS event_id, event_type, user_id, "timestamp", correlation_id::text AS correlation_id,
      company_id::text AS company_id, processed_at IS NOT NULL AS processed
    FROM buddy_system_events ORDER BY event_id`,
  parkedTable: `SELECT to_regclass('parked_events') IS NOT NULL AS present`,
  parked: `SELECT event_id::text AS event_id, event_type, waiting_for_kind, waiting_for_ref FROM parked_events
    ORDER BY event_id`,
} as const;

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();
const isoRequired = (value: Date | string): string => new Date(value).toISOString();
const decimal = (value: string | null): number | null => (value === null ? null : Number(value));

/**
 * Puts `row` under `key`; a second row under the same key (which the model never has) is kept under
 * `key#2`, `key#3`, ... so that a duplicate shows up in the diff instead of being overwritten.
 */
function put<T>(table: Record<string, T>, key: string, row: T): void {
  let slot = key;
  for (let n = 2; slot in table; n++) slot = `${key}#${n}`;
  table[slot] = row;
}

/** Reads the Buddy-related tables into the shape computeExpected returns. */
export async function snapshotDatabase(
  db: pg.Client | pg.Pool | pg.PoolClient | Queryable,
): Promise<BuddyState> {
  const client: Queryable = db;
  const state: BuddyState = {
    users: {},
    journey_flags: {},
    buddy_matches: {},
    buddy_events: {},
    buddy_checkins: {},
    buddy_feedback: {},
    kintell_sessions: {},
    journey_milestones: {},
    program_enrollments: {},
    buddy_system_events: {},
    parked: {},
  };

  // CSR user id -> Buddy id. A user without a Buddy link shows as `csr:<id>`, which no model has.
  const buddyIdOf = new Map<string, string>();
  const person = (csrId: string) => buddyIdOf.get(csrId) ?? `csr:${csrId}`;

  const users = await client.query(Q.users);
  for (const r of users.rows) {
    buddyIdOf.set(r.user_id, r.buddy_id);
    const user: UserRow = { email: r.email, first_name: r.first_name, last_name: r.last_name, role: r.role };
    put(state.users, r.buddy_id, user);
    const flags = (r.journey_flags ?? {}) as Record<string, unknown>;
    const journey: JourneyFlagsRow = {
      is_buddy_participant: (flags['is_buddy_participant'] ?? null) as boolean,
      is_buddy_volunteer: (flags['is_buddy_volunteer'] ?? null) as boolean,
      buddy_match_count: (flags['buddy_match_count'] ?? null) as number,
      last_buddy_activity:
        typeof flags['last_buddy_activity'] === 'string' ? iso(flags['last_buddy_activity']) : null,
    };
    put(state.journey_flags, r.buddy_id, journey);
  }

  for (const r of (await client.query(Q.matches)).rows) {
    const row: MatchRow = {
      participant_id: person(r.participant_id),
      buddy_id: person(r.buddy_id),
      matched_at: isoRequired(r.matched_at),
      status: r.status,
      ended_at: iso(r.ended_at),
      end_reason: r.end_reason,
      company_id: r.company_id,
    };
    put(state.buddy_matches, r.id, row);
  }

  for (const r of (await client.query(Q.events)).rows) {
    const row: BuddyEventRow = {
      match_id: r.match_id,
      event_type: r.event_type,
      event_date: iso(r.event_date),
      description: r.description,
      location: r.location,
    };
    put(state.buddy_events, r.id, row);
  }

  for (const r of (await client.query(Q.checkins)).rows) {
    const row: CheckinRow = {
      match_id: r.match_id,
      checkin_date: isoRequired(r.checkin_date),
      mood: r.mood,
      notes: r.notes,
    };
    put(state.buddy_checkins, r.id, row);
  }

  for (const r of (await client.query(Q.feedback)).rows) {
    const row: FeedbackRow = {
      match_id: r.match_id,
      from_role: r.from_role,
      rating: Number(r.rating),
      feedback_text: r.feedback_text,
      submitted_at: isoRequired(r.submitted_at),
    };
    put(state.buddy_feedback, r.id, row);
  }

  for (const r of (await client.query(Q.sessions)).rows) {
    const row: KintellSessionRow = {
      external_session_id: r.external_session_id,
      session_type: r.session_type,
      participant_id: person(r.participant_id),
      volunteer_id: person(r.volunteer_id),
      scheduled_at: iso(r.scheduled_at),
      completed_at: iso(r.completed_at),
      duration_minutes: r.duration_minutes,
      rating: decimal(r.rating),
      feedback_text: r.feedback_text,
      topics: r.topics,
    };
    put(state.kintell_sessions, r.id, row);
  }

  for (const r of (await client.query(Q.milestones)).rows) {
    const userId = person(r.user_id);
    const row: MilestoneRow = {
      user_id: userId,
      milestone: r.milestone,
      reached_at: isoRequired(r.reached_at),
      triggered_by_rule: r.triggered_by_rule,
    };
    put(state.journey_milestones, `${userId} ${r.milestone}`, row);
  }

  for (const r of (await client.query(Q.enrollments)).rows) {
    const row: EnrollmentRow = {
      program_type: r.program_type,
      enrolled_at: isoRequired(r.enrolled_at),
      status: r.status,
      completed_at: iso(r.completed_at),
    };
    put(state.program_enrollments, person(r.user_id), row);
  }

  for (const r of (await client.query(Q.raw)).rows) {
    const row: RawEventRow = {
      event_type: r.event_type,
      user_id: r.user_id,
      timestamp: isoRequired(r.timestamp),
      correlation_id: r.correlation_id,
      company_id: r.company_id,
      processed: r.processed,
    };
    put(state.buddy_system_events, r.event_id, row);
  }

  const parkedTable = await client.query(Q.parkedTable);
  if (parkedTable.rows[0]?.present) {
    for (const r of (await client.query(Q.parked)).rows) {
      const row: ParkedRow = {
        event_type: r.event_type,
        waiting_for_kind: r.waiting_for_kind,
        waiting_for_ref: r.waiting_for_ref,
      };
      put(state.parked, r.event_id, row);
    }
  }

  return state;
}
