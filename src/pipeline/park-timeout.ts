// Parked events that waited longer than PARK_TIMEOUT are dead-lettered with the reason and removed from
// the raw store (so that a DLQ replay, once the reference exists, applies them). One replica at a time.
import type pg from 'pg';
import type { Logger } from '../ops/logger.ts';
import type { DeadLetterSink } from './commit.ts';

const SWEEP_LOCK = [0x42554459, 1] as const;

const Q = {
  tryLock: 'SELECT pg_try_advisory_xact_lock($1::int, $2::int) AS locked',
  expired: `SELECT p.event_id::text AS event_id, p.event_type, p.waiting_for_kind, p.waiting_for_ref,
      p.source_topic, p.source_partition, p.source_offset::text AS source_offset,
      e.payload::text AS payload, e.user_id
    FROM parked_events p JOIN buddy_system_events e ON e.event_id = p.event_id
    WHERE p.parked_at < now() - make_interval(secs => $1::double precision / 1000)
    ORDER BY p.parked_at LIMIT $2 FOR UPDATE OF p SKIP LOCKED`,
  byId: `SELECT p.event_id::text AS event_id, p.event_type, p.waiting_for_kind, p.waiting_for_ref,
      p.source_topic, p.source_partition, p.source_offset::text AS source_offset,
      e.payload::text AS payload, e.user_id
    FROM parked_events p JOIN buddy_system_events e ON e.event_id = p.event_id
    WHERE p.event_id = ANY($1::uuid[]) FOR UPDATE OF p`,
  remove: 'DELETE FROM buddy_system_events WHERE event_id = ANY($1::uuid[])',
  count: 'SELECT count(*)::int AS n FROM parked_events',
} as const;

interface ParkedRow {
  event_id: string;
  event_type: string;
  waiting_for_kind: string;
  waiting_for_ref: string;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
  payload: string;
  user_id: string | null;
}

/** One sweep; returns how many parked events it dead-lettered (0 when another replica holds the lock). */
export async function expireParkedEvents(
  pool: pg.Pool,
  deadLetters: DeadLetterSink,
  timeoutMs: number,
  log: Logger,
  limit = 500,
): Promise<number> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const { locked } = (await tx.query<{ locked: boolean }>(Q.tryLock, [...SWEEP_LOCK])).rows[0]!;
    if (!locked) {
      await tx.query('ROLLBACK');
      return 0;
    }
    const rows = (await tx.query<ParkedRow>(Q.expired, [timeoutMs, limit])).rows;
    await deadLetterParked(
      tx,
      deadLetters,
      rows,
      'park_timeout',
      (r) =>
        `park_timeout: waiting for ${r.waiting_for_kind} ${r.waiting_for_ref} longer than ${timeoutMs} ms`,
    );
    if (rows.length > 0) log.warn({ count: rows.length }, 'parked events timed out and were dead-lettered');
    await tx.query('COMMIT');
    return rows.length;
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    tx.release();
  }
}

export async function countParked(pool: pg.Pool): Promise<number> {
  return (await pool.query<{ n: number }>(Q.count)).rows[0]!.n;
}

/**
 * Dead-letters parked events (the stored payload, the source position) and removes them from the raw
 * store, inside the caller's transaction, so that a DLQ replay can apply them later.
 */
export async function deadLetterParked(
  tx: pg.PoolClient,
  deadLetters: DeadLetterSink,
  rows: ParkedRow[],
  code: 'park_timeout' | 'rejected_by_database',
  reasonOf: (row: ParkedRow) => string,
): Promise<void> {
  if (rows.length === 0) return;
  await deadLetters.publish(
    rows.map((r) => ({
      position: {
        topic: r.source_topic ?? r.event_type,
        partition: r.source_partition ?? -1,
        offset: r.source_offset ?? '-1',
      },
      key: r.user_id ? Buffer.from(r.user_id) : null,
      value: Buffer.from(r.payload),
      code,
      stage: 'resolve',
      reason: reasonOf(r),
    })),
  );
  await tx.query(Q.remove, [rows.map((r) => r.event_id)]);
}

/** Dead-letters stored, parked events Postgres refused to apply when they were unparked. */
export async function deadLetterRefused(
  tx: pg.PoolClient,
  deadLetters: DeadLetterSink,
  refused: { eventId: string; reason: string }[],
): Promise<void> {
  if (refused.length === 0) return;
  const reasons = new Map(refused.map((r) => [r.eventId, r.reason]));
  const rows = (await tx.query<ParkedRow>(Q.byId, [[...reasons.keys()]])).rows;
  await deadLetterParked(
    tx,
    deadLetters,
    rows,
    'rejected_by_database',
    (r) => reasons.get(r.event_id) ?? 'refused',
  );
}
