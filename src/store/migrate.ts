/**
 * Schema migrations: plain numbered .sql files in sql/migrations, applied by node-pg-migrate.
 *
 * Several replicas may start at once: node-pg-migrate's advisory lock (in `wait` mode)
 * serialises them, and whoever comes second finds nothing left to run.
 */
import { fileURLToPath } from 'node:url';
import { runner, type RunnerOption } from 'node-pg-migrate';
import pg from 'pg';

/** Where the migration files live, resolved from this module, not from the working directory. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/migrations/', import.meta.url));

/** node-pg-migrate's bookkeeping table, in schema public. */
export const MIGRATIONS_TABLE = 'pgmigrations';

// Only *.sql files are migrations; dotfiles and anything else (a README, editor backups) are
// ignored instead of being imported as JavaScript. node-pg-migrate anchors this as ^(...)$.
const IGNORE_NON_SQL = '(?:\\..*|.*(?<!\\.sql))';

// duplicate_database, and the unique violation CREATE DATABASE can raise when two sessions race.
const DATABASE_EXISTS_CODES = new Set(['42P04', '23505']);

export interface MigrateOptions {
  databaseUrl: string;
  direction?: 'up' | 'down';
  /** How many migrations to run: all pending ones going up, the last one going down by default. */
  count?: number;
  /** Log the SQL that would run, inside a transaction that is rolled back: nothing is applied. */
  dryRun?: boolean;
  /** TLS options (store/pg-connection.ts); none by default. */
  ssl?: pg.ClientConfig['ssl'];
  /** Receives progress messages and, with dryRun, the SQL. Silent by default. */
  log?: (msg: string) => void;
}

/**
 * Creates the database named in `databaseUrl` unless it exists, connecting to the `postgres`
 * maintenance database of the same server. Returns true when this call created it.
 */
export async function ensureDatabase(databaseUrl: string, ssl?: pg.ClientConfig['ssl']): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (name === '') throw new Error(`database URL names no database: ${redact(url)}`);
  url.pathname = '/postgres';

  const client = new pg.Client({ connectionString: url.toString(), ssl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount !== 0) return false;
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return true;
    } catch (error) {
      if (DATABASE_EXISTS_CODES.has(pgErrorCode(error) ?? '')) return false;
      throw error;
    }
  } finally {
    await client.end();
  }
}

/**
 * Runs the migrations in MIGRATIONS_DIR, each in its own transaction, and returns the names of
 * those it ran (or, with dryRun, would run); empty when the database is up to date.
 */
export async function migrate(opts: MigrateOptions): Promise<string[]> {
  const log = opts.log ?? (() => undefined);
  const dryRun = opts.dryRun ?? false;
  const client = new pg.Client({ connectionString: opts.databaseUrl, ssl: opts.ssl });
  // A dropped connection also rejects the pending query; without a listener it would crash the process.
  client.on('error', (error) => log(`migration connection error: ${error.message}`));
  await client.connect();
  try {
    // node-pg-migrate creates its bookkeeping table and sets search_path even in a dry run;
    // doing it all inside a transaction we roll back leaves the database untouched.
    if (dryRun) await client.query('BEGIN');
    const options: RunnerOption = {
      dbClient: client,
      dir: MIGRATIONS_DIR,
      ignorePattern: IGNORE_NON_SQL,
      migrationsTable: MIGRATIONS_TABLE,
      migrationsSchema: 'public',
      schema: 'public',
      direction: opts.direction ?? 'up',
      count: opts.count,
      checkOrder: true,
      singleTransaction: false, // one transaction per migration file
      advisoryLockMode: 'wait', // a second replica waits for the first, then finds nothing to do
      dryRun,
      // node-pg-migrate reports a migration's SQL through logger.debug, only when verbose.
      verbose: dryRun,
      logger: { debug: log, info: log, warn: log, error: log },
    };
    const ran = await runner(options);
    // On failure the transaction is aborted by closing the session below.
    if (dryRun) await client.query('ROLLBACK');
    return ran.map((migration) => migration.name);
  } finally {
    await client.end();
  }
}

function pgErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function redact(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password !== '') copy.password = '***';
  return copy.toString();
}
