// The node-rdkafka consumer transport (src/kafka/rdkafka-consumer.ts) against the real local broker: the
// kafkajs semantics the processor relies on (every record once, in order per partition, one batch per
// partition at a time; committed offsets; pause/resume; seek; retries; rebalances). Skipped only where the
// optional dependency node-rdkafka did not build.
import { randomBytes } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin, type EachBatchPayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createKafka, createUpstreamProducer, type KafkaSettings } from '../../src/kafka/client.ts';
import {
  createRdkafkaConsumer,
  rdkafkaAvailable,
  type ConsumerTransport,
} from '../../src/kafka/rdkafka-consumer.ts';
import { waitForLeaders } from '../../src/kafka/topics.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { saslBroker } from '../support/sasl-broker.ts';

const rdkafkaLoads = rdkafkaAvailable();

const brokers = (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(',');
const suffix = randomBytes(4).toString('hex');
const topic = `test.rdkafka.${suffix}.records`;
const pattern = new RegExp(`^test\\.rdkafka\\.${suffix}\\.`);
const PARTITIONS = 3;
const PER_PARTITION = 300;
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

const settings: KafkaSettings = {
  KAFKA_BROKERS: brokers,
  KAFKA_CLIENT_ID: 'buddy-stream-test-rdkafka',
  KAFKA_SASL_MECHANISM: '',
  KAFKA_SASL_USERNAME: '',
  KAFKA_SASL_PASSWORD: '',
  KAFKA_SSL: false,
  KAFKA_SSL_CA_FILE: '',
  KAFKA_SSL_CERT_FILE: '',
  KAFKA_SSL_KEY_FILE: '',
};

/** Waits until `done()` holds, polling; fails with `what` after the timeout. */
async function until(what: string, done: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe.skipIf(!rdkafkaLoads)('rdkafka consumer transport', () => {
  const kafka = new Kafka({ clientId: 'buddy-stream-test', brokers, logLevel: logLevel.WARN });
  const open: ConsumerTransport[] = [];
  const liveTopics: string[] = [];
  let admin: Admin;

  /** A facade consumer in `group`, subscribed by pattern and running `eachBatch`. */
  async function start(
    group: string,
    eachBatch: (payload: EachBatchPayload, consumer: ConsumerTransport) => Promise<void>,
    options: {
      concurrency?: number;
      retry?: { retries?: number; initialRetryTime?: number };
      onJoin?: (consumer: ConsumerTransport, assignment: Record<string, number[]>) => void;
    } = {},
  ) {
    const consumer = createRdkafkaConsumer({
      config: settings,
      groupId: `test-rdkafka-${suffix}-${group}`,
      sessionTimeout: 10_000,
      logger,
      retry: options.retry ?? { initialRetryTime: 50 },
    });
    open.push(consumer);
    const joins: Array<Record<string, number[]>> = [];
    const events: string[] = [];
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      joins.push(payload.memberAssignment);
      options.onJoin?.(consumer, payload.memberAssignment);
    });
    for (const name of ['CONNECT', 'CRASH', 'STOP', 'DISCONNECT', 'REBALANCING'] as const) {
      consumer.on(consumer.events[name], () => events.push(name));
    }
    await consumer.connect();
    await consumer.subscribe({ topics: [pattern], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.concurrency ?? 1,
      eachBatch: (payload) => eachBatch(payload, consumer),
    });
    return { consumer, joins, events };
  }

  async function stop(consumer: ConsumerTransport) {
    await consumer.disconnect();
    open.splice(open.indexOf(consumer), 1);
  }

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: false });
    await waitForLeaders(admin, [topic]);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let partition = 0; partition < PARTITIONS; partition++) {
      await producer.send({
        topic,
        acks: -1,
        messages: range(0, PER_PARTITION).map((i) => ({
          partition,
          key: i % 10 === 0 ? null : `key-${partition}-${i}`,
          value: JSON.stringify({ partition, i }),
          headers: { seq: String(i), 'content-type': 'application/json' },
        })),
      });
    }
    await producer.disconnect();
  }, 60_000);

  afterAll(async () => {
    for (const consumer of [...open]) await consumer.disconnect();
    await admin?.deleteTopics({ topics: [topic, ...liveTopics] }).catch(() => undefined);
    await admin?.disconnect();
  }, 60_000);

  it('hands every record over once, in offset order, one batch per partition at a time', async () => {
    const offsets = new Map<number, number[]>(range(0, PARTITIONS).map((p) => [p, []]));
    const active = new Set<number>();
    let overlapInPartition = false;
    let maxActive = 0;
    const batches: EachBatchPayload['batch'][] = [];
    const { consumer, joins, events } = await start(
      'order',
      async ({ batch, resolveOffset, isRunning, isStale }) => {
        if (active.has(batch.partition)) overlapInPartition = true;
        active.add(batch.partition);
        maxActive = Math.max(maxActive, active.size);
        batches.push(batch);
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) break;
          offsets.get(batch.partition)!.push(Number(message.offset));
          resolveOffset(message.offset);
        }
        // Hold the batch until a second partition's batch runs beside it (or 2 s pass): whether librdkafka's
        // first fetches of the partitions land in one poll or in several is up to timing, and a batch that
        // ended at once could let the next partition's start only after it (maxActive 1 on a slow machine).
        const holdUntil = Date.now() + 2_000;
        while (active.size < 2 && Date.now() < holdUntil) await sleep(10);
        await sleep(5);
        active.delete(batch.partition);
      },
      { concurrency: 2 },
    );
    const total = () => [...offsets.values()].reduce((n, list) => n + list.length, 0);
    await until('every record', () => total() >= PARTITIONS * PER_PARTITION);
    await sleep(500); // nothing more should come

    for (const list of offsets.values()) expect(list).toEqual(range(0, PER_PARTITION));
    expect(overlapInPartition).toBe(false);
    expect(maxActive).toBe(2);
    expect(joins).toEqual([{ [topic]: [0, 1, 2] }]);
    // kafkajs' shapes: offsets and timestamps as strings, Buffers, headers by name.
    const batch = batches.find((b) => b.partition === 1)!;
    expect(batch.topic).toBe(topic);
    expect(batch.highWatermark).toBe(String(PER_PARTITION));
    const [first, second] = batch.messages;
    expect(first!.offset).toBe('0');
    expect(first!.key).toBeNull();
    expect(second!.key).toEqual(Buffer.from('key-1-1'));
    expect(JSON.parse(second!.value!.toString())).toEqual({ partition: 1, i: 1 });
    expect(second!.headers).toEqual({
      seq: Buffer.from('1'),
      'content-type': Buffer.from('application/json'),
    });
    expect(second!.timestamp).toMatch(/^\d{13}$/);

    // Next offsets to read, as kafkajs commits them; the next test starts a new member from there.
    await consumer.commitOffsets([
      { topic, partition: 0, offset: '200' },
      { topic, partition: 1, offset: '100' },
      { topic, partition: 2, offset: String(PER_PARTITION) },
    ]);
    await stop(consumer);
    expect(events).toEqual(['CONNECT', 'STOP', 'DISCONNECT']);
    const committed = await admin.fetchOffsets({ groupId: `test-rdkafka-${suffix}-order`, topics: [topic] });
    expect(committed[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '200'],
      [1, '100'],
      [2, String(PER_PARTITION)],
    ]);
  });

  it('starts a new member of the group from the committed offsets', async () => {
    const offsets = new Map<number, number[]>(range(0, PARTITIONS).map((p) => [p, []]));
    const { consumer } = await start('order', async ({ batch, resolveOffset }) => {
      for (const message of batch.messages) {
        offsets.get(batch.partition)!.push(Number(message.offset));
        resolveOffset(message.offset);
      }
    });
    await until('the records after the committed offsets', () => offsets.get(1)!.length >= 200);
    await until('partition 0', () => offsets.get(0)!.length >= 100);
    await sleep(1_000);
    expect(offsets.get(0)).toEqual(range(200, PER_PARTITION));
    expect(offsets.get(1)).toEqual(range(100, PER_PARTITION));
    expect(offsets.get(2)).toEqual([]);
    await stop(consumer);
  });

  it('pauses a topic, dropping what was fetched but not resolved, and reads it again after resume', async () => {
    const resolved = new Map<number, number[]>(range(0, PARTITIONS).map((p) => [p, []]));
    const firstAfterResume = new Map<number, number>();
    let paused: { partition: number; resolvedUpTo: number } | undefined;
    let resumed = false;
    let callsWhilePaused = 0;
    const { consumer } = await start('pause', async ({ batch, resolveOffset }, self) => {
      if (paused && !resumed) callsWhilePaused++;
      if (resumed && !firstAfterResume.has(batch.partition)) {
        firstAfterResume.set(batch.partition, Number(batch.firstOffset()));
      }
      if (!paused) {
        // The first batch: resolve ten records, then hold the whole topic as the backlog gate does.
        const ten = batch.messages.slice(0, 10);
        for (const m of ten) {
          resolved.get(batch.partition)!.push(Number(m.offset));
          resolveOffset(m.offset);
        }
        paused = { partition: batch.partition, resolvedUpTo: Number(ten[ten.length - 1]!.offset) };
        self.pause([{ topic }]);
        return;
      }
      for (const m of batch.messages) {
        resolved.get(batch.partition)!.push(Number(m.offset));
        resolveOffset(m.offset);
      }
    });
    await until('the first batch', () => paused !== undefined);
    await sleep(1_500);
    expect(callsWhilePaused).toBe(0);
    resumed = true;
    consumer.resume([{ topic }]);
    await until('every record after resume', () =>
      [...resolved.values()].every((list) => list.length >= PER_PARTITION),
    );
    await sleep(500);
    // The paused partition goes on right after its last resolved record; every record resolved once.
    expect(firstAfterResume.get(paused!.partition)).toBe(paused!.resolvedUpTo + 1);
    for (const list of resolved.values()) expect(list).toEqual(range(0, PER_PARTITION));
    await stop(consumer);
  });

  it('seeks a partition; the batch in flight turns stale', async () => {
    const seen = new Map<number, number[]>(range(0, PARTITIONS).map((p) => [p, []]));
    let staleAfterSeek: boolean | undefined;
    const { consumer } = await start('seek', async ({ batch, resolveOffset, isStale }, self) => {
      if (batch.partition === 2 && staleAfterSeek === undefined) {
        // Inside a batch, as the processor's GROUP_JOIN handler may: back to 5 (this batch is abandoned).
        self.seek({ topic, partition: 2, offset: '5' });
        staleAfterSeek = isStale();
        return;
      }
      for (const m of batch.messages) {
        seen.get(batch.partition)!.push(Number(m.offset));
        resolveOffset(m.offset);
      }
    });
    await until('every record', () => [0, 1].every((p) => seen.get(p)!.length >= PER_PARTITION));
    await until('partition 2 from offset 5', () => seen.get(2)!.length >= PER_PARTITION - 5);
    expect(staleAfterSeek).toBe(true);
    expect(seen.get(2)).toEqual(range(5, PER_PARTITION));
    // And after everything was read: partition 1 again from 250.
    consumer.seek({ topic, partition: 1, offset: '250' });
    await until('partition 1 again from 250', () => seen.get(1)!.length >= PER_PARTITION + 50);
    await sleep(500);
    expect(seen.get(1)).toEqual([...range(0, PER_PARTITION), ...range(250, PER_PARTITION)]);
    expect(seen.get(0)).toEqual(range(0, PER_PARTITION));
    await stop(consumer);
  });

  it('seeks on GROUP_JOIN, before the partition fetched anything, as the processor does', async () => {
    const seen = new Map<number, number[]>(range(0, PARTITIONS).map((p) => [p, []]));
    const stored: Record<number, number> = { 0: 120, 1: 0, 2: 299 };
    const { consumer } = await start(
      'join-seek',
      async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          seen.get(batch.partition)!.push(Number(m.offset));
          resolveOffset(m.offset);
        }
      },
      {
        onJoin: (c, assignment) => {
          for (const partition of assignment[topic] ?? []) {
            c.seek({ topic, partition, offset: String(stored[partition]) });
          }
        },
      },
    );
    await until('the records from the stored offsets', () =>
      range(0, PARTITIONS).every((p) => seen.get(p)!.length >= PER_PARTITION - stored[p]!),
    );
    await sleep(500);
    for (const p of range(0, PARTITIONS)) expect(seen.get(p)).toEqual(range(stored[p]!, PER_PARTITION));
    await stop(consumer);
  });

  it('reads the unresolved records of a failed batch again, and restarts after the retries', async () => {
    const resolved = new Map<number, number[]>(range(0, PARTITIONS).map((p) => [p, []]));
    const firstOffsets: number[] = [];
    let failures = 0;
    const started = await start(
      'retry',
      async ({ batch, resolveOffset }, self) => {
        if (batch.partition === 0) firstOffsets.push(Number(batch.firstOffset()));
        const failing = batch.partition === 0 && failures < 3;
        const records = failing ? batch.messages.slice(0, 3) : batch.messages;
        for (const m of records) {
          resolved.get(batch.partition)!.push(Number(m.offset));
          resolveOffset(m.offset);
        }
        if (failing) throw new Error(`test failure ${++failures}`);
        const next = String(Number(batch.lastOffset()) + 1);
        await self.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
      },
      { retry: { retries: 2, initialRetryTime: 50 } },
    );
    const consumer = started.consumer;
    await until('every record', () => [...resolved.values()].every((list) => list.length >= PER_PARTITION));
    await sleep(500);
    // Each retry starts right after the records resolved before the failure; the third failure exceeds
    // retries: 2, so the consumer crashes (restart: true), joins again and reads from the committed offsets:
    // partition 0 committed nothing, so from 0 again (as kafkajs after a restart).
    expect(firstOffsets.slice(0, 4)).toEqual([0, 3, 6, 0]);
    expect(started.events.filter((e) => e === 'CRASH')).toHaveLength(1);
    expect(started.joins).toEqual([{ [topic]: [0, 1, 2] }, { [topic]: [0, 1, 2] }]);
    expect(resolved.get(0)).toEqual([...range(0, 9), ...range(0, PER_PARTITION)]);
    expect(resolved.get(1)).toEqual(range(0, PER_PARTITION));
    expect(resolved.get(2)).toEqual(range(0, PER_PARTITION));
    await stop(consumer);
  });

  it('hands partitions over on a rebalance: batches in flight finish and commit first', async () => {
    const processed = new Map<number, number[]>(range(0, PARTITIONS).map((p) => [p, []]));
    const eachBatch = async (payload: EachBatchPayload, self: ConsumerTransport) => {
      const { batch, resolveOffset, isStale } = payload;
      // Small slow batches, committed after each, as the processor does after Postgres.
      const chunk = batch.messages.slice(0, 20);
      if (isStale()) return;
      await sleep(20);
      for (const m of chunk) {
        processed.get(batch.partition)!.push(Number(m.offset));
        resolveOffset(m.offset);
      }
      const next = String(Number(chunk[chunk.length - 1]!.offset) + 1);
      await self.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
    };
    const first = await start('rebalance', eachBatch);
    await until('some records', () => processed.get(0)!.length >= 40);
    const second = await start('rebalance', eachBatch);
    await until('every record', () => [...processed.values()].every((list) => list.length >= PER_PARTITION));
    await sleep(1_000);
    // Nothing processed twice, nothing skipped: the revoked member's last batches committed before it let go.
    for (const list of processed.values())
      expect([...list].sort((x, y) => x - y)).toEqual(range(0, PER_PARTITION));
    const assigned = (joins: Array<Record<string, number[]>>) => joins[joins.length - 1]![topic] ?? [];
    expect(assigned(first.joins).length).toBeGreaterThan(0);
    expect(assigned(second.joins).length).toBeGreaterThan(0);
    expect([...assigned(first.joins), ...assigned(second.joins)].sort()).toEqual([0, 1, 2]);
    expect(first.events).toContain('REBALANCING');
    await stop(second.consumer);
    await stop(first.consumer);
  });

  /**
   * A topic of `partitions` written while `eachBatch` (which resolves each batch whole) runs: `write` gets
   * a producer once the consumer is idle; a record's partition is its index in `send`'s array, modulo.
   */
  async function live(
    name: string,
    partitions: number,
    eachBatch: (batch: EachBatchPayload['batch']) => Promise<void> | void,
    write: (send: (values: string[]) => Promise<void>) => Promise<void>,
    limits: { maxBytes?: number; maxBytesPerPartition?: number } = {},
  ) {
    const liveTopic = `test.rdkafka-live.${suffix}.${name}`;
    liveTopics.push(liveTopic);
    await admin.createTopics({
      topics: [{ topic: liveTopic, numPartitions: partitions }],
      waitForLeaders: false,
    });
    await waitForLeaders(admin, [liveTopic]);
    const consumer = createRdkafkaConsumer({
      config: settings,
      groupId: `test-rdkafka-${suffix}-${name}`,
      sessionTimeout: 10_000,
      logger,
      ...limits,
    });
    open.push(consumer);
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    await consumer.connect();
    await consumer.subscribe({ topics: [liveTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: partitions,
      eachBatch: async (payload) => eachBatch(payload.batch),
    });
    await until('the assignment', () => joined);
    await sleep(1_000); // idle: polls waiting for the first record
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await write(async (values) => {
      await producer.send({
        topic: liveTopic,
        acks: -1,
        messages: values.map((value, i) => ({ value, partition: i % partitions })),
      });
    });
    await producer.disconnect();
    return consumer;
  }

  it('hands a burst of records over when it comes, without waiting for the next burst', async () => {
    const batches: number[][] = [];
    const consumer = await live(
      'bursts',
      1,
      (batch) => {
        batches.push(batch.messages.map((m) => Number(m.offset)));
      },
      async (send) => {
        // Three bursts 30 ms apart, closer together than a poll waits while idle (100 ms).
        for (const burst of range(0, 3)) {
          await send(range(0, 5).map((i) => `${burst}-${i}`));
          await sleep(30);
        }
      },
    );
    await until('every record', () => batches.flat().length >= 15);
    // Each batch holds records of one burst only (a burst may come in more than one batch).
    expect(batches.flat()).toEqual(range(0, 15));
    for (const offsets of batches) expect(new Set(offsets.map((o) => Math.floor(o / 5))).size).toBe(1);
    await stop(consumer);
  });

  it('reports no backlog for partitions read as fast as they are written', async () => {
    // The backlog gate holds the children of a parent partition whose batch reports a lag: partitions
    // written and read at the same steady pace must not report one. As in the processor, the batches of
    // all partitions are applied one at a time (60 ms each), and records come every 100 ms.
    const lags: number[] = [];
    let read = 0;
    let writer: Promise<unknown> = Promise.resolve();
    const consumer = await live(
      'steady',
      6,
      async (batch) => {
        const mine = writer.then(() => sleep(60));
        writer = mine;
        await mine;
        lags.push(Number(batch.offsetLag()));
        read += batch.messages.length;
      },
      async (send) => {
        for (const tick of range(0, 30)) {
          await send(range(0, 30).map((i) => `${tick}-${i}`));
          await sleep(100);
        }
      },
    );
    await until('every record', () => read >= 900);
    await stop(consumer);
    // The watermark librdkafka learns of between polling a record and handing it over is not a backlog.
    // (A record fetched while a poll drains the queue can still make a batch look behind.)
    expect(lags.filter((lag) => lag > 0).length).toBeLessThanOrEqual(Math.floor(lags.length / 20));
  });

  it('with more waiting than maxBytes in all, stops fetching, then hands every record over once, in order', async () => {
    // 3 partitions x 1,000 records of 1 KiB; 1 MB in all at most (librdkafka's least), less than the 3 x
    // 512 KiB the partitions may hold each: they stop and fetch again while slow batches drain them.
    const seen = new Map<number, number[]>(range(0, 3).map((p) => [p, []]));
    const consumer = await live(
      'bounded',
      3,
      async (batch) => {
        for (const m of batch.messages) seen.get(batch.partition)!.push(Number(m.offset));
        await sleep(150);
      },
      async (send) => {
        for (const chunk of range(0, 20)) {
          await send(range(0, 150).map((i) => `${chunk}-${i}-`.padEnd(1024, 'x')));
        }
      },
      { maxBytes: 1_000_000, maxBytesPerPartition: 256 * 1024 },
    );
    await until('every record', () => [...seen.values()].every((list) => list.length >= 1_000));
    await sleep(300); // nothing more should come
    for (const list of seen.values()) expect(list).toEqual(range(0, 1_000));
    await stop(consumer);
  });

  it('is idle (GROUP_JOIN with no partitions) while no topic matches, and joins once one is created', async () => {
    const lonely = `test.rdkafka.${suffix}.lonely`;
    const consumer = createRdkafkaConsumer({
      config: settings,
      groupId: `test-rdkafka-${suffix}-lonely`,
      sessionTimeout: 10_000,
      logger,
      // A topic created later is found at the next metadata refresh (5 minutes by default).
      librdkafka: { 'topic.metadata.refresh.interval.ms': 1_000 },
    });
    open.push(consumer);
    const joins: Array<Record<string, number[]>> = [];
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => joins.push(payload.memberAssignment));
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({
      topics: [new RegExp(`^${lonely.replaceAll('.', '\\.')}$`)],
      fromBeginning: true,
    });
    const started = Date.now();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          seen.push(m.value!.toString());
          resolveOffset(m.offset);
        }
      },
    });
    // run() returns once idle, not after the session timeout it waits for a join at most.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(joins).toEqual([{}]);

    liveTopics.push(lonely);
    await admin.createTopics({ topics: [{ topic: lonely, numPartitions: 2 }], waitForLeaders: false });
    await waitForLeaders(admin, [lonely]);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: lonely, acks: -1, messages: [{ value: 'first' }, { value: 'second' }] });
    await producer.disconnect();
    await until('the records of the new topic', () => seen.length >= 2);
    expect(seen.sort()).toEqual(['first', 'second']);
    expect(joins.at(-1)).toEqual({ [lonely]: [0, 1] });
    await stop(consumer);
  });

  it('connects over SASL_SSL with the same settings as kafkajs (SCRAM-SHA-512, KAFKA_SSL_CA_FILE)', async () => {
    const broker = saslBroker();
    const config = loadConfig({
      KAFKA_BROKERS: broker.sslBrokers.join(','),
      KAFKA_CLIENT_ID: 'buddy-stream-test-rdkafka-sasl',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: broker.username,
      KAFKA_SASL_PASSWORD: broker.password,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: broker.caFile,
    });
    const secured = createKafka(config, logger);
    const securedTopic = `test.rdkafka.${suffix}.sasl`;
    const securedAdmin = secured.admin();
    await securedAdmin.connect();
    await securedAdmin.createTopics({
      topics: [{ topic: securedTopic, numPartitions: 1 }],
      waitForLeaders: false,
    });
    await waitForLeaders(securedAdmin, [securedTopic]);
    const producer = createUpstreamProducer(secured);
    await producer.connect();
    await producer.send({ topic: securedTopic, messages: [{ key: 'k', value: 'over TLS' }] });
    await producer.disconnect();

    const consumer = createRdkafkaConsumer({ config, groupId: `test-rdkafka-${suffix}-sasl`, logger });
    open.push(consumer);
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [securedTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        values.push(...batch.messages.map((m) => m.value!.toString()));
      },
    });
    await until('the record over SASL_SSL', () => values.length >= 1);
    expect(values).toEqual(['over TLS']);
    await stop(consumer);
    await securedAdmin.deleteTopics({ topics: [securedTopic] });
    await securedAdmin.disconnect();
  });
});
