// Kafka SASL (SCRAM-SHA-256/512, PLAIN) and TLS against the real broker that requires them, and
// Postgres TLS settings reaching the server: the settings an operator sets in the Secret and ConfigMap.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { postgresConnection } from '../../src/store/pg-connection.ts';
import { runCli } from '../support/cli.ts';
import { saslBroker } from '../support/sasl-broker.ts';
import { flatEnvelope, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const broker = saslBroker();
const secrets = mkdtempSync(path.join(tmpdir(), 'buddy-stream-secrets-'));
const secretFile = (name: string, value: string) => {
  const file = path.join(secrets, name);
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return file;
};

/** Settings for the SASL listener; the password comes from a mounted-secret style file. */
const scram = (mechanism: string, password = broker.password) => ({
  KAFKA_BROKERS: broker.saslBrokers.join(','),
  KAFKA_SASL_MECHANISM: mechanism,
  KAFKA_SASL_USERNAME: broker.username,
  KAFKA_SASL_PASSWORD: '',
  KAFKA_SASL_PASSWORD_FILE: secretFile(`password-${mechanism}`, password),
});

async function tryConnect(env: Record<string, string>): Promise<string> {
  const config = loadConfig({ ...env, KAFKA_CLIENT_ID: 'security-test' });
  const admin = createKafka(config, createLogger({ level: 'silent' })).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return 'connected';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  } finally {
    await admin.disconnect();
  }
}

describe('Kafka SASL and TLS', () => {
  let stream: TestStream;
  beforeAll(async () => {
    // The test stream's own clients (topics, producer) log in with SCRAM-SHA-512.
    stream = await createTestStream('sasl', { env: scram('scram-sha-512') });
  });
  afterAll(async () => {
    await stream?.close();
  });

  it('processes events with SCRAM-SHA-256, the password read from KAFKA_SASL_PASSWORD_FILE', async () => {
    const t = (type: string) => stream.topic(type);
    await stream.publish([
      { topic: t('buddy.user.registered'), value: flatEnvelope('buddy.user.registered', sampleUsers.buddy) },
      {
        topic: t('buddy.user.registered'),
        value: flatEnvelope('buddy.user.registered', sampleUsers.participant),
      },
      {
        topic: t('buddy.match.created'),
        value: flatEnvelope('buddy.match.created', validData['buddy.match.created']),
      },
    ]);
    const { processor } = await stream.startProcessor(scram('scram-sha-256'));
    await processor.waitUntilCaughtUp();
    const { rows } = await stream.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM buddy_matches');
    expect(rows[0]!.n).toBe(1);
    expect(processor.totals.applied).toBe(3);
    await processor.stop(); // the CLI below is the group's only member
  });

  it('runs the CLI over SASL_SSL with PLAIN, trusting the broker through KAFKA_SSL_CA_FILE', async () => {
    await stream.publish([
      {
        topic: stream.topic('buddy.checkin.completed'),
        value: flatEnvelope('buddy.checkin.completed', validData['buddy.checkin.completed']),
      },
    ]);
    const result = await runCli(['run', '--until-caught-up', '--summary'], {
      ...stream.env,
      KAFKA_BROKERS: broker.sslBrokers.join(','),
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: broker.caFile,
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME_FILE: secretFile('username', broker.username),
      KAFKA_SASL_USERNAME: '',
      KAFKA_SASL_PASSWORD: broker.password,
      KAFKA_SASL_PASSWORD_FILE: '',
    });
    expect(result.stderr).not.toContain('"level":"error"');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/buddy\.checkin\.completed\s+1/);
    const { rows } = await stream.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM buddy_checkins');
    expect(rows[0]!.n).toBe(1);
  });

  it('is refused with a wrong password, without SASL, and over TLS without the CA', async () => {
    expect(await tryConnect(scram('scram-sha-256', 'not-the-password'))).toMatch(
      /KafkaJSSASLAuthenticationError: .*invalid credentials/,
    );
    expect(await tryConnect({ KAFKA_BROKERS: broker.saslBrokers.join(',') })).not.toBe('connected');
    const tls = {
      ...scram('scram-sha-512'),
      KAFKA_BROKERS: broker.sslBrokers.join(','),
      KAFKA_SSL: 'true',
    };
    expect(await tryConnect(tls)).toMatch(/self.signed certificate/i);
    expect(await tryConnect({ ...tls, KAFKA_SSL_CA_FILE: broker.caFile })).toBe('connected');
  });
});

describe('Postgres TLS', () => {
  it('asks the server for TLS when DATABASE_SSL is set', async () => {
    const plain = new pg.Client(postgresConnection(loadConfig({ ...process.env, DATABASE_SSL: 'disable' })));
    await plain.connect();
    const serverTls = (await plain.query<{ ssl: string }>('SHOW ssl')).rows[0]!.ssl === 'on';
    await plain.end();
    const client = new pg.Client(postgresConnection(loadConfig({ ...process.env, DATABASE_SSL: 'require' })));
    client.on('error', () => undefined);
    if (serverTls) {
      // A developer's server with TLS: the session is encrypted.
      await client.connect();
      const { rows } = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      await client.end();
      expect(rows[0]).toEqual({ ssl: true });
    } else {
      // The CI server has no TLS: the client asked for it and was refused, rather than falling back.
      await expect(client.connect()).rejects.toThrow(/does not support SSL/);
    }
  });
});
