// Per-connection staging tables, and the outbox writer that shares them.
import type pg from 'pg';
import type { OutboxRow } from '../q2q/text-record.ts';
import { copyRows } from './copy-writer.ts';
import { MERGE, STAGING } from './statements.ts';

/** Enqueues records in the outbox (COPY + merge); returns how many were new. */
export async function writeOutbox(tx: pg.PoolClient, rows: OutboxRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  await ensureStaging(tx);
  const columns = STAGING.outbox.columns;
  await copyRows(
    tx,
    'stage_outbox',
    columns,
    rows.map((row) => columns.map((c) => row[c])),
  );
  return (await tx.query(MERGE.outbox)).rowCount ?? 0;
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
