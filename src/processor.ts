// The stream processor: a kafkajs consumer group over the buddy.* topics, each partition's batches
// applied by pipeline/commit.ts, offsets committed to Kafka after Postgres, parked events swept.
import { type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import { createRdkafkaConsumer, type ConsumerTransport } from './kafka/rdkafka-consumer.ts';
import pg from 'pg';
import type { Config } from './config.ts';
import { createIdempotentProducer, FETCH_MAX_WAIT_MS } from './kafka/client.ts';
import { createDeadLetterSink } from './kafka/dead-letter-producer.ts';
import { createOffsetFollower } from './kafka/offset-follower.ts';
import { rejoinAfterBrokerLoss, type Rejoin } from './kafka/rejoin.ts';
import { createFrameResolver } from './kafka/schema-registry-decoder.ts';
import { createOutboxRelay, pruneSentOutbox } from './q2q/outbox-relay.ts';
import { sweepJourney } from './journey/sweep.ts';
import { createScoreIngestor } from './q2q/ingest.ts';
import type { Logger } from './ops/logger.ts';
import type { Metrics } from './ops/metrics.ts';
import {
  processBatch,
  mergeStats,
  type BatchContext,
  type BatchResult,
  type DeadLetterSink,
} from './pipeline/commit.ts';
import { createCollector } from './pipeline/collector.ts';
import { createBacklogGate, tierOf } from './pipeline/backlog-gate.ts';
import { emptyStats, type ApplyStats } from './pipeline/apply.ts';
import type { SourceRecord } from './pipeline/decode.ts';
import { countParked, expireParkedEvents } from './pipeline/park-timeout.ts';
import { observeCopies, setCopyChunkRows } from './store/copy-writer.ts';
import { postgresConnection } from './store/pg-connection.ts';
import { SQL } from './store/statements.ts';
import {
  behind,
  lagOf,
  readStoredOffsets,
  readWatermarks,
  storedOffsets,
  type StoredOffsetRow,
  type Watermark,
} from './kafka/watermarks.ts';

/** How long waitUntilCaughtUp trusts the watermarks it read (a topic made anew may end lower). */
const WATERMARKS_MAX_AGE_MS = 5_000;

export interface ProcessorTotals extends ApplyStats {
  records: number;
  deadLettered: number;
  deadLetteredByReason: Record<string, number>;
  duplicatesInBatch: number;
}

export interface Processor {
  start(): Promise<void>;
  /**
   * Stops consuming after the batches in flight (each commits or rolls back whole). `alongside`: another
   * user of the processor's pool stopping at the same time (the erasure consumer), awaited before the
   * pool ends.
   */
  stop(alongside?: Promise<void>): Promise<void>;
  /**
   * Resolves when every partition of the subscribed topics, and of Q2Q_SCORES_TOPIC, is applied up to its
   * high watermark.
   */
  waitUntilCaughtUp(options?: { pollMs?: number; signal?: AbortSignal }): Promise<void>;
  totals: ProcessorTotals;
  pool: pg.Pool;
  /** For ops/: readiness and the lag monitor follow its group events. */
  consumer: ConsumerTransport;
}

export interface ProcessorDeps {
  config: Config;
  kafka: Kafka;
  logger: Logger;
  metrics: Metrics;
  /** Called after each batch's transaction committed (benchmarks measure end-to-end latency with it). */
  onBatchCommitted?: (records: SourceRecord[], committedAtMs: number) => void;
}

export function createProcessor({
  config,
  kafka,
  logger,
  metrics,
  onBatchCommitted,
}: ProcessorDeps): Processor {
  const log = logger.child({ component: 'processor' });
  const pool = new pg.Pool({ ...postgresConnection(config), max: config.PG_POOL_SIZE });
  setCopyChunkRows(config.COPY_CHUNK_ROWS);
  pool.on('connect', (client) => {
    observeCopies(client, (table, n) => metrics.copyRows.inc({ table }, n));
    // A connection that dies while checked out between two queries (a terminated backend, a Postgres
    // restart) emits 'error' on its client, where the pool listens only while it is idle: without this
    // the process would crash. The holder's next query fails and its retry takes a new connection.
    client.on('error', (error) => log.warn({ err: error.message }, 'Postgres connection failed'));
  });
  pool.on('error', (error) => log.warn({ err: error.message }, 'idle Postgres connection failed'));
  const consumerOptions = {
    groupId: config.KAFKA_GROUP_ID,
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT,
    heartbeatInterval: Math.max(500, Math.floor(config.KAFKA_SESSION_TIMEOUT / 10)),
    // Bounded memory whatever the backlog: at most this much per partition and per fetch (a larger
    // poison record still arrives: the broker always returns at least one record batch).
    maxBytesPerPartition: config.FETCH_MAX_BYTES_PER_PARTITION,
    maxBytes: config.FETCH_MAX_BYTES,
    retry: { retries: 10 },
  };
  // KAFKA_CLIENT: kafkajs (pure JavaScript, the default) or librdkafka through node-rdkafka, behind the
  // same small interface (src/kafka/rdkafka-consumer.ts).
  const consumer: ConsumerTransport =
    config.KAFKA_CLIENT === 'rdkafka'
      ? createRdkafkaConsumer({ config, logger, ...consumerOptions })
      : kafka.consumer({ ...consumerOptions, maxWaitTimeInMs: FETCH_MAX_WAIT_MS });
  const producer: Producer = createIdempotentProducer(kafka);
  const totals: ProcessorTotals = {
    ...emptyStats(),
    records: 0,
    deadLettered: 0,
    deadLetteredByReason: {},
    duplicatesInBatch: 0,
  };
  const deadLetters: DeadLetterSink = createDeadLetterSink(producer, config.DLQ_TOPIC, (letter) => {
    metrics.deadLettered.inc({ topic: letter.position.topic, reason: letter.code });
    totals.deadLettered++;
    totals.deadLetteredByReason[letter.code] = (totals.deadLetteredByReason[letter.code] ?? 0) + 1;
  });
  const relay = createOutboxRelay({
    pool,
    producer,
    topicFor: outputTopicMap(config),
    log: log.child({ component: 'outbox-relay' }),
    onPublished: (records) => {
      for (const { topic, waitedMs } of records) metrics.publishLatency.observe({ topic }, waitedMs / 1000);
    },
  });
  // q2q.outcome.scored -> outcome_scores and evidence_snippets, in its own consumer group.
  const scores = createScoreIngestor({ config, kafka, logger, metrics, pool });
  // Confluent-framed values, decoded through the schema registry when SCHEMA_REGISTRY_URL is set.
  const frames = createFrameResolver(config, logger);
  let sweepTimer: NodeJS.Timeout | undefined;
  let journeyTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let subscribedTopics: string[] = [];

  let latestHeartbeat: (() => Promise<void>) | undefined;
  const ctx: BatchContext = {
    pool,
    groupId: config.KAFKA_GROUP_ID,
    topicPrefix: config.TOPIC_PREFIX,
    feedbackWindowMs: config.FEEDBACK_WINDOW,
    deadLetters,
    log,
    // Any partition's heartbeat keeps the member alive: the one handed over last.
    heartbeat: () => latestHeartbeat?.() ?? Promise.resolve(),
    frames,
    observeTransaction: (seconds, outcome) => metrics.transactionDuration.observe({ outcome }, seconds),
  };
  // Children wait while their parents' topics have a backlog here (see pipeline/backlog-gate.ts).
  const gate = createBacklogGate({
    topicPrefix: config.TOPIC_PREFIX,
    enabled: config.BACKLOG_ORDER,
    staleMs: 10_000,
  });
  const held = new Set<string>();
  let releaseTimer: NodeJS.Timeout | undefined;
  let rejoin: Rejoin | undefined;
  // Partitions hand their records to the collector; it applies them in batches that span partitions.
  const collector = createCollector<BatchResult>({
    maxRecords: config.BATCH_MAX_EVENTS,
    lingerMs: config.BATCH_LINGER,
    concurrency: config.BATCH_WRITERS,
    // Backlog order also applies parents first when more waits than one batch holds.
    priority: (records) =>
      config.BACKLOG_ORDER ? tierOf(records[0]!.position.topic.slice(config.TOPIC_PREFIX.length)) : 0,
    apply: applyBatch,
  });

  const kafkaOffsets = createOffsetFollower({
    intervalMs: config.KAFKA_COMMIT_INTERVAL,
    commit: (offsets) => consumer.commitOffsets(offsets),
    log,
  });

  async function applyBatch(segments: SourceRecord[][]): Promise<BatchResult> {
    const records = segments.reduce((n, s) => n + s.length, 0);
    const stopTimer = metrics.batchDuration.startTimer();
    const result = await processBatch(ctx, segments);
    stopTimer();
    onBatchCommitted?.(segments.flat(), Date.now());
    metrics.batchSize.observe(records);
    record(result.stats, result.duplicatesInBatch, records);
    const enqueued = result.stats.outboxRecords + result.stats.journeyChanges;
    if (enqueued > 0 && config.OUTBOX_RELAY === 'on') relay.wake();
    const moved = result.partitions.filter((p) => p.nextOffset !== null);
    // Postgres holds the truth; Kafka's committed offsets follow so lag tools see progress.
    if (moved.length > 0)
      await kafkaOffsets.follow(
        moved.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.nextOffset! })),
      );
    return result;
  }

  async function eachBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) {
    const { topic, partition } = batch;
    if (gate.holds(topic, Date.now())) {
      // Read again from here once the parents caught up (nothing of it was resolved).
      held.add(topic);
      consumer.pause([{ topic }]);
      return;
    }
    for (let i = 0; i < batch.messages.length; i += config.BATCH_MAX_EVENTS) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + config.BATCH_MAX_EVENTS);
      const records: SourceRecord[] = chunk.map((m) => ({
        position: { topic, partition, offset: m.offset },
        key: m.key ?? null,
        value: m.value ?? null,
        headers: m.headers ?? {},
        timestamp: m.timestamp,
      }));
      metrics.recordsConsumed.inc({ topic }, records.length);
      latestHeartbeat = heartbeat;
      await collector.submit(records);
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      if (gate.tracks(topic)) {
        const lag = BigInt(batch.highWatermark) - BigInt(last) - 1n;
        gate.observe(topic, partition, lag > 0n ? Number(lag) : 0, Date.now());
        releaseHeld();
      }
      await heartbeat();
    }
  }

  function record(stats: ApplyStats, duplicatesInBatch: number, records: number) {
    totals.records += records;
    totals.duplicatesInBatch += duplicatesInBatch;
    mergeStats(totals, stats);
    // Topics are <prefix><event type>.
    for (const [type, n] of Object.entries(stats.appliedByType))
      metrics.eventsProcessed.inc({ topic: config.TOPIC_PREFIX + type, event_type: type }, n);
    metrics.eventsDuplicate.inc(stats.duplicates + duplicatesInBatch);
    metrics.eventsParked.inc(stats.parked);
    metrics.eventsUnparked.inc(stats.unparked);
    for (const [table, n] of Object.entries(stats.rowsByTable)) metrics.rowsWritten.inc({ table }, n);
  }

  /**
   * On assignment, seek to the stored offsets (Kafka's committed offset may lag Postgres after a crash),
   * and measure the backlog of the assigned parent partitions for the backlog gate.
   */
  async function seekToStoredOffsets(assignment: Record<string, number[]>) {
    const rows = (await pool.query<StoredOffsetRow>(SQL.readOffsets, [config.KAFKA_GROUP_ID])).rows.filter(
      (r) => assignment[r.topic]?.includes(r.partition),
    );
    for (const row of rows)
      consumer.seek({ topic: row.topic, partition: row.partition, offset: row.next_offset });
    const stored = storedOffsets(rows);
    const parents = Object.keys(assignment).filter((t) => gate.tracks(t));
    if (parents.length === 0 || !config.BACKLOG_ORDER) return;
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const w of await readWatermarks(admin, parents)) {
        if (assignment[w.topic]!.includes(w.partition))
          gate.observe(w.topic, w.partition, lagOf(w, stored), Date.now());
      }
    } finally {
      await admin.disconnect();
    }
    releaseHeld();
  }

  /** Resumes the held topics the gate lets through. */
  function releaseHeld() {
    const now = Date.now();
    const free = [...held].filter((topic) => !gate.holds(topic, now));
    if (free.length === 0) return;
    for (const topic of free) held.delete(topic);
    log.info({ topics: free.length }, 'parent topics caught up; reading their children');
    consumer.resume(free.map((topic) => ({ topic })));
  }

  async function sweepJourneyFlags() {
    try {
      const swept = await sweepJourney(
        pool,
        { groupId: config.KAFKA_GROUP_ID, feedbackWindowMs: config.FEEDBACK_WINDOW },
        log,
      );
      if (swept.flagsChanged > 0 && config.OUTBOX_RELAY === 'on') relay.wake();
    } catch (error) {
      log.error({ err: (error as Error).message }, 'journey sweep failed; next sweep retries');
    }
  }

  async function sweep() {
    try {
      await expireParkedEvents(pool, deadLetters, config.PARK_TIMEOUT, log);
      metrics.parkedEvents.set(await countParked(pool));
    } catch (error) {
      log.error({ err: (error as Error).message }, 'park timeout sweep failed; next sweep retries');
    }
    try {
      const pruned = await pruneSentOutbox(pool, config.OUTBOX_RETENTION);
      metrics.outboxPruned.inc(pruned);
      if (pruned > 0)
        log.info({ records: pruned }, 'outbox: published records past OUTBOX_RETENTION deleted');
    } catch (error) {
      log.error({ err: (error as Error).message }, 'outbox prune failed; next sweep retries');
    }
  }

  return {
    totals,
    pool,
    consumer,
    async start() {
      await producer.connect();
      await consumer.connect();
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        metrics.rebalances.inc();
        log.info({ assignment: payload.memberAssignment }, 'joined consumer group');
        gate.assign(
          Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
            partitions.map((partition) => ({ topic, partition })),
          ),
          Date.now(),
        );
        seekToStoredOffsets(payload.memberAssignment).catch((error: Error) =>
          log.warn(
            { err: error.message },
            'could not seek to stored offsets; the stored-offset check still applies',
          ),
        );
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        metrics.batchRetries.inc();
        log.error({ err: payload.error.message, restart: payload.restart }, 'consumer crashed');
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        subscribedTopics = (await admin.listTopics()).filter((t) => config.TOPIC_PATTERN.test(t));
      } finally {
        await admin.disconnect();
      }
      log.info({ topics: subscribedTopics.length, pattern: String(config.TOPIC_PATTERN) }, 'subscribing');
      await consumer.subscribe({ topics: [config.TOPIC_PATTERN], fromBeginning: true });
      const runConfig = {
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.PARTITIONS_CONSUMED_CONCURRENTLY,
        eachBatch,
      };
      rejoin = rejoinAfterBrokerLoss(consumer, runConfig, log, 'buddy events');
      await consumer.run(runConfig);
      await scores.start();
      const sweepEvery = Math.max(1_000, Math.min(60_000, Math.floor(config.PARK_TIMEOUT / 4)));
      if (config.OUTBOX_RELAY === 'on') relay.start();
      journeyTimer = setInterval(() => void sweepJourneyFlags(), config.JOURNEY_SWEEP_INTERVAL);
      journeyTimer.unref();
      sweepTimer = setInterval(() => void sweep(), sweepEvery);
      sweepTimer.unref();
      // A stale parent lag stops holding after a while: check the held topics every second.
      releaseTimer = setInterval(releaseHeld, 1_000);
      releaseTimer.unref();
    },
    stop(alongside) {
      stopping ??= (async () => {
        if (sweepTimer) clearInterval(sweepTimer);
        if (journeyTimer) clearInterval(journeyTimer);
        if (releaseTimer) clearInterval(releaseTimer);
        frames?.close(); // a batch waiting for the registry gives up, unapplied, so the stop is not held up
        rejoin?.cancel();
        // Kafka's offsets of the batches committed so far, and of those in flight as they finish.
        await kafkaOffsets.close();
        // The consumers at once: each waits for its fetch in flight.
        await Promise.all([consumer.disconnect(), scores.stop(), alongside]);
        // Publishes what the last batches committed: a clean stop leaves no backlog for the next start.
        if (config.OUTBOX_RELAY === 'on') await relay.stop();
        await producer.disconnect();
        await pool.end();
      })();
      return stopping;
    },
    async waitUntilCaughtUp({ pollMs = 500, signal } = {}) {
      const admin = kafka.admin();
      await admin.connect();
      // High watermarks only grow: while a stored offset is below one seen before, the group is behind
      // without asking Kafka. Asked every poll (two ListOffsets requests per topic and often a metadata
      // request), a catch-up sent twenty times as many of them as fetches.
      let known: Watermark[] = [];
      let askedAt = -Infinity;
      try {
        for (;;) {
          signal?.throwIfAborted();
          const stored = await readStoredOffsets(pool, config.KAFKA_GROUP_ID);
          if (!behind(known, stored) || Date.now() - askedAt >= WATERMARKS_MAX_AGE_MS) {
            known = await readWatermarks(admin, subscribedTopics);
            askedAt = Date.now();
            for (const w of known)
              metrics.consumerLag.set({ topic: w.topic, partition: String(w.partition) }, lagOf(w, stored));
            if (!behind(known, stored) && (await scores.caughtUp(admin))) return;
          }
          await new Promise((r) => setTimeout(r, pollMs));
        }
      } finally {
        await admin.disconnect();
      }
    },
  };
}

/** Logical outbox topics -> the configured topics. */
export function outputTopicMap(config: Config): (logical: string) => string {
  const topics: Record<string, string> = {
    'q2q.text.requested': config.Q2Q_TEXT_TOPIC,
    'journey.flag.changed': config.JOURNEY_FLAG_TOPIC,
    'journey.milestone.reached': config.JOURNEY_MILESTONE_TOPIC,
  };
  return (logical) => {
    const topic = topics[logical];
    if (!topic) throw new Error(`outbox row names an unknown topic: ${logical}`);
    return topic;
  };
}
