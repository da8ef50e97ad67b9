import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics } from '../../src/kafka/topics.ts';
import { DLQ_HEADERS } from '../../src/pipeline/dead-letter.ts';
import { busEnvelope, flatEnvelope, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

type Case = { topic: string; key: string; value: Buffer | Record<string, unknown>; expect: string };

const bytesOf = (value: Case['value']) =>
  Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value));

describe('invalid records go to the dead-letter topic with the reason; the rest is processed', () => {
  let stream: TestStream;
  beforeAll(async () => {
    stream = await createTestStream('dlq', { partitions: 1 });
  });
  afterAll(async () => {
    await stream?.close();
  });

  it('dead-letters one record of each kind and applies the valid ones around them', async () => {
    const t = (type: string) => stream.topic(type);
    const registered = t('buddy.user.registered');
    const unknownTopic = t('buddy.something.else');
    await createTopics(stream.admin, { partitions: 1, replicationFactor: 1 }, [unknownTopic]);
    const logged = (eventId: string, eventType: string) =>
      flatEnvelope('buddy.event.logged', { ...validData['buddy.event.logged'], eventId, eventType });

    const invalid: Case[] = [
      { topic: registered, key: 'not-json', value: Buffer.from('{"id": nope'), expect: 'not_json' },
      {
        topic: registered,
        key: 'no-id',
        value: flatEnvelope('buddy.user.registered', sampleUsers.buddy, { id: undefined }),
        expect: 'no_id',
      },
      {
        topic: unknownTopic,
        key: 'unknown',
        value: { ...flatEnvelope('buddy.user.registered', sampleUsers.buddy), type: 'buddy.something.else' },
        expect: 'unknown_type',
      },
      {
        topic: t('buddy.feedback.submitted'),
        key: 'schema',
        value: flatEnvelope('buddy.feedback.submitted', {
          ...validData['buddy.feedback.submitted'],
          rating: 4,
        }),
        expect: 'schema_violation',
      },
      { topic: registered, key: 'too-large', value: Buffer.alloc(1_100_000, 0x20), expect: 'too_large' },
      {
        topic: t('buddy.checkin.completed'),
        key: 'mismatch',
        value: busEnvelope('buddy.user.registered', sampleUsers.buddy),
        expect: 'type_mismatch',
      },
      {
        topic: t('buddy.event.logged'),
        key: 'too-long',
        value: logged('0d6b1f3e-0000-4000-8000-000000000009', 'x'.repeat(150)),
        expect: 'schema_violation',
      },
    ];
    // A rule of the platform's database that the contract does not know: Postgres refuses these rows,
    // one when it is unparked (published before its match), one straight away (after it).
    await stream.pool.query(`ALTER TABLE buddy_events ADD CONSTRAINT no_pizza CHECK (event_type <> 'pizza')`);
    const refused: Case[] = [
      {
        topic: t('buddy.event.logged'),
        key: 'refused-unparked',
        value: logged('0d6b1f3e-0000-4000-8000-000000000001', 'pizza'),
        expect: 'rejected_by_database',
      },
      {
        topic: t('buddy.event.logged'),
        key: 'refused-direct',
        value: logged('0d6b1f3e-0000-4000-8000-000000000002', 'pizza'),
        expect: 'rejected_by_database',
      },
    ];

    await stream.publish([
      refused[0]!,
      {
        topic: registered,
        key: sampleUsers.participant.userId,
        value: flatEnvelope('buddy.user.registered', sampleUsers.participant),
      },
      ...invalid,
      {
        topic: registered,
        key: sampleUsers.buddy.userId,
        value: busEnvelope('buddy.user.registered', sampleUsers.buddy),
      },
      {
        topic: t('buddy.match.created'),
        value: flatEnvelope('buddy.match.created', validData['buddy.match.created']),
      },
      {
        topic: t('buddy.event.logged'),
        value: flatEnvelope('buddy.event.logged', validData['buddy.event.logged']),
      },
    ]);
    const { processor, metrics } = await stream.startProcessor();
    await processor.waitUntilCaughtUp();
    await stream.publish([refused[1]!]);
    await processor.waitUntilCaughtUp();

    const letters = await stream.readTopic(stream.config.DLQ_TOPIC, invalid.length + refused.length);
    expect(letters).toHaveLength(invalid.length + refused.length);
    for (const record of invalid) {
      const letter = letters.find((l) => l.key?.toString() === record.key);
      expect(letter, record.key).toBeDefined();
      expect(letter!.headers[DLQ_HEADERS.className]).toBe(`buddy-stream.${record.expect}`);
      expect(letter!.headers[DLQ_HEADERS.topic]).toBe(record.topic);
      expect(letter!.headers[DLQ_HEADERS.partition]).toBe('0');
      expect(letter!.headers[DLQ_HEADERS.offset]).toMatch(/^\d+$/);
      // The original bytes, untouched.
      expect(letter!.value?.equals(bytesOf(record.value))).toBe(true);
    }
    for (const record of refused) {
      const eventId = (record.value as { data: { eventId: string } }).data.eventId;
      const letter = letters.find(
        (l) =>
          l.headers[DLQ_HEADERS.className] === 'buddy-stream.rejected_by_database' &&
          l.value?.toString().includes(eventId),
      );
      expect(letter, record.key).toBeDefined();
      expect(letter!.headers[DLQ_HEADERS.message]).toContain('SQLSTATE 23514');
      expect(letter!.headers[DLQ_HEADERS.message]).toContain('no_pizza');
      expect(letter!.headers[DLQ_HEADERS.topic]).toBe(record.topic);
    }
    // Reasons name the field and the rule, never the value.
    const schema = letters.find((l) => l.key?.toString() === 'schema')!;
    expect(schema.headers[DLQ_HEADERS.message]).toContain('data.rating');
    expect(letters.find((l) => l.key?.toString() === 'too-long')!.headers[DLQ_HEADERS.message]).toContain(
      'data.eventType: longer than 100 characters',
    );

    const count = async (sql: string) => (await stream.pool.query<{ n: number }>(sql)).rows[0]!.n;
    expect(await count('SELECT count(*)::int AS n FROM users')).toBe(2);
    expect(await count('SELECT count(*)::int AS n FROM buddy_events')).toBe(1);
    // Refused events are not kept in the raw store, so a DLQ replay after a fix can apply them.
    expect(await count('SELECT count(*)::int AS n FROM buddy_system_events')).toBe(4);
    expect(await count('SELECT count(*)::int AS n FROM parked_events')).toBe(0);
    const text = await metrics.registry.getSingleMetricAsString('buddy_stream_dead_lettered_total');
    expect(text).toMatch(/reason="rejected_by_database"\} 2/);
  });
});
