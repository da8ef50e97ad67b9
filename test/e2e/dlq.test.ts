import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { publishRetrying } from '../support/publish.ts';
import { flatEnvelope, sampleIds, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('bin/buddy-stream dlq', () => {
  let stream: TestStream;
  const secret = 'Feeling very alone since the move, please do not share';

  beforeAll(async () => {
    stream = await createTestStream('dlq');
    await stream.startProcessor({ PARK_TIMEOUT: '1s' });
    await publishRetrying(stream, [
      {
        topic: stream.topic('buddy.user.registered'),
        value: flatEnvelope('buddy.user.registered', sampleUsers.participant),
      },
      {
        topic: stream.topic('buddy.user.registered'),
        value: flatEnvelope('buddy.user.registered', sampleUsers.buddy),
      },
      // Its match never came: parked, then dead-lettered after PARK_TIMEOUT.
      {
        topic: stream.topic('buddy.checkin.completed'),
        key: sampleIds.participantId,
        value: flatEnvelope('buddy.checkin.completed', {
          ...validData['buddy.checkin.completed'],
          notes: secret,
        }),
      },
      // A legacy 1..5 rating: a schema violation.
      {
        topic: stream.topic('buddy.feedback.submitted'),
        value: flatEnvelope('buddy.feedback.submitted', {
          ...validData['buddy.feedback.submitted'],
          rating: 4,
          feedbackText: secret,
        }),
      },
    ]);
    await stream.readTopic(stream.config.DLQ_TOPIC, 2);
  });
  afterAll(async () => stream?.close());

  it('list shows where each dead letter came from and why, and no record content', async () => {
    const result = await runCli(['dlq', 'list', '--quiet'], stream.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`${stream.topic('buddy.checkin.completed')}/\\d+@0  park_timeout  TASK_PUT`),
    );
    expect(result.stdout).toMatch(/schema_violation {2}TRANSFORMATION .*data\.rating: too_big/);
    expect(result.stdout).toContain('dlq: 2 dead letters');
    expect(result.stdout).not.toContain(secret);
    const json = await runCli(['dlq', 'list', '--json', '--reason', 'park_timeout'], stream.env);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({
        reason: 'park_timeout',
        stage: 'TASK_PUT',
        topic: stream.topic('buddy.checkin.completed'),
      }),
    ]);
  });

  it('show prints the headers, and the value only with --show-value', async () => {
    const list = await runCli(['dlq', 'list', '--json', '--reason', 'schema_violation'], stream.env);
    const { position } = JSON.parse(list.stdout.trim());
    const shown = await runCli(['dlq', 'show', position], stream.env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('__connect.errors.class.name: buddy-stream.schema_violation');
    expect(shown.stdout).toContain(
      '__connect.errors.exception.message: buddy.feedback.submitted (flat): data.rating',
    );
    expect(shown.stdout).not.toContain(secret);
    const withValue = await runCli(['dlq', 'show', position, '--show-value'], stream.env);
    expect(withValue.stdout).toContain(secret);
    const missing = await runCli(['dlq', 'show', '0:999'], stream.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no dead letter at 0:999');
  });

  it('replay re-publishes the chosen records after the fix, marked as replayed', async () => {
    const none = await runCli(['dlq', 'replay'], stream.env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('choose records with --offset, --reason or --all');
    const refused = await runCli(['dlq', 'replay', '--reason', 'park_timeout'], stream.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('standard input is not a terminal');

    // The fix: the match arrives.
    await publishRetrying(stream, [
      {
        topic: stream.topic('buddy.match.created'),
        key: sampleIds.participantId,
        value: flatEnvelope('buddy.match.created', validData['buddy.match.created']),
      },
    ]);
    await until('the match', async () => (await stream.pool.query('SELECT 1 FROM buddy_matches')).rowCount);

    const dry = await runCli(['dlq', 'replay', '--reason', 'park_timeout', '--dry-run'], stream.env);
    expect(dry.stdout).toContain('dry run: would re-publish 1 dead letters');
    const replay = await runCli(
      ['dlq', 'replay', '--reason', 'park_timeout', '--yes', '--quiet'],
      stream.env,
    );
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('re-published 1 dead letters');

    const checkin = await until(
      'the replayed check-in',
      async () => (await stream.pool.query('SELECT notes FROM buddy_checkins')).rows[0],
    );
    expect(checkin.notes).toBe(secret);
    // The original and the replayed copy (the test producer may have written the original twice when
    // it retried a send: read a little past two and look for the replayed one).
    const records = await stream.readTopic(stream.topic('buddy.checkin.completed'), 3, 3_000);
    const replayed = records.filter((r) => r.headers['buddy-stream.replayed-from-dlq'] !== undefined);
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!.headers['buddy-stream.replayed-from-dlq']).toMatch(
      new RegExp(`^${stream.config.DLQ_TOPIC}/\\d+/\\d+$`),
    );
  });
});
