// Every SQL statement of the write path, named. Values always travel as parameters or COPY rows.

/**
 * Staging tables live per connection (temporary), created once, emptied by each merge. `json`: the
 * jsonb columns (a string value there is JSON text, as COPY reads it).
 */
export const STAGING = {
  buddy_system_events: {
    create:
      'CREATE TEMP TABLE IF NOT EXISTS stage_buddy_system_events (LIKE buddy_system_events INCLUDING DEFAULTS)',
    columns: [
      'event_id',
      'event_type',
      'user_id',
      'timestamp',
      'payload',
      'correlation_id',
      'company_id',
      'processed_at',
      'derived_metrics',
    ],
    json: ['payload', 'derived_metrics'],
  },
  buddy_matches: {
    create: 'CREATE TEMP TABLE IF NOT EXISTS stage_buddy_matches (LIKE buddy_matches INCLUDING DEFAULTS)',
    columns: ['id', 'participant_id', 'buddy_id', 'matched_at', 'status', 'company_id'],
  },
  match_ends: {
    create:
      'CREATE TEMP TABLE IF NOT EXISTS stage_match_ends (id uuid NOT NULL, ended_at timestamptz NOT NULL, end_reason varchar(50) NOT NULL)',
    columns: ['id', 'ended_at', 'end_reason'],
  },
  buddy_events: {
    create: 'CREATE TEMP TABLE IF NOT EXISTS stage_buddy_events (LIKE buddy_events INCLUDING DEFAULTS)',
    columns: ['id', 'match_id', 'event_type', 'event_date', 'description', 'location', 'metadata'],
    json: ['metadata'],
  },
  buddy_checkins: {
    create: 'CREATE TEMP TABLE IF NOT EXISTS stage_buddy_checkins (LIKE buddy_checkins INCLUDING DEFAULTS)',
    columns: ['id', 'match_id', 'checkin_date', 'mood', 'notes'],
  },
  buddy_feedback: {
    create: 'CREATE TEMP TABLE IF NOT EXISTS stage_buddy_feedback (LIKE buddy_feedback INCLUDING DEFAULTS)',
    columns: ['id', 'match_id', 'from_role', 'rating', 'feedback_text', 'submitted_at'],
  },
  kintell_sessions: {
    create:
      'CREATE TEMP TABLE IF NOT EXISTS stage_kintell_sessions (LIKE kintell_sessions INCLUDING DEFAULTS)',
    columns: [
      'id',
      'external_session_id',
      'session_type',
      'participant_id',
      'volunteer_id',
      'scheduled_at',
      'completed_at',
      'duration_minutes',
      'rating',
      'feedback_text',
      'topics',
      'metadata',
    ],
    json: ['topics', 'metadata'],
  },
  journey_milestones: {
    create:
      'CREATE TEMP TABLE IF NOT EXISTS stage_journey_milestones (LIKE journey_milestones INCLUDING DEFAULTS)',
    columns: ['user_id', 'milestone', 'reached_at', 'triggered_by_rule', 'metadata'],
    json: ['metadata'],
  },
  outbox: {
    // Not LIKE: the relay's tx and seq are the outbox's own (its defaults), never staged.
    create: `CREATE TEMP TABLE IF NOT EXISTS stage_outbox AS
      SELECT id, topic, message_key, payload, source_event_id, user_id FROM outbox WITH NO DATA`,
    columns: ['id', 'topic', 'message_key', 'payload', 'source_event_id', 'user_id'],
    json: ['payload'],
  },
} as const satisfies Record<string, { create: string; columns: readonly string[]; json?: readonly string[] }>;

export type StagedTable = keyof typeof STAGING;

/**
 * The tables whose merge keeps the row already there (`ON CONFLICT (id) DO NOTHING`, `id` their first
 * staged column): rows whose id they do not hold can go straight in by COPY (store/staging.ts).
 */
