// How every Postgres connection of buddy-stream is made: DATABASE_URL plus TLS from DATABASE_SSL*.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import type { Config } from '../config.ts';

export type PostgresSettings = Pick<
  Config,
  | 'DATABASE_URL'
  | 'DATABASE_SSL'
  | 'DATABASE_SSL_CA_FILE'
  | 'DATABASE_SSL_CERT_FILE'
  | 'DATABASE_SSL_KEY_FILE'
>;

/**
 * libpq's sslmode semantics: `require` encrypts without checking the server (unless a CA is given, then
 * the chain is checked, as libpq does with a root certificate), `verify-ca` checks the chain, and
 * `verify-full` the chain and the host name.
 */
export function postgresSsl(config: Omit<PostgresSettings, 'DATABASE_URL'>): pg.ClientConfig['ssl'] {
  if (config.DATABASE_SSL === 'disable') return false;
  const read = (file: string) => (file === '' ? undefined : readFileSync(file, 'utf8'));
  const ca = read(config.DATABASE_SSL_CA_FILE);
  const options: ConnectionOptions = {
    ...(ca === undefined ? {} : { ca }),
    ...(config.DATABASE_SSL_CERT_FILE === ''
      ? {}
      : { cert: read(config.DATABASE_SSL_CERT_FILE), key: read(config.DATABASE_SSL_KEY_FILE) }),
    rejectUnauthorized: config.DATABASE_SSL !== 'require' || ca !== undefined,
  };
  if (config.DATABASE_SSL !== 'verify-full') options.checkServerIdentity = () => undefined;
  return options;
}

/**
 * `{ connectionString, ssl, options }` for pg.Client and pg.Pool; `url` overrides the database URL.
 * JIT compilation is off (unless the URL sets `options`): buddy-stream's statements are short and
 * many, and on growing tables the planner's estimates cross jit_above_cost, where compiling costs
 * tens of milliseconds a statement and saves nothing.
 */
export function postgresConnection(config: PostgresSettings, url = config.DATABASE_URL): pg.ClientConfig {
  const own = new URL(url).searchParams.has('options');
  return { connectionString: url, ssl: postgresSsl(config), ...(own ? {} : { options: '-c jit=off' }) };
}
