// `buddy-stream run`: the processor, its health and metrics server, and a graceful, bounded shutdown.
import type { Config } from '../config.ts';
import { createKafka } from '../kafka/client.ts';
import { OUTPUT_TOPICS, assertOutputsOutsidePattern } from '../kafka/topics.ts';
import { startHealthServer } from '../ops/health-server.ts';
import type { Logger } from '../ops/logger.ts';
import { createMetrics } from '../ops/metrics.ts';
import { createProcessor, type ProcessorTotals } from '../processor.ts';

export interface RunOptions {
  untilCaughtUp?: boolean;
  /** Print the summary on stdout when the run ends. */
  summary?: boolean;
}

export async function runCommand(config: Config, logger: Logger, options: RunOptions = {}): Promise<number> {
  assertOutputsOutsidePattern(config.TOPIC_PATTERN, [config.DLQ_TOPIC, ...Object.values(OUTPUT_TOPICS)]);
  const metrics = createMetrics();
  const kafka = createKafka(config, logger);
  const processor = createProcessor({ config, kafka, logger, metrics });
  let started = false;
  const health = await startHealthServer(config.METRICS_PORT, metrics.registry, () => started);
  const stopping = new AbortController();
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'stopping');
    stopping.abort();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  let exitCode = 0;
  try {
    await processor.start();
    started = true;
    logger.info({ group: config.KAFKA_GROUP_ID, metricsPort: health.port }, 'processor started');
    if (options.untilCaughtUp) {
      await processor.waitUntilCaughtUp({ signal: stopping.signal }).catch((error: unknown) => {
        if (!stopping.signal.aborted) throw error;
      });
    } else {
      await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve()));
    }
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'processor failed');
    exitCode = 1;
  } finally {
    exitCode = (await stopWithin(processor.stop(), config.SHUTDOWN_TIMEOUT, logger)) ? exitCode : 1;
    await health.close();
  }
  if (options.summary) process.stdout.write(formatSummary(processor.totals));
  return exitCode;
}

async function stopWithin(stopping: Promise<void>, timeoutMs: number, logger: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ok = await Promise.race([stopping.then(() => true as const), timeout]).catch((error: Error) => {
    logger.error({ err: error.message }, 'shutdown failed');
    return false;
  });
  clearTimeout(timer);
  if (!ok) logger.error({ timeoutMs }, 'shutdown did not finish in time; open transactions roll back');
  return ok;
}

export function formatSummary(t: ProcessorTotals): string {
  const lines = [
    `records consumed:   ${t.records}`,
    `events applied:     ${t.applied}${t.unparked ? ` (${t.unparked} after being parked)` : ''}`,
    `duplicates dropped: ${t.duplicates + t.duplicatesInBatch}`,
    `parked:             ${t.parked}`,
    `dead-lettered:      ${t.deadLettered}${formatCounts(t.deadLetteredByReason)}`,
    'events by type:',
    ...Object.entries(t.appliedByType)
      .sort()
      .map(([type, n]) => `  ${type.padEnd(30)} ${n}`),
  ];
  return `${lines.join('\n')}\n`;
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? ` (${entries.map(([k, n]) => `${k} ${n}`).join(', ')})` : '';
}
