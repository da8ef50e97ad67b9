// One record through the real broker and back: the local stack's Kafka works for a producer and a group.
import { randomBytes } from 'node:crypto';
import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type Consumer,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForLeaders } from '../../src/kafka/topics.ts';

const brokers = (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(',');
const suffix = randomBytes(4).toString('hex');
const topic = `test.kafka-roundtrip.${suffix}`;
const groupId = `test-kafka-roundtrip-${suffix}`;

describe('local Kafka broker', () => {
  const kafka = new Kafka({ clientId: 'buddy-stream-test', brokers, logLevel: logLevel.WARN });
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    // kafkajs' own wait for leaders fails on a transient "does not host this topic-partition" (seen
    // once in a full run, many tests creating topics at once); waitForLeaders retries it.
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false });
    await waitForLeaders(admin, [topic]);
  }, 30_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }, 30_000);

  it('round-trips key, value and headers through a consumer group', async () => {
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        {
          key: 'match-42',
          value: JSON.stringify({ type: 'match.created', id: 42 }),
          headers: { 'event-type': 'match.created', 'trace-id': suffix },
        },
      ],
    });

    consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = new Promise<KafkaMessage>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(message) });
    });
    const message = await received;

    expect(message.key?.toString()).toBe('match-42');
    expect(JSON.parse(message.value?.toString() ?? 'null')).toEqual({ type: 'match.created', id: 42 });
    const headers = Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString()]),
    );
    expect(headers).toEqual({ 'event-type': 'match.created', 'trace-id': suffix });
  }, 60_000);
});