export const INSERT_ONLY_TABLES = [
  'buddy_matches',
  'buddy_events',
  'buddy_checkins',
  'buddy_feedback',
  'kintell_sessions',
  'outbox',
] as const satisfies readonly StagedTable[];

const list = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(', ');

/** Where a merge takes its rows: the staging table (emptied), or the JSON array in $1 (a row per object). */
type Source = (table: StagedTable) => string;
const fromStaging: Source = (table) => `DELETE FROM stage_${table} RETURNING *`;
const fromJson: Source = (table) => `SELECT * FROM json_populate_recordset(NULL::stage_${table}, $1::json)`;

/** The merge of each staged table, from a source. */
function merges(source: Source): Record<StagedTable, string> {
  /** Moves the rows into their target with `conflict`. */
  function mergeInto(table: StagedTable, conflict: string, returning = ''): string {
    const columns = list(STAGING[table].columns);
    return `WITH moved AS (${source(table)})
INSERT INTO ${table} (${columns}) SELECT ${columns} FROM moved ${conflict} ${returning}`;
  }
  return {
    // The dedupe against the raw store: only the ids this returns are new.
    buddy_system_events: mergeInto(
      'buddy_system_events',
      'ON CONFLICT (event_id) DO NOTHING',
      'RETURNING event_id',
    ),
    // A re-sent match.created never touches status or ended_at: it cannot reopen an ended match.
    buddy_matches: mergeInto('buddy_matches', 'ON CONFLICT (id) DO NOTHING'),
    buddy_events: mergeInto('buddy_events', 'ON CONFLICT (id) DO NOTHING'),
    buddy_checkins: mergeInto('buddy_checkins', 'ON CONFLICT (id) DO NOTHING'),
    buddy_feedback: mergeInto('buddy_feedback', 'ON CONFLICT (id) DO NOTHING'),
    kintell_sessions: mergeInto('kintell_sessions', 'ON CONFLICT (id) DO NOTHING'),
    // Reached once per user; whichever order the events come in, the earliest reached_at wins.
    journey_milestones: mergeInto(
      'journey_milestones',
      `ON CONFLICT (user_id, milestone) DO UPDATE SET reached_at = EXCLUDED.reached_at,
       triggered_by_rule = EXCLUDED.triggered_by_rule, metadata = EXCLUDED.metadata
     WHERE EXCLUDED.reached_at < journey_milestones.reached_at`,
    ),
    // Deterministic record ids: a record is enqueued once, however often its source is applied.
    outbox: mergeInto('outbox', 'ON CONFLICT (id) DO NOTHING', 'RETURNING id'),
    // The earliest end wins (ties by reason), so any arrival order converges.
    match_ends: `WITH moved AS (${source('match_ends')})
UPDATE buddy_matches m SET status = 'ended', ended_at = s.ended_at, end_reason = s.end_reason
FROM moved s
WHERE m.id = s.id AND (m.ended_at IS NULL OR s.ended_at < m.ended_at
  OR (s.ended_at = m.ended_at AND s.end_reason < coalesce(m.end_reason, '')))`,
  };
}

/** The merges of the rows COPY put in the staging tables. */
export const MERGE = merges(fromStaging);
/** The same merges of rows sent as one JSON parameter ($1), for small sets (store/staging.ts). */
export const MERGE_JSON = merges(fromJson);

