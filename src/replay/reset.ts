// What a replay clears before it re-applies the raw store: the Buddy projections and the state derived
// from them. Users, identity links, the raw store, offsets, the outbox, Q2Q scores and company metrics
// are kept: re-applying the user events converges the profiles anyway, outbox ids are deterministic,
// and scores and metrics hang off ids that the replay writes again.
import type pg from 'pg';

const BUDDY_FLAG_KEYS = [
  'is_buddy_participant',
  'is_buddy_volunteer',
  'buddy_match_count',
  'last_buddy_activity',
];

/** [table, statement]; children before their match. Journey rows of the rules and milestone events only. */
const ALL: readonly (readonly [string, string])[] = [
  ['buddy_events', 'DELETE FROM buddy_events'],
  ['buddy_checkins', 'DELETE FROM buddy_checkins'],
  ['buddy_feedback', 'DELETE FROM buddy_feedback'],
  ['kintell_sessions', `DELETE FROM kintell_sessions WHERE session_type = 'skill_share'`],
  ['buddy_matches', 'DELETE FROM buddy_matches'],
  ['program_enrollments', `DELETE FROM program_enrollments WHERE program_type = 'buddy'`],
  ['journey_milestones', `DELETE FROM journey_milestones WHERE triggered_by_rule LIKE 'buddy.%'`],
  ['journey_flags', `DELETE FROM journey_flags WHERE set_by_rule LIKE 'buddy.%'`],
  [
    'users.journey_flags',
    `UPDATE users SET journey_flags = journey_flags - $1::text[] WHERE journey_flags ?| $1::text[]`,
  ],
];

type Args = { user: string; matches: string[]; keys: string[] };

/** The same for one person (their CSR id, their match ids, the Buddy flag keys). */
const ONE: readonly (readonly [string, string, (a: Args) => unknown[]])[] = [
  ['buddy_events', 'DELETE FROM buddy_events WHERE match_id::text = ANY($1::text[])', (a) => [a.matches]],
  ['buddy_checkins', 'DELETE FROM buddy_checkins WHERE match_id::text = ANY($1::text[])', (a) => [a.matches]],
  ['buddy_feedback', 'DELETE FROM buddy_feedback WHERE match_id::text = ANY($1::text[])', (a) => [a.matches]],
  [
    'kintell_sessions',
    `DELETE FROM kintell_sessions WHERE session_type = 'skill_share' AND (participant_id = $1::uuid
       OR volunteer_id = $1::uuid OR lower(metadata->>'match_id') = ANY($2::text[]))`,
    (a) => [a.user, a.matches],
  ],
  ['buddy_matches', 'DELETE FROM buddy_matches WHERE id::text = ANY($1::text[])', (a) => [a.matches]],
  [
    'program_enrollments',
    `DELETE FROM program_enrollments WHERE user_id = $1::uuid AND program_type = 'buddy'`,
    (a) => [a.user],
  ],
  [
    'journey_milestones',
    `DELETE FROM journey_milestones WHERE user_id = $1::uuid AND triggered_by_rule LIKE 'buddy.%'`,
    (a) => [a.user],
  ],
  [
    'journey_flags',
    `DELETE FROM journey_flags WHERE user_id = $1::uuid AND set_by_rule LIKE 'buddy.%'`,
    (a) => [a.user],
  ],
  [
    'users.journey_flags',
    'UPDATE users SET journey_flags = journey_flags - $2::text[] WHERE id = $1::uuid',
    (a) => [a.user, a.keys],
  ],
];

export type ResetCounts = Record<string, number>;

export async function resetAll(tx: pg.PoolClient): Promise<ResetCounts> {
  const counts: ResetCounts = {};
  for (const [table, sql] of ALL) {
    const params = sql.includes('$1') ? [BUDDY_FLAG_KEYS] : [];
    counts[table] = (await tx.query(sql, params)).rowCount ?? 0;
  }
  return counts;
}

export async function resetUser(tx: pg.PoolClient, userId: string, matchIds: string[]): Promise<ResetCounts> {
  const args: Args = { user: userId, matches: matchIds.map((m) => m.toLowerCase()), keys: BUDDY_FLAG_KEYS };
  const counts: ResetCounts = {};
  for (const [table, sql, params] of ONE) counts[table] = (await tx.query(sql, params(args))).rowCount ?? 0;
  return counts;
}

/** Outbox rows this transaction enqueued: a replay publishes nothing (existing rows are kept as they are). */
export const DROP_NEW_OUTBOX_ROWS = 'DELETE FROM outbox WHERE tx = pg_current_xact_id()';
