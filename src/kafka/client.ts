// kafkajs client setup: brokers and client id from config, kafkajs' own logs routed into ours.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, Partitioners, logLevel, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import type { Config } from '../config.ts';
import type { Logger } from '../ops/logger.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export type KafkaSettings = Pick<
  Config,
  | 'KAFKA_BROKERS'
  | 'KAFKA_CLIENT_ID'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CA_FILE'
  | 'KAFKA_SSL_CERT_FILE'
  | 'KAFKA_SSL_KEY_FILE'
>;

/** TLS and SASL options for kafkajs from the settings (the files are read here, once). */
export function kafkaSecurity(config: Omit<KafkaSettings, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>): {
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
} {
  const read = (file: string) => (file === '' ? undefined : readFileSync(file, 'utf8'));
  const tls: ConnectionOptions = {
    ca: read(config.KAFKA_SSL_CA_FILE),
    cert: read(config.KAFKA_SSL_CERT_FILE),
    key: read(config.KAFKA_SSL_KEY_FILE),
  };
  const ssl = Object.values(tls).some((v) => v !== undefined)
    ? Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined))
    : true;
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username } = config;
  const password = config.KAFKA_SASL_PASSWORD;
  return {
    ...(config.KAFKA_SSL ? { ssl } : {}),
    ...(mechanism === '' ? {} : { sasl: { mechanism, username, password } as SASLOptions }),
  };
}

/**
 * How long a kafkajs fetch may wait on the broker for new records (kafkajs' maxWaitTimeInMs, 5 s by
 * default). A stop waits for the fetch in flight, so this bounds how long a consumer of a quiet topic
 * (Q2Q scores, erasure requests, the input once caught up, the DLQ tools once read) takes to stop; records that arrive
 * still return at once. An idle consumer sends one fetch a second instead of one every five.
 */
export const FETCH_MAX_WAIT_MS = 1_000;

export function createKafka(config: KafkaSettings, logger: Logger, clientIdSuffix = ''): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: config.KAFKA_CLIENT_ID + clientIdSuffix,
    brokers: config.KAFKA_BROKERS,
    ...kafkaSecurity(config),
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

/**
 * A producer for publishing Buddy events as an upstream producer would (the demo, generate, import,
 * tests and benchmarks): not idempotent, because kafkajs' idempotent producer can fail a first send to a
 * topic created a moment ago ("out of order sequence number") and give up. A retried send may write a
 * record twice; the processor drops the copy by its event id, exactly as it does for upstream re-sends.
 */
export function createUpstreamProducer(kafka: Kafka): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 10, initialRetryTime: 300 },
  });
}
