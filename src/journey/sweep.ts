// The periodic journey sweep: flags that change with the passing of event time (a check-in falls due,
// feedback becomes pending, a flag expires) without any event for the user. One replica sweeps at a
// time (a session advisory lock); each chunk of users is its own transaction under their derived locks.
import type pg from 'pg';
import type { Logger } from '../ops/logger.ts';
import { lockReferences, REFERENCE_LOCK_SPACE } from '../pipeline/references.ts';
import { ensureStaging } from '../store/staging.ts';
import { applyJourney, type JourneyChanges } from './apply.ts';
import { FEEDBACK_PENDING_LIFETIME_MS } from './rules.ts';
import { readEventClock } from './state.ts';

const SWEEP_LOCK_KEY = 2;

const CANDIDATES = `
  SELECT participant_id::text AS user_id FROM buddy_matches WHERE status = 'active'
  UNION
  SELECT unnest(ARRAY[participant_id, buddy_id])::text FROM buddy_matches
    WHERE status = 'ended' AND ended_at > $1::timestamptz - make_interval(secs => $2::double precision / 1000)
  UNION
  SELECT user_id::text FROM journey_flags
    WHERE value AND flag IN ('buddy_checkin_due', 'buddy_feedback_pending')`;

export interface SweepResult extends JourneyChanges {
  /** False when another replica held the sweep lock (this one did nothing). */
  swept: boolean;
  users: number;
}

export async function sweepJourney(
  pool: pg.Pool,
  options: { groupId: string; feedbackWindowMs: number; chunkSize?: number },
  log: Logger,
): Promise<SweepResult> {
  const result: SweepResult = { swept: false, users: 0, milestonesReached: 0, flagsChanged: 0 };
  const client = await pool.connect();
  try {
    const { locked } = (
      await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS locked', [
        REFERENCE_LOCK_SPACE,
        SWEEP_LOCK_KEY,
      ])
    ).rows[0]!;
    if (!locked) return result;
    try {
      result.swept = true;
      const now = await readEventClock(client, options.groupId, null);
      if (now === null) return result;
      const horizon = options.feedbackWindowMs + FEEDBACK_PENDING_LIFETIME_MS;
      const users = (await client.query<{ user_id: string }>(CANDIDATES, [now, horizon])).rows.map(
        (r) => r.user_id,
      );
      result.users = users.length;
      const chunkSize = options.chunkSize ?? 500;
      for (let i = 0; i < users.length; i += chunkSize) {
        const chunk = users.slice(i, i + chunkSize);
        await client.query('BEGIN');
        try {
          await ensureStaging(client); // the outbox records' merge
          await lockReferences(
            client,
            chunk.map((ref) => ({ kind: 'derived', ref })),
          );
          const changes = await applyJourney(
            client,
            chunk,
            { sweep: true },
            { now, feedbackWindowMs: options.feedbackWindowMs },
          );
          await client.query('COMMIT');
          result.milestonesReached += changes.milestonesReached;
          result.flagsChanged += changes.flagsChanged;
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
      if (result.flagsChanged > 0)
        log.info({ users: users.length, flagsChanged: result.flagsChanged }, 'journey sweep');
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [
        REFERENCE_LOCK_SPACE,
        SWEEP_LOCK_KEY,
      ]);
    }
  } finally {
    client.release();
  }
}
