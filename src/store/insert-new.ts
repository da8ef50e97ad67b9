// Rows that are new in all likelihood, COPYed straight into their tables: the raw store's new events and
// the rows projected from them. One statement per table instead of a staging COPY and a merge; the
// staged merge (which skips what exists) remains the path for anything already there.
import type pg from 'pg';
import { copyRows, type CopyValue } from './copy-writer.ts';
import { MERGE, STAGING } from './statements.ts';

const UNIQUE_VIOLATION = '23505';

type Rows = readonly (readonly CopyValue[])[];

/** Tables whose merge only skips rows whose id exists (ON CONFLICT (id) DO NOTHING). */
export type InsertOnlyTable =
  'buddy_matches' | 'buddy_events' | 'buddy_checkins' | 'buddy_feedback' | 'kintell_sessions' | 'outbox';

/**
 * COPYs each write straight into its table under one savepoint. A unique violation (a row that exists)
 * rolls all of them back to the savepoint and returns false; any other error is the caller's.
 */
async function copyStraight(
  tx: pg.PoolClient | pg.Client,
  writes: readonly { table: string; columns: readonly string[]; rows: Rows }[],
): Promise<boolean> {
  await tx.query('SAVEPOINT insert_new');
  try {
    for (const w of writes) await copyRows(tx, w.table, w.columns, w.rows);
    await tx.query('RELEASE SAVEPOINT insert_new');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT insert_new');
    return false;
  }
}

/**
 * Writes new events (rows in `STAGING.buddy_system_events.columns` order, the event id first) to the raw
 * store inside the caller's transaction and returns the ids it stored.
 *
 * The caller looked the ids up a moment ago (the batch's dedupe), so they are COPYed straight in. An id
 * stored since by another consumer (a re-sent event another replica applies at the same moment) makes
 * that COPY fail whole: then the rows go through the staging table and the insert that skips ids already
 * stored.
 */
export async function storeRawEvents(tx: pg.PoolClient | pg.Client, rows: Rows): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const columns = STAGING.buddy_system_events.columns;
  if (await copyStraight(tx, [{ table: 'buddy_system_events', columns, rows }]))
    return new Set(rows.map((row) => row[0] as string));
  await copyRows(tx, 'stage_buddy_system_events', columns, rows);
  const stored = await tx.query<{ event_id: string }>(MERGE.buddy_system_events);
  return new Set(stored.rows.map((r) => r.event_id));
}

/**
 * Inserts rows (in `STAGING[table].columns` order, the id first) that do not exist yet unless their id was
 * used before, and returns how many of each write were stored. Within a write the first row of an id wins,
 * as in the merge. The rows of new events are new but for a source that reuses an id (a match created
 * twice under two event ids): straight COPY first, and on a unique violation the staged merge for all.
 */
export async function insertNewRows(
  tx: pg.PoolClient | pg.Client,
  writes: readonly { table: InsertOnlyTable; rows: Rows }[],
): Promise<number[]> {
  const unique = writes.map(({ table, rows }) => ({
    table,
    columns: STAGING[table].columns,
    rows: firstPerId(rows),
  }));
  const todo = unique.filter((w) => w.rows.length > 0);
  if (todo.length === 0) return writes.map(() => 0);
  if (await copyStraight(tx, todo)) return unique.map((w) => w.rows.length);
  const stored: number[] = [];
  for (const w of unique) {
    if (w.rows.length === 0) {
      stored.push(0);
      continue;
    }
    await copyRows(tx, `stage_${w.table}`, w.columns, w.rows);
    stored.push((await tx.query(MERGE[w.table])).rowCount ?? 0);
  }
  return stored;
}

function firstPerId(rows: Rows): Rows {
  const seen = new Set<unknown>();
  return rows.filter((row) => {
    if (seen.has(row[0])) return false;
    seen.add(row[0]);
    return true;
  });
}
