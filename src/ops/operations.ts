// What `run` adds around the processor for the people who operate it: readiness from the consumer's
// group membership and a Postgres ping, consumer lag, and the database-state gauges.
import type { Kafka } from 'kafkajs';
import type { Config } from '../config.ts';
import type { Processor } from '../processor.ts';
import { trackConsumer } from './consumer-state.ts';
import type { Readiness } from './health-server.ts';
import { createLagMonitor } from './lag-monitor.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { createStateProbe } from './state-probe.ts';

export interface Operations {
  /** Ready: a member of the consumer group (holding partitions, or idle with none) and Postgres answers. */
  ready(): Promise<Readiness>;
  /** After processor.start(): starts the lag monitor. */
  start(): Promise<void>;
  /** Readiness goes false at once (SIGTERM), before the processor drains. */
  markStopping(): void;
  stop(): Promise<void>;
  /** The consumer crashed and kafkajs will not restart it. */
  onFatal(listener: (error: Error) => void): void;
}

export interface OperationsDeps {
  processor: Processor;
  kafka: Kafka;
  config: Pick<Config, 'KAFKA_GROUP_ID' | 'LAG_POLL_INTERVAL'>;
  metrics: Metrics;
  logger: Logger;
  /** Bound on the Postgres ping of /readyz. */
  pingTimeoutMs?: number;
}

export function attachOperations(deps: OperationsDeps): Operations {
  const { processor, kafka, config, metrics, logger } = deps;
  const log = logger.child({ component: 'operations' });
  const tracker = trackConsumer(processor.consumer, metrics, log);
  const lag = createLagMonitor({
    kafka,
    pool: processor.pool,
    groupId: config.KAFKA_GROUP_ID,
    metrics,
    assignment: () => tracker.state().assignment,
    intervalMs: config.LAG_POLL_INTERVAL,
    log,
  });
  metrics.setStateProbe(createStateProbe(processor.pool));
  let stopping = false;

  async function pingPostgres(timeoutMs: number): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`Postgres did not answer within ${timeoutMs} ms`), timeoutMs);
    });
    const ping = processor.pool.query('SELECT 1').then(
      () => undefined,
      (error: Error) => `Postgres does not answer: ${error.message}`,
    );
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async ready() {
      if (stopping) return { ok: false, detail: 'stopping' };
      const state = tracker.state();
      if (!state.member) return { ok: false, detail: state.reason };
      const problem = await pingPostgres(deps.pingTimeoutMs ?? 2_000);
      if (problem) return { ok: false, detail: problem };
      const partitions = Object.values(state.assignment).reduce((n, ps) => n + ps.length, 0);
      return {
        ok: true,
        detail: partitions > 0 ? `consuming ${partitions} partitions` : 'idle in the consumer group',
      };
    },
    start: () => lag.start(),
    markStopping() {
      stopping = true;
    },
    async stop() {
      stopping = true;
      metrics.setStateProbe(undefined);
      await lag.stop();
    },
    onFatal: (listener) => tracker.onFatal(listener),
  };
}
