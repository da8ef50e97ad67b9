// End-to-end latency under a steady rate: produce time (the record's timestamp, set when the producer
// sends it) to the commit of the batch that applied it, measured by the in-process processor. The
// producer runs in its own process (bench/steady-producer.ts), as upstream services do: in this process
// it would take its share of the processor's event loop.
import { spawn } from 'node:child_process';
import { loadConfig } from '../src/config.ts';
import { createKafka } from '../src/kafka/client.ts';
import { createMetrics } from '../src/ops/metrics.ts';
import { createProcessor } from '../src/processor.ts';
import { log, percentile, type BenchStream } from './support.ts';

export async function measureLatency(
  stream: BenchStream,
  options: { ratePerSecond: number; seconds: number },
): Promise<{ p50: number; p99: number; samples: number; batches: number; timeline: Second[] }> {
  // The shipped defaults (BATCH_MAX_EVENTS included): a batch holds what arrived while the one before ran.
  const config = loadConfig({ ...process.env, ...stream.env });
  const latencies: number[] = [];
  let batches = 0;
  const timeline: Second[] = [];
  let clockStart = 0;
  const processor = createProcessor({
    config,
    kafka: createKafka(config, log),
    logger: log,
    metrics: createMetrics(undefined, { defaults: false }),
    onBatchCommitted: (records, committedAt) => {
      batches++;
      let worst = 0;
      for (const r of records) {
        const latency = committedAt - Number(r.timestamp);
        latencies.push(latency);
        worst = Math.max(worst, latency);
      }
      if (clockStart === 0) return;
      const at = Math.floor((committedAt - clockStart) / 1000);
      while (timeline.length <= at)
        timeline.push({ second: timeline.length, batches: 0, records: 0, worstMs: 0 });
      const second = timeline[at]!;
      second.batches++;
      second.records += records.length;
      second.worstMs = Math.max(second.worstMs, worst);
    },
  });
  await processor.start();
  // Let the group settle before the clock starts.
  await new Promise((r) => setTimeout(r, 3_000));
  clockStart = Date.now();
  const producer = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./steady-producer.ts', import.meta.url).pathname],
    {
      env: {
        ...process.env,
        ...stream.env,
        RATE: String(options.ratePerSecond),
        SECONDS: String(options.seconds),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const code = await new Promise<number | null>((resolve) => producer.on('close', resolve));
  if (code !== 0) throw new Error(`the steady producer exited ${code}`);
  await processor.waitUntilCaughtUp();
  await processor.stop();
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    samples: latencies.length,
    batches,
    timeline,
  };
}

/** One second of the run (from the producer's start): the batches committed in it, their records, the worst latency. */
export interface Second {
  second: number;
  batches: number;
  records: number;
  worstMs: number;
}
