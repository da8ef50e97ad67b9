// New events into the raw store (buddy_system_events): the dedupe's last word on what is new.
import type pg from 'pg';
import { copyRows, type CopyValue } from './copy-writer.ts';
import { MERGE, STAGING } from './statements.ts';

const UNIQUE_VIOLATION = '23505';

/**
 * Writes new events (rows in `STAGING.buddy_system_events.columns` order, the event id first) to the raw
 * store inside the caller's transaction and returns the ids it stored.
 *
 * The caller looked the ids up a moment ago (the batch's dedupe), so they are COPYed straight into the
 * table: one statement instead of a staging COPY and a merge. An id stored since by another consumer (a
 * re-sent event that another replica applies at the same moment) makes that COPY fail whole: back at the
 * savepoint, the rows then go through the staging table and the insert that skips ids already stored.
 */
export async function storeRawEvents(
  tx: pg.PoolClient | pg.Client,
  rows: readonly (readonly CopyValue[])[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const columns = STAGING.buddy_system_events.columns;
  await tx.query('SAVEPOINT raw_store');
  try {
    await copyRows(tx, 'buddy_system_events', columns, rows);
    await tx.query('RELEASE SAVEPOINT raw_store');
    return new Set(rows.map((row) => row[0] as string));
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT raw_store');
  }
  await copyRows(tx, 'stage_buddy_system_events', columns, rows);
  const stored = await tx.query<{ event_id: string }>(MERGE.buddy_system_events);
  return new Set(stored.rows.map((r) => r.event_id));
}
