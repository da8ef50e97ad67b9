// End-to-end latency under a steady rate: produce time (the record's timestamp, set when the producer
// sends it) to the commit of the batch that applied it, measured by the in-process processor.
import { loadConfig } from '../src/config.ts';
import { createIdempotentProducer, createKafka } from '../src/kafka/client.ts';
import { createMetrics } from '../src/ops/metrics.ts';
import { createProcessor } from '../src/processor.ts';
import { iterateProgramme } from '../src/synthetic/generate.ts';
import { log, percentile, type BenchStream } from './support.ts';

export async function measureLatency(
  stream: BenchStream,
  options: { ratePerSecond: number; seconds: number },
): Promise<{ p50: number; p99: number; samples: number }> {
  const config = loadConfig({ ...process.env, ...stream.env, BATCH_MAX_EVENTS: '2000' });
  const latencies: number[] = [];
  const processor = createProcessor({
    config,
    kafka: createKafka(config, log),
    logger: log,
    metrics: createMetrics(undefined, { defaults: false }),
    onBatchCommitted: (records, committedAt) => {
      for (const r of records) latencies.push(committedAt - Number(r.timestamp));
    },
  });
  await processor.start();
  const producer = createIdempotentProducer(createKafka(config, log));
  await producer.connect();
  // A programme much larger than needed; only the first rate x seconds records are sent.
  const records = iterateProgramme({
    seed: 99,
    targetEvents: options.ratePerSecond * options.seconds * 2,
    duplicateRate: 0,
  });
  const tickMs = 100;
  const perTick = Math.round((options.ratePerSecond * tickMs) / 1000);
  const started = performance.now();
  // Let the group settle before the clock starts.
  await new Promise((r) => setTimeout(r, 3_000));
  for (let tick = 0; tick < (options.seconds * 1000) / tickMs; tick++) {
    const batch = [];
    for (let i = 0; i < perTick; i++) {
      const next = records.next();
      if (next.done) break;
      batch.push({
        topic: config.TOPIC_PREFIX + next.value.record.topic,
        key: next.value.record.key,
        value: next.value.record.value,
      });
    }
    const byTopic = new Map<string, { key: string | null; value: Buffer }[]>();
    for (const r of batch)
      byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), { key: r.key, value: r.value }]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    const next = started + 3_000 + (tick + 1) * tickMs;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await processor.waitUntilCaughtUp();
  await producer.disconnect();
  await processor.stop();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length };
}
