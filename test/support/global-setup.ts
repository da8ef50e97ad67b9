// Runs once per `vitest run`: builds the migrated template database every integration test clones, and
// drops it when the run ends.
import pg from 'pg';
import { migrate } from '../../src/store/migrate.ts';
import { databaseUrl, withAdmin } from './database.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const template = `buddy_stream_test_template_${process.pid}`;
  process.env.BUDDY_STREAM_TEST_TEMPLATE = template;
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(template)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(template)}`);
  });
  await migrate({ databaseUrl: databaseUrl(template) });
  return async () => {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(template)} WITH (FORCE)`));
  };
}
