// A user's journey state, read from the projection tables in one statement for many users: what the
// declarative rules (rules.ts) look at.
import type pg from 'pg';

export interface JourneyState {
  userId: string;
  matchCount: number;
  activeMatchCount: number;
  firstMatchedAt: string | null;
  /** Dates of the activities of the user's matches (buddy_events), earliest first, at most 20. */
  eventDates: string[];
  /** Check-in dates of the user's matches, earliest first, at most 12. */
  checkinDates: string[];
  /** Skill-share sessions the user learned or taught in, earliest first, at most 3. */
  skillShareDates: string[];
  /** The first activity at least 90 / 180 days after the first match (null until there is one). */
  activeFor90Days: string | null;
  activeFor180Days: string | null;
  /** As participant, an active match whose last check-in (or start) is more than 7 days of event time ago. */
  checkinDue: boolean;
  /**
   * When feedback became pending: the earliest end of a match without feedback from the user's side,
   * plus the feedback window (null when there is none, or the window has not passed yet).
   */
  feedbackPendingSince: string | null;
}

export interface JourneyClock {
  /** Event time "now": the latest event time the stream has applied. */
  now: string;
  /** How long after a match ends feedback may come before it is pending. */
  feedbackWindowMs: number;
}

// Times come back as the text Date#toISOString() gives (UTC, milliseconds), made by Postgres: parsing
// timestamptz arrays into Date objects and printing them again was a few percent of the processor's CPU.
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const iso = (t: string) => `to_char((${t}) AT TIME ZONE 'UTC', ${ISO})`;
/** An array of times as one comma-separated string, in array order ('' when empty or NULL). */
const isoList = (a: string) =>
  `coalesce(array_to_string(ARRAY(SELECT ${iso('t.d')} FROM unnest(${a}) WITH ORDINALITY AS t(d, n) ORDER BY t.n), ','), '')`;

const STATE_SQL = `
WITH u AS (SELECT DISTINCT unnest($1::uuid[]) AS user_id),
m AS (
  SELECT u.user_id, bm.id AS match_id, bm.matched_at, bm.status, bm.ended_at, 'participant'::text AS side
    FROM u JOIN buddy_matches bm ON bm.participant_id = u.user_id
  UNION ALL
  SELECT u.user_id, bm.id, bm.matched_at, bm.status, bm.ended_at, 'buddy'::text
    FROM u JOIN buddy_matches bm ON bm.buddy_id = u.user_id
),
ms AS (
  SELECT user_id, count(*)::int AS match_count, (count(*) FILTER (WHERE status = 'active'))::int AS active_count,
    min(matched_at) AS first_matched_at
  FROM m GROUP BY user_id
),
-- Activities and check-ins are read once each: their first dates, and the first one at least 90 / 180
-- days after the first match.
ev AS (
  SELECT m.user_id, (array_agg(e.event_date ORDER BY e.event_date))[1:20] AS dates,
    min(e.event_date) FILTER (WHERE e.event_date >= ms.first_matched_at + interval '90 days') AS active_90,
    min(e.event_date) FILTER (WHERE e.event_date >= ms.first_matched_at + interval '180 days') AS active_180
  FROM m JOIN ms ON ms.user_id = m.user_id JOIN buddy_events e ON e.match_id = m.match_id
  WHERE e.event_date IS NOT NULL GROUP BY m.user_id
),
ci AS (
  SELECT m.user_id, (array_agg(c.checkin_date ORDER BY c.checkin_date))[1:12] AS dates,
    min(c.checkin_date) FILTER (WHERE c.checkin_date >= ms.first_matched_at + interval '90 days') AS active_90,
    min(c.checkin_date) FILTER (WHERE c.checkin_date >= ms.first_matched_at + interval '180 days') AS active_180
  FROM m JOIN ms ON ms.user_id = m.user_id JOIN buddy_checkins c ON c.match_id = m.match_id
  GROUP BY m.user_id
),
ss AS (
  -- Two joins, not one with OR: an OR join condition can only be a nested loop over all sessions.
  SELECT s.user_id, (array_agg(s.completed_at ORDER BY s.completed_at))[1:3] AS dates
  FROM (
    SELECT u.user_id, k.id, k.completed_at FROM u JOIN kintell_sessions k ON k.participant_id = u.user_id
      WHERE k.session_type = 'skill_share' AND k.completed_at IS NOT NULL
    UNION
    SELECT u.user_id, k.id, k.completed_at FROM u JOIN kintell_sessions k ON k.volunteer_id = u.user_id
      WHERE k.session_type = 'skill_share' AND k.completed_at IS NOT NULL
  ) s GROUP BY s.user_id
),
due AS (
  SELECT m.user_id, bool_or(coalesce(
      (SELECT max(c.checkin_date) FROM buddy_checkins c WHERE c.match_id = m.match_id), m.matched_at)
      < $2::timestamptz - interval '7 days') AS checkin_due
  FROM m WHERE m.status = 'active' AND m.side = 'participant' GROUP BY m.user_id
),
fb AS (
  SELECT m.user_id, min(m.ended_at) + make_interval(secs => $3::double precision / 1000) AS since
  FROM m WHERE m.status = 'ended' AND m.ended_at < $2::timestamptz - make_interval(secs => $3::double precision / 1000)
    AND NOT EXISTS (SELECT 1 FROM buddy_feedback f WHERE f.match_id = m.match_id AND f.from_role = m.side)
  GROUP BY m.user_id
)
SELECT u.user_id::text AS user_id, coalesce(ms.match_count, 0) AS match_count,
  coalesce(ms.active_count, 0) AS active_count, ${iso('ms.first_matched_at')} AS first_matched_at,
  ${isoList('ev.dates')} AS event_dates, ${isoList('ci.dates')} AS checkin_dates,
  ${isoList('ss.dates')} AS skill_share_dates,
  -- least() ignores NULLs: the earlier of the two, or whichever there is.
  ${iso('least(ev.active_90, ci.active_90)')} AS active_90, ${iso('least(ev.active_180, ci.active_180)')} AS active_180,
  coalesce(due.checkin_due, false) AS checkin_due, ${iso('fb.since')} AS feedback_pending_since
FROM u
LEFT JOIN ms ON ms.user_id = u.user_id
LEFT JOIN ev ON ev.user_id = u.user_id
LEFT JOIN ci ON ci.user_id = u.user_id
LEFT JOIN ss ON ss.user_id = u.user_id
LEFT JOIN due ON due.user_id = u.user_id
LEFT JOIN fb ON fb.user_id = u.user_id`;

