// An isolated stream for one test: its own database, topic prefix, consumer group and dead-letter topic
// on the real local broker and Postgres, and the processor running in-process (or as a child process).
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import { createUpstreamProducer, createKafka, kafkaSecurity } from '../../src/kafka/client.ts';
import { allTopics, createTopics } from '../../src/kafka/topics.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { createMetrics, type Metrics } from '../../src/ops/metrics.ts';
import { attachOperations, type Operations } from '../../src/ops/operations.ts';
import { createProcessor, type Processor } from '../../src/processor.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface TestStream {
  id: string;
  db: TestDatabase;
  pool: pg.Pool;
  config: Config;
  /** The environment a child `bin/buddy-stream` needs to join this stream. */
  env: Record<string, string>;
  admin: Admin;
  producer: Producer;
  kafka: Kafka;
  topic(type: string): string;
  publish(
    records: {
      topic: string;
      key?: string | null;
      value: Buffer | string | object;
      headers?: Message['headers'];
    }[],
  ): Promise<void>;
  startProcessor(
    overrides?: Partial<Record<string, string>>,
  ): Promise<{ processor: Processor; metrics: Metrics; ops: Operations }>;
  readTopic(
    topic: string,
    expected: number,
    timeoutMs?: number,
  ): Promise<{ key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[]>;
  close(): Promise<void>;
}

export async function createTestStream(
  label: string,
  options: { partitions?: number; env?: Record<string, string> } = {},
): Promise<TestStream> {
  const id = `${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}${randomBytes(3).toString('hex')}`;
  const db = await createTestDatabase(id);
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    TOPIC_PREFIX: `t.${id}.`,
    TOPIC_PATTERN: `^t\\.${id}\\.buddy\\.`,
    KAFKA_GROUP_ID: `g-${id}`,
    DLQ_TOPIC: `t.${id}.dlq`,
    Q2Q_TEXT_TOPIC: `t.${id}.q2q.text`,
    Q2Q_SCORES_TOPIC: `t.${id}.q2q.scores`,
    JOURNEY_FLAG_TOPIC: `t.${id}.journey.flag`,
    JOURNEY_MILESTONE_TOPIC: `t.${id}.journey.milestone`,
    ERASURE_TOPIC: `t.${id}.privacy.erasure`,
    KAFKA_CLIENT_ID: `test-${id}`,
    TOPIC_PARTITIONS: String(options.partitions ?? 3),
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    BATCH_MAX_EVENTS: '500',
    // Another broker (the SASL one), security settings, ...
    ...options.env,
  };
  const config = loadConfig({ ...process.env, ...env });
  const logger = createLogger({ level: config.LOG_LEVEL });
  const kafka = createKafka(config, logger);
  const admin = kafka.admin();
  await admin.connect();
  // Every topic of this stream; the shared privacy topic is left to the tests that need it.
  const topics = allTopics(config).filter((t) => t.startsWith(`t.${id}.`));
  await createTopics(admin, { partitions: config.TOPIC_PARTITIONS, replicationFactor: 1 }, topics);
  const producer = createUpstreamProducer(kafka);
  await producer.connect();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const running: { stop(): Promise<void> }[] = [];

  return {
    id,
    db,
    pool,
    config,
    env,
    admin,
    producer,
    kafka,
    topic: (type) => config.TOPIC_PREFIX + type,
    async publish(records) {
      const byTopic = new Map<string, Message[]>();
      for (const r of records) {
        const value =
          Buffer.isBuffer(r.value) || typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
        const list = byTopic.get(r.topic) ?? [];
        list.push({ key: r.key ?? null, value, headers: r.headers });
        byTopic.set(r.topic, list);
      }
      // In publish order per topic; each call keeps the caller's order within a topic and key.
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    },
    async startProcessor(overrides = {}) {
      const cfg = loadConfig({ ...process.env, ...env, ...overrides });
      const log = createLogger({ level: cfg.LOG_LEVEL });
      const metrics = createMetrics(undefined, { defaults: false });
      const kafka = createKafka(cfg, log);
      const processor = createProcessor({ config: cfg, kafka, logger: log, metrics });
      // What `run` adds (readiness, lag, state gauges); the lag monitor polls only after ops.start().
      const ops = attachOperations({ processor, kafka, config: cfg, metrics, logger: log });
      running.push({ stop: () => ops.stop() });
      await processor.start();
      running.push(processor);
      return { processor, metrics, ops };
    },
    async readTopic(topic, expected, timeoutMs = 30_000) {
      const consumer = new Kafka({
        clientId: `reader-${id}`,
        brokers: config.KAFKA_BROKERS,
        logLevel: logLevel.NOTHING,
        ...kafkaSecurity(config),
      }).consumer({
        groupId: `reader-${id}-${randomBytes(3).toString('hex')}`,
      });
      const seen: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[] = [];
      const origins = new Set<string>();
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            const headers = Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [
                k,
                Array.isArray(v) ? String(v[0]) : String(v),
              ]),
            );
            // A dead letter may be published twice (a batch retried after its letters were sent):
            // count distinct source records.
            // Outbox records are published at least once: count distinct record ids.
            const origin = headers['__connect.errors.topic']
              ? `${headers['__connect.errors.topic']}/${headers['__connect.errors.partition']}/${headers['__connect.errors.offset']}`
              : (headers['buddy-stream.record-id'] ?? `${seen.length}`);
            if (origins.has(origin)) return;
            origins.add(origin);
            seen.push({ key: message.key, value: message.value, headers });
            if (seen.length >= expected) resolve();
          },
        });
      });
      await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs))]);
      await consumer.disconnect();
      return seen;
    },
    async close() {
      for (const p of running.splice(0)) await p.stop().catch(() => undefined);
      await producer.disconnect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`t.${id}.`));
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
      await pool.end();
      await db.drop();
    },
  };
}
