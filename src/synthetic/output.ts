// Where a generated programme goes: an NDJSON file of {topic, key, value} (value as UTF-8 text, or
// base64 with "encoding": "base64" for the few binary invalid records), or Kafka (topics after
// TOPIC_PREFIX), in publish order, one week of records in memory at a time.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Producer } from 'kafkajs';
import {
  iterateProgramme,
  type ProgrammeOptions,
  type SyntheticRecord,
  type SyntheticStats,
} from './generate.ts';

export interface RecordSink {
  write(record: SyntheticRecord): Promise<void>;
  close(): Promise<void>;
}

/** One NDJSON line of a record. */
export function ndjsonLine(record: SyntheticRecord): string {
  const text = record.value.toString('utf8');
  const binary = !Buffer.from(text, 'utf8').equals(record.value) || text.includes('\u0000');
  const line = binary
    ? { topic: record.topic, key: record.key, value: record.value.toString('base64'), encoding: 'base64' }
    : { topic: record.topic, key: record.key, value: text };
  return `${JSON.stringify(line)}\n`;
}

/** Writes NDJSON to `path` ('-' is stdout), honouring backpressure. */
export function ndjsonSink(path: string): RecordSink {
  const stream = path === '-' ? process.stdout : createWriteStream(path);
  return {
    async write(record) {
      if (!stream.write(ndjsonLine(record))) await once(stream, 'drain');
    },
    async close() {
      if (stream === process.stdout) return;
      await new Promise<void>((resolve, reject) =>
        stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** Publishes in batches of 1,000 records, acknowledged by all in-sync replicas. */
export function kafkaSink(producer: Producer, topicPrefix: string): RecordSink {
  let chunk: SyntheticRecord[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const byTopic = new Map<string, { key: string | null; value: Buffer }[]>();
    for (const r of chunk) {
      const topic = topicPrefix + r.topic;
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { key: r.key, value: r.value }]);
    }
    chunk = [];
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  };
  return {
    async write(record) {
      chunk.push(record);
      if (chunk.length >= 1_000) await flush();
    },
    close: flush,
  };
}

/** Generates a programme straight into Kafka (through `kafkaSink`); returns the generator's stats. */
export async function publishProgramme(
  producer: Producer,
  topicPrefix: string,
  options: ProgrammeOptions,
): Promise<SyntheticStats> {
  const sink = kafkaSink(producer, topicPrefix);
  const programme = iterateProgramme(options);
  for (;;) {
    const next = programme.next();
    if (next.done) {
      await sink.close();
      return next.value;
    }
    await sink.write(next.value.record);
  }
}
