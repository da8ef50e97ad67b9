// sql/roles/buddy-stream-processor.sql: the processor runs the whole pipeline under the role it creates
// (every event type, parking, unparking, a dead letter, a park timeout, the outbox and state gauges) and a
// GDPR erasure, and the role is refused what the processor never does.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseSubject } from '../../src/gdpr/erase.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { findSubject } from '../../src/ops-tools/subject.ts';
import { pruneSentOutbox } from '../../src/q2q/outbox-relay.ts';
import { requireBinary } from '../support/binaries.ts';
import { databaseUrl, withAdmin } from '../support/database.ts';
import { busEnvelope, flatEnvelope, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const psql = requireBinary('psql');
const SCRIPT = fileURLToPath(new URL('../../sql/roles/buddy-stream-processor.sql', import.meta.url));
const role = `bs_processor_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('base64url');

function applyScript(database: string): string {
  const result = spawnSync(
    psql.path!,
    [
      '-X',
      '-q',
      '-v',
      `role=${role}`,
      '-v',
      `password=${password}`,
      '-d',
      databaseUrl(database),
      '-f',
      SCRIPT,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`psql failed (${result.status}): ${result.stderr}`);
  return result.stderr;
}

describe.skipIf(!psql.path)(`the least-privilege processor role ${psql.skipReason}`, () => {
  let stream: TestStream;
  let roleUrl: string;
  beforeAll(async () => {
    stream = await createTestStream('role');
    applyScript(stream.db.name);
    applyScript(stream.db.name); // idempotent
    const url = new URL(stream.db.url);
    url.username = role;
    url.password = password;
    roleUrl = url.toString();
  });
  afterAll(async () => {
    // The role's privileges live in the test database: dropping it drops them, then the role can go.
    await stream?.close();
    if (!process.env.KEEP_TEST_DB) {
      await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`));
    }
  });

  it('runs the whole pipeline as that role', async () => {
    const t = (type: string) => stream.topic(type);
    const children = Object.entries(validData).filter(
      ([type]) => !type.startsWith('buddy.user.') && type !== 'buddy.match.created',
    );
    await stream.publish(
      children.map(([type, data]) => ({ topic: t(type), value: flatEnvelope(type, data) })),
    );
    await stream.publish([
      {
        topic: t('buddy.match.created'),
        value: busEnvelope('buddy.match.created', validData['buddy.match.created']),
      },
      {
        topic: t('buddy.user.registered'),
        value: flatEnvelope('buddy.user.registered', sampleUsers.participant),
      },
      { topic: t('buddy.user.registered'), value: flatEnvelope('buddy.user.registered', sampleUsers.buddy) },
      {
        topic: t('buddy.user.updated'),
        value: flatEnvelope('buddy.user.updated', validData['buddy.user.updated']),
      },
      { topic: t('buddy.checkin.completed'), value: 'not JSON' },
      {
        topic: t('buddy.checkin.completed'),
        value: flatEnvelope('buddy.checkin.completed', {
          ...validData['buddy.checkin.completed'],
          checkinId: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
          matchId: '11111111-2222-4333-8444-555555555555',
        }),
      },
    ]);
    const { processor, metrics, ops } = await stream.startProcessor({
      DATABASE_URL: roleUrl,
      PARK_TIMEOUT: '8s',
    });
    await ops.start();
    await processor.waitUntilCaughtUp();
    const count = async (sql: string) => Number((await stream.pool.query(sql)).rows[0].n);
    // One of each type, and two registrations.
    expect(await count('SELECT count(*) AS n FROM buddy_system_events WHERE processed_at IS NOT NULL')).toBe(
      Object.keys(validData).length + 1,
    );
    expect(await count('SELECT count(*) AS n FROM kintell_sessions')).toBe(1);
    expect(await count('SELECT count(*) AS n FROM program_enrollments')).toBe(2);
    // The checkin of an unknown match waits, then times out: deleted from the raw store, dead-lettered.
    const deadline = Date.now() + 30_000;
    while ((await count('SELECT count(*) AS n FROM parked_events')) > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await count('SELECT count(*) AS n FROM parked_events')).toBe(0);
    const checkins = await stream.pool.query(
      "SELECT processed_at, payload->'data'->>'matchId' AS match FROM buddy_system_events WHERE event_type = 'buddy.checkin.completed'",
    );
    expect(processor.totals.deadLetteredByReason, JSON.stringify(checkins.rows)).toMatchObject({
      not_json: 1,
      park_timeout: 1,
    });
    // The state gauges' query and readiness ran as the role too.
    expect(await metrics.registry.getSingleMetricAsString('buddy_stream_outbox_backlog_records')).toMatch(
      /^buddy_stream_outbox_backlog_records \d+$/m,
    );
    expect((await ops.ready()).ok).toBe(true);
  });

  it('erases a person as that role (`run` consumes the erasure requests on its own pool)', async () => {
    // The users of the test before: the participant is erased, their match moves to a tombstone.
    const pool = new pg.Pool({ connectionString: roleUrl, max: 2 });
    try {
      const subject = await findSubject(pool, sampleUsers.participant.email);
      expect(subject?.userId).toBeTruthy();
      const result = await eraseSubject(pool, subject!, { log: createLogger({ level: 'silent' }) });
      expect(result.tombstoneId).toBeTruthy();
    } finally {
      await pool.end();
    }
    const left = await stream.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM users WHERE lower(email) = $1',
      [sampleUsers.participant.email],
    );
    expect(left.rows[0]!.n).toBe('0');
    const moved = await stream.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM buddy_matches WHERE participant_id = $1::uuid',
      [(await stream.pool.query('SELECT id FROM users WHERE email LIKE $1', ['erased-%'])).rows[0]?.id],
    );
    expect(moved.rows[0]!.n).toBe('1');
  });

  it('prunes the published outbox as that role (the park sweep, past OUTBOX_RETENTION)', async () => {
    const sent = `SELECT count(*)::int AS n FROM outbox o, outbox_cursor c WHERE (o.tx, o.seq) <= (c.tx, c.seq)`;
    // The texts of the pipeline's check-in, feedback and session, published by the processor's relay.
    expect((await stream.pool.query<{ n: number }>(sent)).rows[0]!.n).toBeGreaterThan(0);
    const pool = new pg.Pool({ connectionString: roleUrl, max: 1 });
    try {
      expect(await pruneSentOutbox(pool, 0)).toBeGreaterThan(0);
    } finally {
      await pool.end();
    }
    expect((await stream.pool.query<{ n: number }>(sent)).rows[0]!.n).toBe(0);
  });

  it.each([
    ['DROP TABLE buddy_checkins', /must be owner/],
    ['ALTER TABLE users ADD COLUMN nickname text', /must be owner/],
    ['TRUNCATE parked_events', /permission denied/],
    ['DELETE FROM user_external_ids', /permission denied/],
    ['DELETE FROM stream_offsets', /permission denied/],
    ['SELECT * FROM pgmigrations', /permission denied/],
    ['UPDATE companies SET name = name', /permission denied/],
    ['SELECT * FROM companies', /permission denied/],
    ['CREATE TABLE public.intruder (id int)', /permission denied/],
  ])('refuses %s', async (sql, message) => {
    const client = new pg.Client({ connectionString: roleUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ v: number }>(
        "SELECT current_setting('server_version_num')::int AS v",
      );
      // PostgreSQL 14 and older let PUBLIC create in schema public (the script's header says to revoke it).
      if (sql.startsWith('CREATE') && rows[0]!.v < 150000) return;
      await expect(client.query(sql)).rejects.toThrow(message);
    } finally {
      await client.end();
    }
  });
});
