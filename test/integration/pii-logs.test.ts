// The real CLI at LOG_LEVEL=trace (every level's lines) over events full of personal data, valid and
// invalid, parked, linked by email and in email conflict: no email, name, note, comment or feedback text
// appears anywhere in what it prints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.ts';
import { busEnvelope, flatEnvelope, sampleIds, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

/** A third person, whose registration reuses the participant's email (linked by email, logged). */
const lookalike = {
  ...sampleUsers.participant,
  userId: '9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
  firstName: 'Oksana',
  lastName: 'Melnyk',
};
const unmatchedCheckin = {
  ...validData['buddy.checkin.completed'],
  checkinId: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
  matchId: '11111111-2222-4333-8444-555555555555',
  notes: 'Waiting for a match that never comes; feeling isolated.',
};

const PII = [
  sampleUsers.participant.email,
  sampleUsers.buddy.email,
  'Olena',
  'Kovalenko',
  'Ingrid',
  'Hansen',
  'Oksana',
  'Melnyk',
  validData['buddy.checkin.completed'].notes,
  unmatchedCheckin.notes,
  validData['buddy.feedback.submitted'].feedbackText,
  validData['buddy.skill_share.completed'].feedback.teacherComment,
  validData['buddy.skill_share.completed'].feedback.learnerComment,
  validData['buddy.match.ended'].reasonDetails,
  validData['buddy.event.logged'].description,
];

describe('logs carry no personal data', () => {
  let stream: TestStream;
  let result: CliResult;
  beforeAll(async () => {
    stream = await createTestStream('pii');
    const t = (type: string) => stream.topic(type);
    const valid = Object.entries(validData)
      .filter(([type]) => type !== 'buddy.user.registered')
      .map(([type, data]) => ({ topic: t(type), value: flatEnvelope(type, data) }));
    const run = async () =>
      runCli(['run', '--until-caught-up', '--summary'], {
        ...stream.env,
        LOG_LEVEL: 'trace',
        PARK_TIMEOUT: '1s',
      });
    // Two runs, so the people exist before what happens to them (and the email conflict is certain).
    await stream.publish([
      {
        topic: t('buddy.user.registered'),
        value: flatEnvelope('buddy.user.registered', sampleUsers.participant),
      },
      { topic: t('buddy.user.registered'), value: busEnvelope('buddy.user.registered', sampleUsers.buddy) },
      { topic: t('buddy.user.registered'), value: flatEnvelope('buddy.user.registered', lookalike) },
    ]);
    const first = await run();
    await stream.publish([
      // The buddy tries to take the participant's email: refused, with a warning.
      {
        topic: t('buddy.user.updated'),
        value: flatEnvelope(
          'buddy.user.updated',
          { ...sampleUsers.buddy, email: sampleUsers.participant.email },
          { timestamp: '2025-03-02T12:00:00.000Z' }, // later than the registration: the profile follows it
        ),
      },
      ...valid,
      {
        topic: t('buddy.checkin.completed'),
        value: flatEnvelope('buddy.checkin.completed', unmatchedCheckin),
      },
      // Invalid records, each full of personal data: dead-lettered with a reason.
      {
        topic: t('buddy.feedback.submitted'),
        value: flatEnvelope('buddy.feedback.submitted', {
          ...validData['buddy.feedback.submitted'],
          rating: 7,
        }),
      },
      {
        topic: t('buddy.checkin.completed'),
        value: flatEnvelope('buddy.user.registered', sampleUsers.buddy),
      },
      {
        topic: t('buddy.user.registered'),
        value: `{"email": "${sampleUsers.buddy.email}", "firstName": "Ingrid"`,
      },
      {
        topic: t('buddy.user.registered'),
        value: flatEnvelope('buddy.user.registered', { ...sampleUsers.buddy, email: 'Ingrid Hansen' }),
      },
      {
        topic: t('buddy.match.created'),
        value: flatEnvelope('buddy.match.created', { ...sampleUsers.participant }),
      },
      {
        topic: t('buddy.user.registered'),
        key: sampleUsers.participant.email,
        value: { id: 'not-a-uuid', type: 'buddy.user.registered', data: sampleUsers.participant },
      },
    ]);
    const second = await run();
    result = {
      code: first.code || second.code,
      signal: null,
      stdout: first.stdout + second.stdout,
      stderr: first.stderr + second.stderr,
    };
  });
  afterAll(async () => {
    await stream?.close();
  });

  it('ran the pipeline over every case, logging as it went', async () => {
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/dead-lettered:\s+[1-9]/);
    const { rows } = await stream.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM user_external_ids WHERE provider = 'buddy'",
    );
    expect(rows[0]!.n).toBe(3);
    const levels = new Set(
      result.stderr
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { level: string }).level),
    );
    expect([...levels]).toEqual(expect.arrayContaining(['info', 'warn']));
    // The email conflict was logged, by ids: people are not.
    const conflict = result.stderr.split('\n').find((l) => l.includes('new email belongs to another user'));
    expect(conflict).toContain(sampleIds.buddyId);
  });

  it.each(PII)('never prints %j', (text) => {
    expect(result.stderr.toLowerCase()).not.toContain(text.toLowerCase());
    expect(result.stdout.toLowerCase()).not.toContain(text.toLowerCase());
  });
});
