// Erasure requests from `privacy.erasure.requested` ({userId | buddyUserId | email, requestedAt,
// requestId}), in their own consumer group, erased one by one. Erasure is idempotent, so the records are
// consumed at least once; an invalid request is dead-lettered with the reason, never dropped.
import type { Consumer, ConsumerRunConfig, Kafka, Producer } from 'kafkajs';
import type pg from 'pg';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { describeIssues, isoDateTime, uuid } from '../contracts/index.ts';
import { createIdempotentProducer, FETCH_MAX_WAIT_MS } from '../kafka/client.ts';
import { createDeadLetterSink } from '../kafka/dead-letter-producer.ts';
import { rejoinAfterBrokerLoss, type Rejoin } from '../kafka/rejoin.ts';
import type { Logger } from '../ops/logger.ts';
import { findSubject } from '../ops-tools/subject.ts';
import { eraseSubject } from './erase.ts';

export const erasureRequestSchema = z
  .object({
    userId: uuid.optional(),
    buddyUserId: uuid.optional(),
    email: z.email().optional(),
    requestedAt: isoDateTime,
    requestId: z.string().min(1).max(255),
  })
  .refine((r) => r.userId ?? r.buddyUserId ?? r.email, {
    message: 'one of userId, buddyUserId or email is required',
  });

export interface ErasureConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Requests handled so far (erased, or naming nobody). */
  handled: number;
}

export function erasureGroupId(config: Pick<Config, 'KAFKA_GROUP_ID'>): string {
  return `${config.KAFKA_GROUP_ID}.privacy-erasure`;
}

export function createErasureConsumer(deps: {
  config: Config;
  kafka: Kafka;
  logger: Logger;
  pool: pg.Pool;
}): ErasureConsumer {
  const { config, kafka, pool } = deps;
  const log = deps.logger.child({ component: 'privacy-erasure', topic: config.ERASURE_TOPIC });
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let rejoin: Rejoin | undefined;
  const state = { handled: 0 };

  async function handle(
    value: Buffer | null,
    position: { topic: string; partition: number; offset: string },
    key: Buffer | null,
  ) {
    const letter = (code: 'not_json' | 'schema_violation', reason: string) =>
      createDeadLetterSink(producer!, config.DLQ_TOPIC).publish([
        { position, key, value, code, stage: 'validate', reason },
      ]);
    let json: unknown;
    try {
      json = JSON.parse(value?.toString('utf8') ?? '');
    } catch {
      return letter('not_json', 'erasure request is not valid JSON');
    }
    const parsed = erasureRequestSchema.safeParse(json);
    if (!parsed.success)
      return letter('schema_violation', `erasure request: ${describeIssues(parsed.error.issues, json)}`);
    const request = parsed.data;
    const who = request.userId ?? request.buddyUserId ?? request.email!;
    const subject = await findSubject(pool, who);
    if (!subject) {
      log.info({ requestId: request.requestId }, 'erasure request names nobody in this database');
      return;
    }
    const result = await eraseSubject(pool, subject, { log });
    log.info(
      { requestId: request.requestId, tombstoneId: result.tombstoneId, alreadyErased: result.alreadyErased },
      'erasure request done',
    );
  }

  return {
    get handled() {
      return state.handled;
    },
    async start() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        if (!(await admin.listTopics()).includes(config.ERASURE_TOPIC)) {
          log.warn(
            'the erasure topic does not exist: erasure requests are not consumed (run `buddy-stream topics create`)',
          );
          return;
        }
      } finally {
        await admin.disconnect();
      }
      producer = createIdempotentProducer(kafka);
      await producer.connect();
      consumer = kafka.consumer({
        groupId: erasureGroupId(config),
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [config.ERASURE_TOPIC], fromBeginning: true });
      const runConfig: ConsumerRunConfig = {
        // A failure (Postgres away) throws: the record is not committed and comes again.
        eachMessage: async ({ topic, partition, message }) => {
          await handle(message.value, { topic, partition, offset: message.offset }, message.key);
          state.handled++;
        },
      };
      rejoin = rejoinAfterBrokerLoss(consumer, runConfig, log, 'erasure requests');
      await consumer.run(runConfig);
      log.info({ group: erasureGroupId(config) }, 'erasure requests consumed');
    },
    async stop() {
      rejoin?.cancel();
      await consumer?.disconnect();
      await producer?.disconnect();
    },
  };
}
