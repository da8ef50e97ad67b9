// Q2Q texts out through the transactional outbox: one record per new text, none for a duplicate or a
// rolled-back batch, and records committed but not yet published survive a crash.
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_ID_HEADER } from '../../src/q2q/outbox-relay.ts';
import { busEnvelope, flatEnvelope, sampleIds, sampleUsers, validData } from '../support/samples.ts';
import { startCli } from '../support/cli.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const streams: TestStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) await s.close();
});

/** A check-in with `notes`, or without any (the sample's own notes removed) when undefined. */
const checkin = (n: number, notes: string | undefined, mood = 'good') => {
  const { notes: _sampleNotes, ...sample } = validData['buddy.checkin.completed'] as Record<string, unknown>;
  return flatEnvelope('buddy.checkin.completed', {
    ...sample,
    checkinId: `5c0ffee0-0000-4000-8000-${String(n).padStart(12, '0')}`,
    mood,
    ...(notes === undefined ? {} : { notes }),
  });
};

async function withMatch(s: TestStream) {
  await s.publish([
    {
      topic: s.topic('buddy.user.registered'),
      value: flatEnvelope('buddy.user.registered', sampleUsers.participant),
    },
    {
      topic: s.topic('buddy.user.registered'),
      value: flatEnvelope('buddy.user.registered', sampleUsers.buddy),
    },
    {
      topic: s.topic('buddy.match.created'),
      value: flatEnvelope('buddy.match.created', validData['buddy.match.created']),
    },
  ]);
}

describe('q2q.text.requested through the outbox', () => {
  it('one record per new text, with the documented fields; none for a duplicate or an empty text', async () => {
    const s = await createTestStream('q2qout', { partitions: 1 });
    streams.push(s);
    await withMatch(s);
    const first = checkin(1, 'Hadde en fin tur i parken i dag.');
    await s.publish([
      { topic: s.topic('buddy.checkin.completed'), value: first },
      // The same event again, in the other envelope: a duplicate.
      {
        topic: s.topic('buddy.checkin.completed'),
        value: busEnvelope('buddy.checkin.completed', first.data as object, { id: first.id as string }),
      },
      { topic: s.topic('buddy.checkin.completed'), value: checkin(2, undefined) },
      {
        topic: s.topic('buddy.feedback.submitted'),
        value: flatEnvelope('buddy.feedback.submitted', validData['buddy.feedback.submitted']),
      },
      {
        topic: s.topic('buddy.skill_share.completed'),
        value: flatEnvelope('buddy.skill_share.completed', validData['buddy.skill_share.completed']),
      },
    ]);
    const { processor, metrics } = await s.startProcessor();
    await processor.waitUntilCaughtUp();
    const records = await s.readTopic(s.config.Q2Q_TEXT_TOPIC, 3, 20_000);
    const bodies = records.map((r) => JSON.parse(r.value!.toString()));
    expect(bodies.map((b) => b.textType).sort()).toEqual([
      'buddy_feedback',
      'checkin_note',
      'skill_feedback',
    ]);
    const note = bodies.find((b) => b.textType === 'checkin_note');
    const participant = (
      await s.pool.query(`SELECT profile_id::text AS id FROM user_external_ids WHERE external_id = $1`, [
        sampleIds.participantId,
      ])
    ).rows[0].id;
    expect(note).toMatchObject({
      textId: (first.data as { checkinId: string }).checkinId,
      text: 'Hadde en fin tur i parken i dag.',
      language: 'uk', // the participant's Buddy language preference
      userId: participant,
      matchId: sampleIds.matchId,
      expectedDimensions: ['well_being', 'belonging'],
      sourceEventId: first.id,
    });
    expect(
      records.find((r) => JSON.parse(r.value!.toString()).textType === 'checkin_note')!.key!.toString(),
    ).toBe(participant);
    expect(
      records.every((r) => r.headers[RECORD_ID_HEADER] === JSON.parse(r.value!.toString()).recordId),
    ).toBe(true);
    const unsent = await s.pool.query('SELECT count(*)::int AS n FROM outbox_unsent');
    expect(unsent.rows[0].n).toBe(0);
    // Three texts in all: the duplicate and the check-in without notes enqueued nothing.
    const texts = await s.pool.query(
      "SELECT count(*)::int AS n FROM outbox WHERE topic = 'q2q.text.requested'",
    );
    expect(texts.rows[0].n).toBe(3);
    // Each published record's wait in the outbox is observed, under its configured topic.
    await expect
      .poll(() => metrics.registry.getSingleMetricAsString('buddy_stream_outbox_publish_latency_seconds'))
      .toContain(`buddy_stream_outbox_publish_latency_seconds_count{topic="${s.config.Q2Q_TEXT_TOPIC}"} 3`);
  });

  it('a rolled-back batch publishes nothing: only the texts of the applied records go out', async () => {
    const s = await createTestStream('q2qrollback', { partitions: 1 });
    streams.push(s);
    await withMatch(s);
    // Postgres refuses mood 'okay' here: the batch rolls back and is applied record by record.
    await s.pool.query(`ALTER TABLE buddy_checkins ADD CONSTRAINT no_okay CHECK (mood <> 'okay')`);
    await s.publish([
      { topic: s.topic('buddy.checkin.completed'), value: checkin(11, 'first note') },
      { topic: s.topic('buddy.checkin.completed'), value: checkin(12, 'refused note', 'okay') },
      { topic: s.topic('buddy.checkin.completed'), value: checkin(13, 'third note') },
    ]);
    const { processor } = await s.startProcessor();
    await processor.waitUntilCaughtUp();
    const records = await s.readTopic(s.config.Q2Q_TEXT_TOPIC, 3, 5_000);
    expect(records.map((r) => JSON.parse(r.value!.toString()).text).sort()).toEqual([
      'first note',
      'third note',
    ]);
    const outbox = await s.pool.query(
      "SELECT count(*)::int AS n FROM outbox WHERE topic = 'q2q.text.requested'",
    );
    expect(outbox.rows[0].n).toBe(2);
  });

  it('records committed before a crash are published on restart', async () => {
    const s = await createTestStream('q2qcrash', { partitions: 1 });
    streams.push(s);
    await withMatch(s);
    await s.publish(
      [1, 2, 3, 4, 5].map((n) => ({
        topic: s.topic('buddy.checkin.completed'),
        value: checkin(20 + n, `note ${n}`),
      })),
    );
    // The first run commits but never publishes (its relay is off), then dies.
    const crashed = startCli(['run'], {
      ...s.env,
      OUTBOX_RELAY: 'off',
      LOG_LEVEL: 'info',
      KAFKA_SESSION_TIMEOUT: '6s',
    });
    const pending = async () =>
      (await s.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_unsent')).rows[0]!.n;
    await crashed.waitForOutput(/processor started/);
    while ((await pending()) < 5) await new Promise((r) => setTimeout(r, 50));
    crashed.kill('SIGKILL');
    await crashed.exited;
    const { processor } = await s.startProcessor({ KAFKA_SESSION_TIMEOUT: '6s' });
    await processor.waitUntilCaughtUp();
    const records = await s.readTopic(s.config.Q2Q_TEXT_TOPIC, 5, 20_000);
    expect(new Set(records.map((r) => JSON.parse(r.value!.toString()).textId)).size).toBe(5);
    for (let i = 0; i < 100 && (await pending()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await pending()).toBe(0);
  });
});
