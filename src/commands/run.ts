// `buddy-stream run`: the processor, its health and metrics server, and a graceful, bounded shutdown.
import type { Config } from '../config.ts';
import { createKafka } from '../kafka/client.ts';
import { assertOutputsOutsidePattern, outputTopics } from '../kafka/topics.ts';
import { startHealthServer } from '../ops/health-server.ts';
import type { Logger } from '../ops/logger.ts';
import { createMetrics } from '../ops/metrics.ts';
import { attachOperations } from '../ops/operations.ts';
import { createProcessor, type ProcessorTotals } from '../processor.ts';
import { createErasureConsumer } from '../gdpr/erasure-consumer.ts';

export interface RunOptions {
  untilCaughtUp?: boolean;
  /** Print the summary on stdout when the run ends. */
  summary?: boolean;
}

export async function runCommand(config: Config, logger: Logger, options: RunOptions = {}): Promise<number> {
  assertOutputsOutsidePattern(config.TOPIC_PATTERN, outputTopics(config));
  const metrics = createMetrics();
  const kafka = createKafka(config, logger);
  const processor = createProcessor({ config, kafka, logger, metrics });
  const ops = attachOperations({ processor, kafka, config, metrics, logger });
  // GDPR erasure requests (privacy.erasure.requested), on the processor's pool.
  const erasure = createErasureConsumer({ config, kafka, logger, pool: processor.pool });
  const health = await startHealthServer(config.METRICS_PORT, metrics.registry, () => ops.ready());
  const stopping = new AbortController();
  let exitCode = 0;
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'stopping');
    ops.markStopping();
    stopping.abort();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  // kafkajs gave up on the consumer: exit non-zero so the orchestrator restarts the pod.
  ops.onFatal(() => {
    exitCode = 1;
    ops.markStopping();
    stopping.abort();
  });

  try {
    await processor.start();
    await erasure.start();
    await ops.start();
    logger.info({ group: config.KAFKA_GROUP_ID, metricsPort: health.port }, 'processor started');
    if (options.untilCaughtUp) {
      await processor.waitUntilCaughtUp({ signal: stopping.signal }).catch((error: unknown) => {
        if (!stopping.signal.aborted) throw error;
      });
    } else {
      // A signal during start aborted already: 'abort' will not fire again.
      await new Promise<void>((resolve) => {
        if (stopping.signal.aborted) resolve();
        else stopping.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'processor failed');
    exitCode = 1;
  } finally {
    const stopped = stopWithin(
      ops
        .stop()
        .catch((error: Error) => logger.warn({ err: error.message }, 'stopping the lag monitor failed'))
        .then(() => processor.stop(erasure.stop())),
      config.SHUTDOWN_TIMEOUT,
      logger,
    );
    exitCode = (await stopped) ? exitCode : 1;
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
