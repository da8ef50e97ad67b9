// Runs once per `vitest run`: builds the migrated template database every integration test clones.
import pg from 'pg';
import { migrate } from '../../src/store/migrate.ts';
import { TEMPLATE_DATABASE, databaseUrl, withAdmin } from './database.ts';

export default async function setup(): Promise<void> {
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(TEMPLATE_DATABASE)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(TEMPLATE_DATABASE)}`);
  });
  await migrate({ databaseUrl: databaseUrl(TEMPLATE_DATABASE) });
}
