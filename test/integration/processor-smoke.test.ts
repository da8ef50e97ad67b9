import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busEnvelope, flatEnvelope, sampleIds, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

describe('processor: one of each event type', () => {
  let stream: TestStream;
  beforeAll(async () => {
    stream = await createTestStream('smoke');
  });
  afterAll(async () => {
    await stream?.close();
  });

  it('applies every event type, children published before their parents', async () => {
    const t = (type: string) => stream.topic(type);
    const children = [
      'buddy.checkin.completed',
      'buddy.feedback.submitted',
      'buddy.event.logged',
      'buddy.event.attended',
      'buddy.skill_share.completed',
      'buddy.milestone.reached',
      'buddy.match.ended',
    ] as const;
    await stream.publish(
      children.map((type) => ({ topic: t(type), value: flatEnvelope(type, validData[type]) })),
    );
    await stream.publish([
      {
        topic: t('buddy.match.created'),
        value: busEnvelope('buddy.match.created', validData['buddy.match.created']),
      },
    ]);
    await stream.publish([
      {
        topic: t('buddy.user.registered'),
        value: flatEnvelope('buddy.user.registered', sampleUsers.participant),
      },
      { topic: t('buddy.user.registered'), value: busEnvelope('buddy.user.registered', sampleUsers.buddy) },
    ]);
    const { processor } = await stream.startProcessor();
    await processor.waitUntilCaughtUp();

    const count = async (table: string) =>
      Number((await stream.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    expect(await count('users')).toBe(2);
    expect(await count('buddy_system_events')).toBe(10);
    expect(await count('parked_events')).toBe(0);
    const match = (
      await stream.pool.query('SELECT status, end_reason FROM buddy_matches WHERE id = $1', [
        sampleIds.matchId,
      ])
    ).rows[0];
    expect(match).toEqual({ status: 'ended', end_reason: validData['buddy.match.ended'].reason });
    expect(await count('buddy_checkins')).toBe(1);
    expect(await count('buddy_feedback')).toBe(1);
    expect(await count('kintell_sessions')).toBe(1);
    expect(await count("journey_milestones WHERE milestone LIKE 'buddy_milestone_%'")).toBe(1);
    expect(await count('program_enrollments')).toBe(2);
    const unprocessed = await count('buddy_system_events WHERE processed_at IS NULL');
    expect(unprocessed).toBe(0);
  });
});