interface StateRow {
  user_id: string;
  match_count: number;
  active_count: number;
  first_matched_at: string | null;
  /** Comma-separated ISO times. */
  event_dates: string;
  checkin_dates: string;
  skill_share_dates: string;
  active_90: string | null;
  active_180: string | null;
  checkin_due: boolean;
  feedback_pending_since: string | null;
}

const list = (joined: string): string[] => (joined === '' ? [] : joined.split(','));

export async function readJourneyStates(
  client: pg.PoolClient | pg.Client,
  userIds: string[],
  clock: JourneyClock,
): Promise<JourneyState[]> {
  if (userIds.length === 0) return [];
  const { rows } = await client.query<StateRow>(STATE_SQL, [userIds, clock.now, clock.feedbackWindowMs]);
  return rows.map((r) => ({
    userId: r.user_id,
    matchCount: r.match_count,
    activeMatchCount: r.active_count,
    firstMatchedAt: r.first_matched_at,
    eventDates: list(r.event_dates),
    checkinDates: list(r.checkin_dates),
    skillShareDates: list(r.skill_share_dates),
    activeFor90Days: r.active_90,
    activeFor180Days: r.active_180,
    checkinDue: r.checkin_due,
    feedbackPendingSince: r.feedback_pending_since,
  }));
}

/** The stream's event-time clock: the latest event time applied by the group, or `fallback` if later. */
export async function readEventClock(
  client: pg.PoolClient | pg.Client,
  groupId: string,
  fallback: string | null,
): Promise<string | null> {
  const { rows } = await client.query<{ at: Date | null }>(
    'SELECT max(event_time_high) AS at FROM stream_offsets WHERE group_id = $1',
    [groupId],
  );
  const stored = rows[0]?.at?.toISOString() ?? null;
  if (stored === null) return fallback;
  if (fallback === null) return stored;
  return Date.parse(stored) > Date.parse(fallback) ? stored : fallback;
}
