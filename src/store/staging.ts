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

const prepared = new WeakSet<pg.PoolClient>();

/** Creates this connection's staging tables once (they are temporary, per connection). */
export async function ensureStaging(tx: pg.PoolClient): Promise<void> {
  if (prepared.has(tx)) return;
  for (const table of Object.values(STAGING)) await tx.query(table.create);
  prepared.add(tx);
}
