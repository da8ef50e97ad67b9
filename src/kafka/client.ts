// kafkajs client setup: brokers and client id from config, kafkajs' own logs routed into ours.
import { Kafka, Partitioners, logLevel, type LogEntry, type Producer } from 'kafkajs';
import type { Config } from '../config.ts';
import type { Logger } from '../ops/logger.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  logger: Logger,
  clientIdSuffix = '',
): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: config.KAFKA_CLIENT_ID + clientIdSuffix,
    brokers: config.KAFKA_BROKERS,
    // kafkajs logs INFO on every join and leave; ours decides what is shown.
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        // kafkajs never puts record values in its log entries; drop its own timestamp, ours is enough.
        delete (rest as Record<string, unknown>).timestamp;
        log[LEVELS[level] ?? 'info']({ ...rest, namespace: rest.logger }, message);
      },
    retry: { initialRetryTime: 300, retries: 8 },
  });
}

/**
 * The producer for everything buddy-stream publishes: idempotent (no duplicates from its own retries),
 * acks from all in-sync replicas, and retrying until the broker answers: a dead letter or an outbox
 * record is never given up on; shutdown is bounded by the caller's watchdog instead.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
}
