// Kafka SASL/TLS and Postgres TLS settings: what each becomes for kafkajs and node-postgres, secrets read
// from mounted files, and one clear message per wrong combination.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { kafkaSecurity } from '../../src/kafka/client.ts';
import { postgresConnection } from '../../src/store/pg-connection.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'buddy-stream-config-'));
const file = (name: string, text: string) => {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
};
const problems = (env: Record<string, string>) => {
  try {
    loadConfig({ PGUSER: 'u', ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('Kafka security settings', () => {
  it('connect without SASL or TLS by default', () => {
    expect(kafkaSecurity(loadConfig({ PGUSER: 'u' }))).toEqual({});
  });

  it('read the SASL password from a mounted file, dropping the trailing newline', () => {
    const config = loadConfig({
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'buddy',
      KAFKA_SASL_PASSWORD_FILE: file('password', 's3cret\n'),
    });
    expect(kafkaSecurity(config)).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'buddy', password: 's3cret' },
    });
  });

  it('turn on TLS with the system CAs, or with the given CA and client certificate', () => {
    expect(kafkaSecurity(loadConfig({ KAFKA_SSL: 'true' }))).toEqual({ ssl: true });
    const config = loadConfig({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: file('ca.pem', 'CA'),
      KAFKA_SSL_CERT_FILE: file('cert.pem', 'CERT'),
      KAFKA_SSL_KEY_FILE: file('key.pem', 'KEY'),
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    expect(kafkaSecurity(config)).toEqual({
      ssl: { ca: 'CA', cert: 'CERT', key: 'KEY' },
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
    });
  });

  it('name every wrong combination', () => {
    expect(problems({ KAFKA_SASL_MECHANISM: 'gssapi' })).toEqual([
      'KAFKA_SASL_MECHANISM: KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512 (or empty for none)',
    ]);
    expect(problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })[0]).toMatch(
      /^KAFKA_SASL_MECHANISM: plain needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
    expect(problems({ KAFKA_SASL_PASSWORD: 'p' })).toEqual([
      'KAFKA_SASL_USERNAME/PASSWORD: set, but KAFKA_SASL_MECHANISM is empty',
    ]);
    expect(problems({ KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_PASSWORD_FILE: file('p2', 'p') })).toContain(
      'KAFKA_SASL_PASSWORD: set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
    );
    expect(problems({ KAFKA_SASL_PASSWORD_FILE: '/nonexistent/password' })).toEqual([
      'KAFKA_SASL_PASSWORD_FILE: cannot read /nonexistent/password (ENOENT)',
    ]);
    expect(problems({ KAFKA_SSL: 'yes' })).toEqual(['KAFKA_SSL: KAFKA_SSL must be true or false']);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' })).toEqual([
      'KAFKA_SSL_CA_FILE: KAFKA_SSL_CA_FILE must name a readable file',
    ]);
    expect(problems({ KAFKA_SSL_CA_FILE: file('ca2.pem', 'CA') })).toEqual([
      'KAFKA_SSL_CA_FILE: set, but KAFKA_SSL is false',
    ]);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: file('c.pem', 'C') })).toEqual([
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: a client certificate needs both',
    ]);
  });
});

describe('Postgres TLS settings', () => {
  const ssl = (env: Record<string, string>) => postgresConnection(loadConfig({ PGUSER: 'u', ...env })).ssl;

  it('follow libpq sslmode: disable, require, verify-ca, verify-full', () => {
    expect(ssl({})).toBe(false);
    expect(ssl({ DATABASE_SSL: 'require' })).toMatchObject({ rejectUnauthorized: false });
    const ca = file('pg-ca.pem', 'PGCA');
    expect(ssl({ DATABASE_SSL: 'require', DATABASE_SSL_CA_FILE: ca })).toMatchObject({
      ca: 'PGCA',
      rejectUnauthorized: true,
    });
    const verifyCa = ssl({ DATABASE_SSL: 'verify-ca', DATABASE_SSL_CA_FILE: ca }) as {
      checkServerIdentity?: () => unknown;
    };
    expect(verifyCa).toMatchObject({ ca: 'PGCA', rejectUnauthorized: true });
    expect(verifyCa.checkServerIdentity?.()).toBeUndefined(); // the host name is not checked
    const full = ssl({ DATABASE_SSL: 'verify-full' }) as object;
    expect(full).toEqual({ rejectUnauthorized: true });
  });

  it('read DATABASE_URL from a mounted file, and refuse sslmode in the URL when DATABASE_SSL is set', () => {
    const url = file('database-url', 'postgres://proc:pw@db:5432/buddy\n');
    expect(loadConfig({ DATABASE_URL_FILE: url }).DATABASE_URL).toBe('postgres://proc:pw@db:5432/buddy');
    expect(problems({ DATABASE_SSL: 'require', DATABASE_URL: 'postgres://u@h/db?sslmode=require' })).toEqual([
      'DATABASE_URL: drop sslmode from the URL; DATABASE_SSL sets TLS',
    ]);
    expect(problems({ DATABASE_SSL: 'strict' })[0]).toMatch(
      /^DATABASE_SSL: DATABASE_SSL must be one of disable, require/,
    );
    expect(problems({ DATABASE_SSL_CA_FILE: file('x.pem', 'X') })).toEqual([
      'DATABASE_SSL_CA_FILE: set, but DATABASE_SSL is disable',
    ]);
  });
});
