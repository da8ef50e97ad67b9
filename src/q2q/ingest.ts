// The q2q.outcome.scored consumer: its own consumer group, each partition's batches written by
// score-writer.ts in one transaction, Kafka offsets committed after it. Started and stopped by the processor.
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { createIdempotentProducer, FETCH_MAX_WAIT_MS } from '../kafka/client.ts';
import { createDeadLetterSink } from '../kafka/dead-letter-producer.ts';
import { rejoinAfterBrokerLoss, type Rejoin } from '../kafka/rejoin.ts';
import { behind, lagOf, readStoredOffsets, readWatermarks } from '../kafka/watermarks.ts';
import type { Logger } from '../ops/logger.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { SourceRecord } from '../pipeline/decode.ts';
import { SQL } from '../store/statements.ts';
import { ingestScoreBatch } from './score-writer.ts';

export interface ScoreIngestorDeps {
  config: Config;
  kafka: Kafka;
  logger: Logger;
  metrics: Metrics;
  pool: pg.Pool;
}

export interface ScoreIngestor {
  readonly groupId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True when every partition of Q2Q_SCORES_TOPIC is stored up to its high watermark. */
  caughtUp(admin: Admin): Promise<boolean>;
  totals: { results: number; scoresInserted: number; snippetsInserted: number; deadLettered: number };
}

export function scoreIngestorGroupId(config: Pick<Config, 'KAFKA_GROUP_ID'>): string {
  return `${config.KAFKA_GROUP_ID}.q2q-scores`;
}

export function createScoreIngestor({
  config,
  kafka,
  logger,
  metrics,
  pool,
}: ScoreIngestorDeps): ScoreIngestor {
  const groupId = scoreIngestorGroupId(config);
  const topic = config.Q2Q_SCORES_TOPIC;
  const log = logger.child({ component: 'q2q-ingest', topic });
  const consumer: Consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT,
    heartbeatInterval: Math.max(500, Math.floor(config.KAFKA_SESSION_TIMEOUT / 10)),
    allowAutoTopicCreation: false,
    retry: { retries: 10 },
  });
  const producer = createIdempotentProducer(kafka);
  const totals = { results: 0, scoresInserted: 0, snippetsInserted: 0, deadLettered: 0 };
  const deadLetters = createDeadLetterSink(producer, config.DLQ_TOPIC, (letter) => {
    metrics.deadLettered.inc({ topic: letter.position.topic, reason: letter.code });
    totals.deadLettered++;
  });
  let stopping: Promise<void> | undefined;
  let rejoin: Rejoin | undefined;

  async function eachBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) {
    const { partition } = batch;
    const ctx = { pool, groupId, deadLetters, log: log.child({ partition }) };
    for (let i = 0; i < batch.messages.length; i += config.BATCH_MAX_EVENTS) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + config.BATCH_MAX_EVENTS);
      const records: SourceRecord[] = chunk.map((m) => ({
        position: { topic: batch.topic, partition, offset: m.offset },
        key: m.key ?? null,
        value: m.value ?? null,
        headers: m.headers ?? {},
        timestamp: m.timestamp,
      }));
      metrics.recordsConsumed.inc({ topic: batch.topic }, records.length);
      const result = await ingestScoreBatch(ctx, records);
      totals.results += result.results;
      totals.scoresInserted += result.scoresInserted;
      totals.snippetsInserted += result.snippetsInserted;
      metrics.rowsWritten.inc({ table: 'outcome_scores' }, result.scoresInserted);
      metrics.rowsWritten.inc({ table: 'evidence_snippets' }, result.snippetsInserted);
      resolveOffset(chunk[chunk.length - 1]!.offset);
      if (result.nextOffset !== null) {
        // Postgres holds the truth; Kafka's committed offset follows so lag tools see progress.
        await consumer.commitOffsets([{ topic: batch.topic, partition, offset: result.nextOffset }]);
      }
      await heartbeat();
    }
  }

  /** On assignment, seek to the stored offsets: Kafka's committed offset may lag Postgres after a crash. */
  async function seekToStoredOffsets(assignment: Record<string, number[]>) {
    const stored = await pool.query<{ topic: string; partition: number; next_offset: string }>(
      SQL.readOffsets,
      [groupId],
    );
    for (const row of stored.rows) {
      if (assignment[row.topic]?.includes(row.partition))
        consumer.seek({ topic: row.topic, partition: row.partition, offset: row.next_offset });
    }
  }

  return {
    groupId,
    totals,
    async start() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        if (!(await admin.listTopics()).includes(topic)) {
          throw new Error(`Q2Q_SCORES_TOPIC ${topic} does not exist: run \`buddy-stream topics create\``);
        }
      } finally {
        await admin.disconnect();
      }
      await producer.connect();
      await consumer.connect();
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        seekToStoredOffsets(payload.memberAssignment).catch((error: Error) =>
          log.warn(
            { err: error.message },
            'could not seek to stored offsets; the stored-offset check still applies',
          ),
        );
      });
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        log.error({ err: payload.error.message, restart: payload.restart }, 'score consumer crashed'),
      );
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const runConfig = {
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.PARTITIONS_CONSUMED_CONCURRENTLY,
        eachBatch,
      };
      rejoin = rejoinAfterBrokerLoss(consumer, runConfig, log, 'q2q scores');
      await consumer.run(runConfig);
      log.info({ group: groupId }, 'q2q score ingestion started');
    },
    stop() {
      stopping ??= (async () => {
        rejoin?.cancel();
        await consumer.disconnect();
        await producer.disconnect();
      })();
      return stopping;
    },
    async caughtUp(admin) {
      const stored = await readStoredOffsets(pool, groupId);
      const watermarks = await readWatermarks(admin, [topic]);
      for (const w of watermarks)
        metrics.consumerLag.set({ topic, partition: String(w.partition) }, lagOf(w, stored));
      return !behind(watermarks, stored);
    },
  };
}
