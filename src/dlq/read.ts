// Reads the dead-letter topic from its start to the high watermarks it has when the read begins, with a
// throwaway consumer group (deleted afterwards). Records go to a callback one by one: bounded memory.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { FETCH_MAX_WAIT_MS } from '../kafka/client.ts';
import { DLQ_HEADERS } from '../pipeline/dead-letter.ts';

export interface DeadLetterRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Broker timestamp (ms) of the dead letter. */
  timestamp: string;
}

/** What a dead letter says about itself, from Kafka Connect's `__connect.errors.*` headers. */
export interface DeadLetterInfo {
  topic: string | undefined;
  partition: string | undefined;
  offset: string | undefined;
  /** The reject code: `schema_violation`, `park_timeout`, ... (the class name without its prefix). */
  reason: string;
  stage: string | undefined;
  message: string | undefined;
  failedAt: string | undefined;
}

export function describeDeadLetter(record: DeadLetterRecord): DeadLetterInfo {
  const h = record.headers;
  const className = h[DLQ_HEADERS.className] ?? 'unknown';
  return {
    topic: h[DLQ_HEADERS.topic],
    partition: h[DLQ_HEADERS.partition],
    offset: h[DLQ_HEADERS.offset],
    reason: className.replace(/^buddy-stream\./, ''),
    stage: h[DLQ_HEADERS.stage],
    message: h[DLQ_HEADERS.message],
    failedAt: h[DLQ_HEADERS.failedAt],
  };
}

export interface ScanOptions {
  /** Told the records read so far and the total to read. */
  onProgress?: (read: number, total: number) => void;
  /** Only these partitions (default: all). */
  partitions?: number[];
  timeoutMs?: number;
}

/** Calls `onRecord` for every record of `topic` below the current high watermarks, in partition order. */
export async function scanTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (record: DeadLetterRecord) => void | Promise<void>,
  options: ScanOptions = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `buddy-stream-dlq-tool-${randomBytes(4).toString('hex')}`;
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist`);
    const ends = new Map<number, bigint>();
    const starts = new Map<number, bigint>();
    for (const p of await admin.fetchTopicOffsets(topic)) {
      if (options.partitions && !options.partitions.includes(p.partition)) continue;
      if (BigInt(p.high) > BigInt(p.low)) {
        ends.set(p.partition, BigInt(p.high));
        starts.set(p.partition, BigInt(p.low));
      }
    }
    const total = [...ends].reduce((n, [p, high]) => n + Number(high - starts.get(p)!), 0);
    if (total === 0) return 0;
    let read = 0;
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const done = new Promise<void>((resolve, reject) => {
        const pending = new Set(ends.keys());
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const end = ends.get(partition);
              if (end === undefined || BigInt(message.offset) >= end) return;
              await onRecord({
                partition,
                offset: message.offset,
                key: message.key,
                value: message.value,
                timestamp: message.timestamp,
                headers: Object.fromEntries(
                  Object.entries(message.headers ?? {}).map(([k, v]) => [
                    k,
                    String(Array.isArray(v) ? v[0] : v),
                  ]),
                ),
              });
              options.onProgress?.(++read, total);
              if (BigInt(message.offset) + 1n >= end) {
                pending.delete(partition);
                if (pending.size === 0) resolve();
              }
            },
          })
          .catch(reject);
      });
      const timeoutMs = options.timeoutMs ?? 120_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`read only ${read} of ${total} records of ${topic} in ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
      return read;
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
