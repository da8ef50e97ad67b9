import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The package's own export, as an upstream team imports it.
import { createBuddyProducer, InvalidEventError, type BuddyProducer } from 'buddy-stream/producer';
import { sampleIds, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

describe('buddy-stream/producer', () => {
  let stream: TestStream;
  let buddy: BuddyProducer;

  beforeAll(async () => {
    stream = await createTestStream('producer');
    buddy = createBuddyProducer({
      kafka: stream.kafka,
      topicPrefix: stream.config.TOPIC_PREFIX,
      metadata: { companyId: sampleIds.companyId },
    });
    await buddy.connect();
  });
  afterAll(async () => {
    await buddy?.disconnect();
    await stream?.close();
  });

  it('validates with the contracts before sending, naming the field but never its value', () => {
    const bad = { ...validData['buddy.feedback.submitted'], rating: 4, feedbackText: 'private words' };
    let error: unknown;
    try {
      buddy.build('buddy.feedback.submitted', bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).code).toBe('schema_violation');
    expect((error as Error).message).toContain('data.rating: too_big');
    expect((error as Error).message).not.toContain('private words');
    expect(() =>
      buddy.build('buddy.user.registered', sampleUsers.participant, { key: sampleIds.buddyId }),
    ).toThrow(/keyed by its primary user/);
  });

  it('keys by the primary user, sets the headers, speaks both envelopes, and the processor applies it', async () => {
    const user = buddy.build('buddy.user.registered', sampleUsers.participant, { envelope: 'bus' });
    expect(user.key).toBe(sampleIds.participantId);
    expect(user.headers).toMatchObject({
      'content-type': 'application/json',
      'buddy-event-type': 'buddy.user.registered',
      'buddy-event-id': user.eventId,
      'buddy-envelope': 'bus',
    });
    expect(JSON.parse(user.value.toString()).metadata.id).toBe(user.eventId);
    const checkin = buddy.build('buddy.checkin.completed', validData['buddy.checkin.completed']);
    expect(checkin.key).toBeNull();

    await buddy.sendMany([
      { type: 'buddy.user.registered', data: sampleUsers.participant, options: { envelope: 'bus' } },
      { type: 'buddy.user.registered', data: sampleUsers.buddy },
      { type: 'buddy.match.created', data: validData['buddy.match.created'] },
    ]);
    const sent = await buddy.send('buddy.checkin.completed', validData['buddy.checkin.completed'], {
      key: sampleIds.participantId,
    });
    expect(sent).toMatchObject({
      topic: stream.topic('buddy.checkin.completed'),
      key: sampleIds.participantId,
    });
    const records = await stream.readTopic(stream.topic('buddy.checkin.completed'), 1);
    expect(records[0]!.headers['buddy-event-id']).toBe(sent.eventId);

    const { processor } = await stream.startProcessor();
    await processor.waitUntilCaughtUp();
    const rows = await stream.pool.query('SELECT company_id::text FROM buddy_matches');
    expect(rows.rows).toEqual([{ company_id: sampleIds.companyId }]);
    expect((await stream.pool.query('SELECT count(*)::int AS n FROM buddy_checkins')).rows[0].n).toBe(1);
  });
});
