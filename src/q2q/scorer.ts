// The baseline scorer service: reads Q2Q_TEXT_TOPIC, scores each text with the keyword rules and
// publishes the result to Q2Q_SCORES_TOPIC (key: textId). At least once: Kafka offsets are committed
// after the broker acknowledged the results; a redelivered text gives the same result, which the
// ingestion dedupes. Invalid text records are dead-lettered to DLQ_TOPIC with the reason.
import type { Admin, Consumer, EachBatchPayload, Kafka, Message } from 'kafkajs';
import type { Config } from '../config.ts';
import { describeIssues } from '../contracts/index.ts';
import { createIdempotentProducer, FETCH_MAX_WAIT_MS } from '../kafka/client.ts';
import { createDeadLetterSink } from '../kafka/dead-letter-producer.ts';
import { rejoinAfterBrokerLoss, type Rejoin } from '../kafka/rejoin.ts';
import type { Logger } from '../ops/logger.ts';
import type { DeadLetter } from '../pipeline/dead-letter.ts';
import { baselineResult } from './baseline-rules.ts';
import { textRequestedSchema } from './contract.ts';

export interface BaselineScorer {
  readonly groupId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True when the group's committed offsets reach the high watermark of every partition. */
  caughtUp(admin: Admin): Promise<boolean>;
  totals: { texts: number; scored: number; deadLettered: number };
}

export function scorerGroupId(config: Pick<Config, 'KAFKA_GROUP_ID'>): string {
  return `${config.KAFKA_GROUP_ID}.q2q-scorer`;
}

type Scored = { ok: true; message: Message } | { ok: false; letter: DeadLetter };

/** One q2q.text.requested record -> its result message, or its dead letter. Pure. */
export function scoreRecord(record: {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}): Scored {
  const { topic, partition, offset, key, value } = record;
  const reject = (code: DeadLetter['code'], stage: DeadLetter['stage'], reason: string): Scored => ({
    ok: false,
    letter: { position: { topic, partition, offset }, key, value, code, stage, reason },
  });
  if (value === null || value.length === 0) return reject('empty', 'decode', 'record has no value');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return reject('not_json', 'decode', 'value is not valid JSON');
  }
  const parsed = textRequestedSchema.safeParse(json);
  if (!parsed.success) {
    return reject(
      'schema_violation',
      'validate',
      `q2q.text.requested: ${describeIssues(parsed.error.issues, json)}`,
    );
  }
  const result = baselineResult(parsed.data);
  return { ok: true, message: { key: result.textId, value: JSON.stringify(result) } };
}

export function createBaselineScorer({
  config,
  kafka,
  logger,
}: {
  config: Config;
  kafka: Kafka;
  logger: Logger;
}): BaselineScorer {
  const groupId = scorerGroupId(config);
  const topic = config.Q2Q_TEXT_TOPIC;
  const log = logger.child({ component: 'q2q-scorer', topic });
  const consumer: Consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT,
    heartbeatInterval: Math.max(500, Math.floor(config.KAFKA_SESSION_TIMEOUT / 10)),
    allowAutoTopicCreation: false,
    retry: { retries: 10 },
  });
  const producer = createIdempotentProducer(kafka);
  const totals = { texts: 0, scored: 0, deadLettered: 0 };
  const deadLetters = createDeadLetterSink(producer, config.DLQ_TOPIC, () => totals.deadLettered++);
  let stopping: Promise<void> | undefined;
  let rejoin: Rejoin | undefined;

  async function eachBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) {
    const { partition } = batch;
    for (let i = 0; i < batch.messages.length; i += config.BATCH_MAX_EVENTS) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + config.BATCH_MAX_EVENTS);
      const scored = chunk.map((m) =>
        scoreRecord({ topic: batch.topic, partition, offset: m.offset, key: m.key, value: m.value }),
      );
      const messages = scored.flatMap((s) => (s.ok ? [s.message] : []));
      if (messages.length > 0) await producer.send({ topic: config.Q2Q_SCORES_TOPIC, acks: -1, messages });
      await deadLetters.publish(scored.flatMap((s) => (s.ok ? [] : [s.letter])));
      totals.texts += chunk.length;
      totals.scored += messages.length;
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await consumer.commitOffsets([
        { topic: batch.topic, partition, offset: (BigInt(last) + 1n).toString() },
      ]);
      await heartbeat();
    }
  }

  return {
    groupId,
    totals,
    async start() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        for (const [name, t] of [
          ['Q2Q_TEXT_TOPIC', topic],
          ['Q2Q_SCORES_TOPIC', config.Q2Q_SCORES_TOPIC],
        ]) {
          if (!existing.has(t!))
            throw new Error(`${name} ${t} does not exist: run \`buddy-stream topics create\``);
        }
      } finally {
        await admin.disconnect();
      }
      await producer.connect();
      await consumer.connect();
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        log.error({ err: payload.error.message, restart: payload.restart }, 'scorer consumer crashed'),
      );
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const runConfig = { autoCommit: false, eachBatchAutoResolve: false, eachBatch };
      rejoin = rejoinAfterBrokerLoss(consumer, runConfig, log, 'q2q scorer');
      await consumer.run(runConfig);
      log.info({ group: groupId }, 'baseline scorer started');
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
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const stored = at.get(p.partition) ?? -1n;
        const position = stored >= 0n ? stored : BigInt(p.low);
        if (BigInt(p.high) > position) return false;
      }
      return true;
    },
  };
}
