// The limit: the rows buddy-stream wrote, exported with COPY TO and written again into fresh tables by
// COPY FROM, no Kafka, no validation, no lookups.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/** Parents before children (foreign keys). */
export const COPIED_TABLES = [
  'users',
  'user_external_ids',
  'external_id_mappings',
  'program_enrollments',
  'buddy_matches',
  'buddy_events',
  'buddy_checkins',
  'buddy_feedback',
  'kintell_sessions',
  'journey_milestones',
  'journey_flags',
  'buddy_system_events',
];

export async function exportTables(databaseUrl: string): Promise<Map<string, Buffer>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const files = new Map<string, Buffer>();
  try {
    for (const table of COPIED_TABLES) {
      const chunks: Buffer[] = [];
      const stream = client.query(copyTo(`COPY ${table} TO STDOUT`));
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      files.set(table, Buffer.concat(chunks));
    }
  } finally {
    await client.end();
  }
  return files;
}

/** Seconds to COPY the exported rows into the (empty, migrated) database at `databaseUrl`. */
export async function copyInto(databaseUrl: string, files: Map<string, Buffer>): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = performance.now();
    await client.query('BEGIN');
    for (const table of COPIED_TABLES) {
      await pipeline(Readable.from([files.get(table)!]), client.query(copyFrom(`COPY ${table} FROM STDIN`)));
    }
    await client.query('COMMIT');
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}
