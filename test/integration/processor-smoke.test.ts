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

  it("commits the group's stored offsets to Kafka for lag tools, within KAFKA_COMMIT_INTERVAL (1s)", async () => {
    const stored = async () =>
      (
        await stream.pool.query<{ topic: string; partition: number; next_offset: string }>(
          'SELECT topic, partition, next_offset::text AS next_offset FROM stream_offsets WHERE group_id = $1',
          [stream.config.KAFKA_GROUP_ID],
        )
      ).rows.map((r) => `${r.topic}/${r.partition}@${r.next_offset}`);
    const committed = async (topics: string[]) =>
      (await stream.admin.fetchOffsets({ groupId: stream.config.KAFKA_GROUP_ID, topics })).flatMap((t) =>
        t.partitions.filter((p) => p.offset !== '-1').map((p) => `${t.topic}/${p.partition}@${p.offset}`),
      );
    const inStore = (await stored()).sort();
    expect(inStore.length).toBeGreaterThan(0);
    const topics = [...new Set(inStore.map((s) => s.slice(0, s.indexOf('/'))))];
    const deadline = Date.now() + 10_000;
    let inKafka = (await committed(topics)).sort();
    while (JSON.stringify(inKafka) !== JSON.stringify(inStore) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      inKafka = (await committed(topics)).sort();
    }
    expect(inKafka).toEqual(inStore);
  });
});
