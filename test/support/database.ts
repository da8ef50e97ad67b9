// Each test file gets its own database, cloned from a template that global setup migrated once
// (CREATE DATABASE ... TEMPLATE is far faster than migrating per test).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';

/**
 * The template of this run: global setup names it after its process and passes the name to the test
 * workers, so two test runs on one Postgres (two developers, or a run beside a benchmark) never share one.
 */
export function templateDatabase(): string {
  return process.env.BUDDY_STREAM_TEST_TEMPLATE ?? 'buddy_stream_test_template';
}

/** The server the tests run against: DATABASE_URL (or its default) with another database name. */
export function databaseUrl(database: string): string {
  const url = new URL(loadConfig().DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file; drop() removes it (kept when KEEP_TEST_DB is set). */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `bs_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) =>
    c.query(
      `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(templateDatabase())}`,
    ),
  );
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      if (process.env.KEEP_TEST_DB) return;
      // Politely first: connections still closing (a pool ended a moment ago) are waited for, not
      // killed; a connection killed under a client without an error listener would crash the run.
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}`));
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== '55006') throw error; // object_in_use
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));
    },
  };
}