export const SQL = {
  knownEventIds: 'SELECT event_id::text AS id FROM buddy_system_events WHERE event_id = ANY($1::uuid[])',

  lookupUsers: `SELECT external_id, profile_id::text AS user_id, metadata->>'buddy_language_preference' AS language
    FROM user_external_ids WHERE provider = 'buddy' AND external_id = ANY($1::text[])`,

  lookupMatches: `SELECT m.id::text AS id, m.participant_id::text AS participant_id, m.buddy_id::text AS buddy_id,
      m.company_id::text AS company_id, p.external_id AS participant_buddy_id,
      p.metadata->>'buddy_language_preference' AS participant_language,
      b.metadata->>'buddy_language_preference' AS buddy_language
    FROM buddy_matches m
    LEFT JOIN user_external_ids p ON p.profile_id = m.participant_id AND p.provider = 'buddy'
    LEFT JOIN user_external_ids b ON b.profile_id = m.buddy_id AND b.provider = 'buddy'
    WHERE m.id = ANY($1::uuid[])`,

  /**
   * Offsets of a batch's partitions: each row created at 0 when missing, then locked (the no-op update
   * takes the row lock) for the rest of the transaction, in (topic, partition) order so that two
   * transactions never wait on each other crosswise. $1 group, $2 topics, $3 partitions.
   */
  lockOffsets: `INSERT INTO stream_offsets AS s (group_id, topic, partition, next_offset)
    SELECT $1, t, p, 0 FROM unnest($2::text[], $3::int[]) AS x(t, p) ORDER BY t, p
    ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = s.next_offset
    RETURNING topic, partition, next_offset::text AS next_offset`,
  /** Moves each partition's offset if it is still where the batch found it. $4 next, $5 as found, $6 event time. */
  storeOffsets: `UPDATE stream_offsets s SET next_offset = x.next, updated_at = now(),
      event_time_high = greatest(s.event_time_high, x.at)
    FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::timestamptz[]) AS x(t, p, next, found, at)
    WHERE s.group_id = $1 AND s.topic = x.t AND s.partition = x.p AND s.next_offset = x.found`,
  readOffsets: `SELECT topic, partition, next_offset::text AS next_offset FROM stream_offsets WHERE group_id = $1`,

  park: `INSERT INTO parked_events (event_id, event_type, waiting_for_kind, waiting_for_ref, source_topic, source_partition, source_offset)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[])
    ON CONFLICT (event_id) DO UPDATE SET waiting_for_kind = EXCLUDED.waiting_for_kind,
      waiting_for_ref = EXCLUDED.waiting_for_ref`,

  /** Parked events whose reference now exists, oldest first. */
  unparkable: `SELECT p.event_id::text AS event_id, e.payload
    FROM parked_events p JOIN buddy_system_events e ON e.event_id = p.event_id
    WHERE (p.waiting_for_kind = 'user' AND p.waiting_for_ref = ANY($1::text[]))
       OR (p.waiting_for_kind = 'match' AND p.waiting_for_ref = ANY($2::text[]))
    ORDER BY e."timestamp", p.event_id
    FOR UPDATE OF p`,

  /** Marks stored (previously parked) events applied and drops their parking rows. */
  markApplied: `WITH applied AS (
      SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS a(event_id, user_id, derived)
    ), unparked AS (
      DELETE FROM parked_events p USING applied a WHERE p.event_id = a.event_id
    )
    UPDATE buddy_system_events e SET processed_at = now(), user_id = coalesce(a.user_id, e.user_id),
      derived_metrics = a.derived
    FROM applied a WHERE e.event_id = a.event_id`,

  /** Buddy enrolment of each touched user, recomputed from their matches. */
  refreshEnrollments: `WITH touched AS (SELECT unnest($1::uuid[]) AS user_id),
    roles AS (
      SELECT m.participant_id AS user_id, m.* FROM buddy_matches m WHERE m.participant_id IN (SELECT user_id FROM touched)
      UNION ALL
      SELECT m.buddy_id AS user_id, m.* FROM buddy_matches m WHERE m.buddy_id IN (SELECT user_id FROM touched)
    )
    INSERT INTO program_enrollments (user_id, program_type, enrolled_at, status, completed_at, company_id)
    SELECT user_id, 'buddy', min(matched_at),
      CASE WHEN bool_or(status = 'active') THEN 'active'
           WHEN bool_or(end_reason = 'completed') THEN 'completed' ELSE 'dropped' END,
      max(ended_at) FILTER (WHERE end_reason = 'completed'),
      (array_agg(company_id ORDER BY matched_at, id) FILTER (WHERE company_id IS NOT NULL))[1]
    FROM roles GROUP BY user_id
    ON CONFLICT (user_id, program_type) DO UPDATE SET enrolled_at = EXCLUDED.enrolled_at,
      status = EXCLUDED.status, completed_at = EXCLUDED.completed_at, company_id = EXCLUDED.company_id
    WHERE (program_enrollments.enrolled_at, program_enrollments.status, program_enrollments.completed_at,
           program_enrollments.company_id)
      IS DISTINCT FROM (EXCLUDED.enrolled_at, EXCLUDED.status, EXCLUDED.completed_at, EXCLUDED.company_id)`,

  /**
   * users.journey_flags' match keys, recomputed in one statement from the tables (no read-modify-write
   * in the application; the caller holds the users' derived locks): $1 user ids.
   */
  refreshMatchFlags: `WITH t AS (SELECT DISTINCT unnest($1::uuid[]) AS user_id),
    p AS (SELECT participant_id AS user_id, count(*) AS n FROM buddy_matches
      WHERE participant_id IN (SELECT user_id FROM t) GROUP BY participant_id),
    b AS (SELECT buddy_id AS user_id, count(*) AS n FROM buddy_matches
      WHERE buddy_id IN (SELECT user_id FROM t) GROUP BY buddy_id),
    r AS (SELECT DISTINCT ON (profile_id) profile_id AS user_id, metadata->>'buddy_role' AS role
      FROM user_external_ids WHERE provider = 'buddy' AND profile_id IN (SELECT user_id FROM t)
      ORDER BY profile_id, external_id),
    flags AS (
      SELECT t.user_id, jsonb_build_object(
          'is_buddy_participant', coalesce(p.n, 0) > 0 OR r.role = 'participant',
          'is_buddy_volunteer', coalesce(b.n, 0) > 0 OR r.role = 'buddy',
          'buddy_match_count', coalesce(p.n, 0) + coalesce(b.n, 0)) AS value
      FROM t LEFT JOIN p ON p.user_id = t.user_id LEFT JOIN b ON b.user_id = t.user_id
        LEFT JOIN r ON r.user_id = t.user_id
    )
    UPDATE users u SET journey_flags = coalesce(u.journey_flags, '{}'::jsonb) || f.value, updated_at = now()
    FROM flags f WHERE u.id = f.user_id AND coalesce(u.journey_flags, '{}'::jsonb) || f.value IS DISTINCT FROM u.journey_flags`,

  /**
   * users.journey_flags.last_buddy_activity: the greater of the stored time and the batch's, merged
   * atomically per row (a concurrent writer's newer time is re-read under the row lock, never lost).
   * Rows are locked in id order so that two batches cannot deadlock, FOR NO KEY UPDATE as the UPDATE
   * itself locks them: FOR UPDATE would also block every insert of a row referring to the user (its
   * foreign key check locks the user FOR KEY SHARE), and the journey sweep, holding derived locks this
   * batch takes later, deadlocked on one (test/integration/row-locks.test.ts). $1 user ids, $2 their times.
   */
  recordActivity: `WITH t AS (
      SELECT user_id, max(at) AS at FROM unnest($1::uuid[], $2::timestamptz[]) AS t(user_id, at)
      WHERE at IS NOT NULL GROUP BY user_id
    ), locked AS (
      SELECT u.id FROM users u JOIN t ON t.user_id = u.id
      WHERE u.journey_flags->>'last_buddy_activity' IS NULL OR (u.journey_flags->>'last_buddy_activity')::timestamptz < t.at
      ORDER BY u.id FOR NO KEY UPDATE OF u
    )
    UPDATE users u SET journey_flags = coalesce(u.journey_flags, '{}'::jsonb) || jsonb_build_object('last_buddy_activity',
        to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')), updated_at = now()
    FROM t WHERE u.id = t.user_id AND u.id IN (SELECT id FROM locked)
      AND (u.journey_flags->>'last_buddy_activity' IS NULL OR (u.journey_flags->>'last_buddy_activity')::timestamptz < t.at)`,
} as const;
