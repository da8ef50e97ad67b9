import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepJourney } from '../../src/journey/sweep.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { generateProgramme } from '../../src/synthetic/generate.ts';
import { runCli } from '../support/cli.ts';
import { publishRetrying } from '../support/publish.ts';
import { snapshotDatabase } from '../support/snapshot.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';
import { dumpTables, type DumpOptions } from '../support/table-dump.ts';

// Columns that say when a row was written, not what it holds; ids of rows a replay writes anew.
const VOLATILE: DumpOptions = {
  ignoreColumns: ['created_at', 'updated_at', 'processed_at', 'parked_at'],
  ignore: ['journey_milestones.id', 'program_enrollments.id'],
  // Compared on their own below: flags are evaluated at the stream's clock, so a replay raises the flags
  // that are true with set_at = that clock, and does not recreate the rows of flags lowered before.
  skipTables: ['journey_flags'],
};

async function raisedFlags(s: TestStream) {
  const sql = 'SELECT user_id::text, flag, set_by_rule FROM journey_flags WHERE value ORDER BY user_id, flag';
  return (await s.pool.query(sql)).rows;
}

async function state(s: TestStream) {
  return {
    snapshot: await snapshotDatabase(s.pool),
    tables: await dumpTables(s.pool, VOLATILE),
    flags: await raisedFlags(s),
  };
}

describe('bin/buddy-stream replay', () => {
  let stream: TestStream;
  let before: Awaited<ReturnType<typeof state>>;

  beforeAll(async () => {
    stream = await createTestStream('replay');
    const programme = generateProgramme({ seed: 11, participants: 24, buddies: 16, weeks: 10, orphans: 2 });
    const records = programme.records.map((r) => ({
      topic: stream.topic(r.topic),
      key: r.key,
      value: r.value,
    }));
    await publishRetrying(stream, records);
    const { processor } = await stream.startProcessor();
    await processor.waitUntilCaughtUp();
    await processor.stop();
    // The time-based flags brought up to the stream's clock, as the periodic sweep would.
    const log = createLogger({ level: 'silent' });
    const options = {
      groupId: stream.config.KAFKA_GROUP_ID,
      feedbackWindowMs: stream.config.FEEDBACK_WINDOW,
    };
    await sweepJourney(stream.pool, options, log);
    before = await state(stream);
    expect(Object.keys(before.snapshot.buddy_checkins).length).toBeGreaterThan(10);
    expect(Object.keys(before.snapshot.parked).length).toBeGreaterThan(0);
  });
  afterAll(async () => stream?.close());

  it('refuses without --yes when stdin is not a terminal, and changes nothing', async () => {
    const result = await runCli(['replay', '--quiet'], stream.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('standard input is not a terminal');
    expect(await state(stream)).toEqual(before);
  });

  it('--dry-run reports what it would reset and changes nothing', async () => {
    const result = await runCli(['replay', '--dry-run'], stream.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/dry run: would reset \(buddy_events \d+, buddy_checkins \d+/);
    expect(await state(stream)).toEqual(before);
  });

  it('rebuilds every projection from the raw store to exactly what the live pipeline produced', async () => {
    // Damage the projections the way a bug would.
    await stream.pool.query(
      'DELETE FROM buddy_checkins WHERE ctid IN (SELECT ctid FROM buddy_checkins LIMIT 5)',
    );
    await stream.pool.query(`UPDATE buddy_matches SET status = 'active', ended_at = NULL`);
    await stream.pool.query('DELETE FROM journey_milestones');
    const outbox = (await stream.pool.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n;

    const result = await runCli(['replay', '--yes', '--quiet'], stream.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/nothing republished/);
    const after = await state(stream);
    expect(after.snapshot).toEqual(before.snapshot);
    expect(after.tables).toEqual(before.tables);
    expect(after.flags).toEqual(before.flags);
    expect((await stream.pool.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n).toBe(outbox);
  });

  it('in many small chunks (each read while the one before is applied) rebuilds the same', async () => {
    const events = (await stream.pool.query('SELECT count(*)::int AS n FROM buddy_system_events')).rows[0].n;
    expect(events).toBeGreaterThan(10 * 37);
    await stream.pool.query('DELETE FROM buddy_events');
    await stream.pool.query('DELETE FROM journey_milestones');
    const outbox = (await stream.pool.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n;

    const result = await runCli(['replay', '--yes', '--quiet', '--chunk-size', '37'], stream.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`re-applied ${events} events`);
    const after = await state(stream);
    expect(after.snapshot).toEqual(before.snapshot);
    expect(after.tables).toEqual(before.tables);
    expect(after.flags).toEqual(before.flags);
    expect((await stream.pool.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n).toBe(outbox);
  });

  it('--user rebuilds one person (given by email) and leaves everyone else as they were', async () => {
    const { rows } = await stream.pool
      .query(`SELECT u.email, m.participant_id::text AS id FROM buddy_matches m
      JOIN users u ON u.id = m.participant_id ORDER BY m.id LIMIT 1`);
    const { email, id } = rows[0];
    await stream.pool.query(
      'DELETE FROM buddy_checkins WHERE match_id IN (SELECT id FROM buddy_matches WHERE participant_id = $1)',
      [id],
    );
    await stream.pool.query(`DELETE FROM program_enrollments WHERE user_id = $1`, [id]);

    const result = await runCli(['replay', '--user', email, '--yes', '--quiet'], stream.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`replay: user ${id}`);
    const after = await state(stream);
    expect(after.snapshot).toEqual(before.snapshot);
    expect(after.tables).toEqual(before.tables);
  });

  it('refuses while the processor is running', async () => {
    const { processor } = await stream.startProcessor();
    await processor.waitUntilCaughtUp();
    const result = await runCli(['replay', '--yes'], stream.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /the processor is running \(consumer group .* has \d+ members\): stop it first/,
    );
    await processor.stop();
  });
});
