// Per-connection staging tables, the merge of rows through them, and the outbox writer.
import type pg from 'pg';
import type { OutboxRow } from '../q2q/text-record.ts';
import { copyRows, encodeJsonRows, reportStaged, type CopyValue } from './copy-writer.ts';
import { MERGE, MERGE_JSON, STAGING, type StagedTable } from './statements.ts';

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
 * Enqueues records in the outbox; returns how many were new. The staging tables must exist in this
 * transaction (ensureStaging).
 */
export async function writeOutbox(tx: pg.PoolClient, rows: OutboxRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = STAGING.outbox.columns;
  const result = await mergeRows(
    tx,
    'outbox',
    rows.map((row) => columns.map((c) => row[c])),
  );
  return result.rowCount ?? 0;
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
