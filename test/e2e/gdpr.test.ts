import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics } from '../../src/kafka/topics.ts';
import { runCli, startCli } from '../support/cli.ts';
import { findText } from '../support/pii-scan.ts';
import { publishRetrying } from '../support/publish.ts';
import { flatEnvelope, sampleIds, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const d = validData;
const participant = sampleUsers.participant;
// Everything personal about the participant that the sample events carry.
const PERSONAL = [
  participant.email,
  participant.firstName,
  participant.lastName,
  d['buddy.checkin.completed'].notes,
  d['buddy.feedback.submitted'].feedbackText,
  d['buddy.skill_share.completed'].feedback.teacherComment,
  d['buddy.skill_share.completed'].feedback.learnerComment,
  d['buddy.match.ended'].reasonDetails,
  d['buddy.event.logged'].description,
];
const other = {
  userId: randomUUID(),
  email: 'amina.haddad@example.org',
  firstName: 'Amina',
  lastName: 'Haddad',
  role: 'participant',
  joinedAt: '2025-01-08T09:00:00.000Z',
};

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('bin/buddy-stream gdpr', () => {
  let stream: TestStream;

  beforeAll(async () => {
    stream = await createTestStream('gdpr');
    const order = [
      'buddy.user.registered',
      'buddy.match.created',
      'buddy.event.logged',
      'buddy.event.attended',
      'buddy.skill_share.completed',
      'buddy.checkin.completed',
      'buddy.feedback.submitted',
      'buddy.milestone.reached',
      'buddy.match.ended',
    ] as const;
    const records = order.map((type) => ({ topic: stream.topic(type), value: flatEnvelope(type, d[type]) }));
    records.push({
      topic: stream.topic('buddy.user.registered'),
      value: flatEnvelope('buddy.user.registered', sampleUsers.buddy),
    });
    records.push({
      topic: stream.topic('buddy.user.registered'),
      value: flatEnvelope('buddy.user.registered', other),
    });
    await publishRetrying(stream, records);
    const { processor } = await stream.startProcessor();
    await processor.waitUntilCaughtUp();
    await processor.stop();
    // A Q2Q score of the check-in note, with an evidence snippet quoting it.
    const score = await stream.pool.query(
      `INSERT INTO outcome_scores (text_id, text_type, dimension, score)
      VALUES ($1, 'checkin_note', 'belonging', 0.4) RETURNING id`,
      [sampleIds.checkinId],
    );
    await stream.pool.query(
      `INSERT INTO evidence_snippets (outcome_score_id, snippet_text, snippet_hash) VALUES ($1, $2, 'h1')`,
      [score.rows[0].id, d['buddy.checkin.completed'].notes],
    );
  });
  afterAll(async () => stream?.close());

  it('export prints everything about the person as JSON, found by email', async () => {
    const result = await runCli(['gdpr', 'export', participant.email.toUpperCase()], stream.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.profile).toMatchObject({ email: participant.email, first_name: 'Olena', role: 'beneficiary' });
    expect(doc.externalIds).toEqual([
      expect.objectContaining({ provider: 'buddy', external_id: sampleIds.participantId }),
    ]);
    expect(doc.matches).toEqual([
      expect.objectContaining({ id: sampleIds.matchId, role_in_match: 'participant', status: 'ended' }),
    ]);
    expect(doc.checkins[0].notes).toBe(d['buddy.checkin.completed'].notes);
    expect(doc.feedback).toHaveLength(1);
    expect(doc.skillSessions).toEqual([
      expect.objectContaining({ id: sampleIds.skillSessionId, role_in_session: 'learner' }),
    ]);
    expect(doc.activities.length).toBeGreaterThanOrEqual(2);
    expect(doc.enrollments).toEqual([
      expect.objectContaining({ program_type: 'buddy', status: 'completed' }),
    ]);
    expect(doc.journeyMilestones.map((m: { milestone: string }) => m.milestone)).toContain(
      'buddy_milestone_3',
    );
    expect(doc.outcomeScores).toEqual([expect.objectContaining({ dimension: 'belonging' })]);
    expect(doc.rawEvents).toHaveLength(9); // the participant's registration and every event of their match
    expect(JSON.stringify(doc)).not.toContain(sampleUsers.buddy.email);
    expect((await runCli(['gdpr', 'export', 'nobody@example.org'], stream.env)).code).toBe(1);
  });

  it('erase refuses without --yes, and --dry-run changes nothing', async () => {
    const refused = await runCli(['gdpr', 'erase', sampleIds.participantId], stream.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('standard input is not a terminal');
    const dry = await runCli(['gdpr', 'erase', sampleIds.participantId, '--dry-run'], stream.env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/dry run \(rolled back\): would erase .*checkin_notes_redacted 1/);
    expect(await findText(stream.pool, [participant.email])).not.toEqual([]);
  });

  it('erase leaves no email, name or free text of the person anywhere, and keeps the partner and the scores', async () => {
    const result = await runCli(['gdpr', 'erase', sampleIds.participantId, '--yes'], stream.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/gdpr: erased user .* \(tombstone [0-9a-f-]{36}\)/);
    expect(await findText(stream.pool, PERSONAL)).toEqual([]);

    const match = (
      await stream.pool.query(`SELECT m.status, p.email AS participant, b.email AS buddy FROM buddy_matches m
      JOIN users p ON p.id = m.participant_id JOIN users b ON b.id = m.buddy_id`)
    ).rows;
    expect(match).toEqual([
      {
        status: 'ended',
        participant: expect.stringMatching(/^erased-.*@erased\.invalid$/),
        buddy: sampleUsers.buddy.email,
      },
    ]);
    expect((await stream.pool.query('SELECT count(*)::int AS n FROM buddy_checkins')).rows[0].n).toBe(1);
    expect(
      (
        await stream.pool.query(
          'SELECT score::text, (SELECT snippet_text FROM evidence_snippets) AS snippet FROM outcome_scores',
        )
      ).rows,
    ).toEqual([{ score: '0.400', snippet: null }]);
    expect(
      (await stream.pool.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [other.email]))
        .rows[0].n,
    ).toBe(1);
    // The raw events still parse: the user event keeps a (tombstone) email.
    const replay = await runCli(
      ['replay', '--user', sampleUsers.buddy.email, '--yes', '--quiet'],
      stream.env,
    );
    expect(replay.code).toBe(0);
    expect(await findText(stream.pool, PERSONAL)).toEqual([]);
    // Again: nothing left to do, no second tombstone.
    const again = await runCli(['gdpr', 'erase', sampleIds.participantId, '--yes'], stream.env);
    expect(again.stdout).toContain('erased again');
    expect(
      (await stream.pool.query(`SELECT count(*)::int AS n FROM users WHERE email LIKE '%@erased.invalid'`))
        .rows[0].n,
    ).toBe(1);
  });

  it('`run` erases on a privacy.erasure.requested record, and dead-letters an invalid request', async () => {
    await createTopics(stream.admin, { partitions: 1, replicationFactor: 1 }, [stream.config.ERASURE_TOPIC]);
    const run = startCli(['run'], { ...stream.env, LOG_LEVEL: 'info' });
    try {
      await run.waitForOutput(/erasure requests consumed/);
      const bad = `bad-${randomUUID()}`;
      await publishRetrying(stream, [
        {
          topic: stream.config.ERASURE_TOPIC,
          value: { email: other.email, requestedAt: '2026-01-01T00:00:00Z', requestId: randomUUID() },
        },
        {
          topic: stream.config.ERASURE_TOPIC,
          value: { requestedAt: '2026-01-01T00:00:00Z', requestId: bad },
        },
      ]);
      await until(
        'the erasure',
        async () =>
          (await stream.pool.query('SELECT 1 FROM users WHERE email = $1', [other.email])).rowCount === 0,
      );
      expect(await findText(stream.pool, [other.email, other.lastName])).toEqual([]);
      const letters = await stream.readTopic(stream.config.DLQ_TOPIC, 1_000, 8_000);
      const letter = letters.find((l) => l.value?.toString().includes(bad));
      expect(letter?.headers['__connect.errors.exception.message']).toContain(
        'one of userId, buddyUserId or email is required',
      );
    } finally {
      run.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    }
  });
});
