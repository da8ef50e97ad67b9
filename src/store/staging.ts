// Per-connection staging tables, the merge of rows through them, and the outbox writer.
import type pg from 'pg';
import type { OutboxRow } from '../q2q/text-record.ts';
import { copyRows, encodeJsonRows, reportStaged, type CopyValue } from './copy-writer.ts';
import { INSERT_ONLY_TABLES, MERGE, MERGE_JSON, STAGING, type StagedTable } from './statements.ts';

/**
 * Up to this many rows a merge takes them as one JSON parameter: one round trip, where COPY into the
 * staging table and the merge after it take three. Under a steady rate most batches write a few dozen
 * rows per table, so the round trips were most of the time. Above it, COPY (which streams in chunks).
 */
export const JSON_MERGE_MAX_ROWS = 200;

/**
 * Merges `rows` (in `STAGING[table].columns` order) into `table` with its merge statement (MERGE):
 * through COPY and the staging table, or, for at most `jsonMaxRows` rows, as a JSON parameter. The
 * staging tables must exist in this transaction (ensureStaging). Returns the merge's result.
 */
export async function mergeRows(
  tx: pg.PoolClient | pg.Client,
  table: StagedTable,
  rows: readonly (readonly CopyValue[])[],
  { jsonMaxRows = JSON_MERGE_MAX_ROWS } = {},
): Promise<pg.QueryResult> {
  const staged: { columns: readonly string[]; json?: readonly string[] } = STAGING[table];
  const { columns } = staged;
  if (rows.length <= jsonMaxRows) {
    const json = staged.json ?? [];
    const result = await tx.query(MERGE_JSON[table], [encodeJsonRows(columns, json, rows)]);
    reportStaged(tx, `stage_${table}`, rows.length);
    return result;
  }
  await copyRows(tx, `stage_${table}`, columns, rows);
  return tx.query(MERGE[table]);
}

/**
 * Stores new events in the raw store; returns the event ids stored (event_id is the first column). The
 * caller left out the ids the raw store held (the dedupe, in this transaction), so many rows go straight
 * in by COPY, which an id stored since by another transaction fails (retried, see insertNewRows); a few
 * go through the merge as one JSON parameter, which skips such an id.
 */
export async function storeNewEvents(
  tx: pg.PoolClient | pg.Client,
  rows: readonly (readonly CopyValue[])[],
): Promise<Set<string>> {
  if (rows.length <= JSON_MERGE_MAX_ROWS) {
    const merged = await mergeRows(tx, 'buddy_system_events', rows);
    return new Set(merged.rows.map((r: { event_id: string }) => r.event_id));
  }
  await copyRows(tx, 'buddy_system_events', STAGING.buddy_system_events.columns, rows);
  return new Set(rows.map((row) => row[0] as string));
}

const INSERT_ONLY = new Set<StagedTable>(INSERT_ONLY_TABLES);

/**
 * Writes `rows` into `table` as its merge would, returning how many are new. For an insert-only table
 * and more rows than a JSON merge takes, the rows whose id is not in the table (nor earlier in `rows`)
 * go straight in by COPY: COPY into the staging table, emptying it and the insert from it cost about
 * twice the COPY (docs/scaling.md).
 * A row with the same id that another transaction wrote meanwhile fails the COPY on the primary key,
 * which pg-errors.ts classes as retry: the batch runs again and this check then sees the row.
 */
export async function insertNewRows(
  tx: pg.PoolClient | pg.Client,
  table: StagedTable,
  rows: readonly (readonly CopyValue[])[],
): Promise<number> {
  if (rows.length <= JSON_MERGE_MAX_ROWS || !INSERT_ONLY.has(table))
    return (await mergeRows(tx, table, rows)).rowCount ?? 0;
  const seen = new Set<string>();
  const unique = rows.filter((row) => {
    const id = String(row[0]).toLowerCase();
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const existing = await tx.query<{ id: string }>(existingIds(table), [[...seen]]);
  for (const { id } of existing.rows) seen.delete(id);
  const fresh = unique.filter((row) => seen.has(String(row[0]).toLowerCase()));
  await copyRows(tx, table, STAGING[table].columns, fresh);
  return fresh.length;
}

/** The ids of `$1` that `table` holds (a constant of this module, never user data). */
const existingIds = (table: StagedTable) => `SELECT id::text AS id FROM ${table} WHERE id = ANY($1::uuid[])`;

/**
 * Enqueues records in the outbox; returns how many were new. The staging tables must exist in this
 * transaction (ensureStaging).
 */
export async function writeOutbox(tx: pg.PoolClient, rows: OutboxRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = STAGING.outbox.columns;
  return insertNewRows(
    tx,
    'outbox',
    rows.map((row) => columns.map((c) => row[c])),
  );
}

const CREATE_ALL = Object.values(STAGING)
  .map((table) => table.create)
  .join(';\n');

/**
 * Creates this connection's staging tables if they are missing (they are temporary, per connection),
 * in one round trip. Checked on every batch rather than remembered: tables created inside a
 * transaction that rolled back are gone again.
 */
export async function ensureStaging(tx: pg.PoolClient | pg.Client): Promise<void> {
  await tx.query(CREATE_ALL);
}
