// `buddy-stream q2q score [--until-caught-up]`: the baseline scorer (src/q2q/scorer.ts) until caught up
// or until SIGTERM/SIGINT, with a bounded shutdown.
import type { Config } from '../config.ts';
import { createKafka } from '../kafka/client.ts';
import type { Logger } from '../ops/logger.ts';
import { createBaselineScorer } from '../q2q/scorer.ts';

export async function q2qScoreCommand(
  config: Config,
  logger: Logger,
  options: { untilCaughtUp?: boolean; pollMs?: number } = {},
): Promise<number> {
  const kafka = createKafka(config, logger, '-q2q-scorer');
  const scorer = createBaselineScorer({ config, kafka, logger });
  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const admin = kafka.admin();
  let exitCode = 0;
  try {
    await admin.connect();
    await scorer.start();
    if (options.untilCaughtUp) {
      while (!stopping.signal.aborted && !(await scorer.caughtUp(admin))) {
        await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
      }
    } else {
      await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve()));
    }
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'q2q scorer failed');
    exitCode = 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await withTimeout(scorer.stop(), config.SHUTDOWN_TIMEOUT).catch((error: Error) => {
      logger.error({ err: error.message }, 'q2q scorer did not stop cleanly');
      exitCode = 1;
    });
    await admin.disconnect();
  }
  const t = scorer.totals;
  process.stdout.write(
    `q2q score: ${t.texts} texts read, ${t.scored} scored (${config.Q2Q_SCORES_TOPIC}), ${t.deadLettered} dead-lettered\n`,
  );
  return exitCode;
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`shutdown took over ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
