// Consumer lag per assigned topic-partition: the high watermark minus the next offset stored in Postgres
// (the truth about progress, see pipeline/commit.ts). Each replica reports only the partitions it holds,
// so `sum by (topic)` over replicas is the group's lag, as the usual Kafka lag exporters report it.
import type { Admin, Kafka } from 'kafkajs';
import type pg from 'pg';
import { lagOf, partitionKey, readStoredOffsets, readWatermarks } from '../kafka/watermarks.ts';
import type { Assignment } from './consumer-state.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface LagMonitorDeps {
  kafka: Kafka;
  pool: pg.Pool;
  groupId: string;
  metrics: Metrics;
  assignment: () => Assignment;
  intervalMs: number;
  log: Logger;
}

export interface LagMonitor {
  /** Polls now (without waiting for it: start-up is not delayed) and then every intervalMs. */
  start(): Promise<void>;
  /** One poll: sets the gauge for every assigned partition, drops the others. */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

export function createLagMonitor(deps: LagMonitorDeps): LagMonitor {
  const { kafka, pool, groupId, metrics, assignment, intervalMs, log } = deps;
  let admin: Admin | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;

  async function measure(): Promise<Map<string, number>> {
    const assigned = assignment();
    const lag = new Map<string, number>();
    if (Object.keys(assigned).length === 0) return lag;
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    const stored = await readStoredOffsets(pool, groupId);
    for (const w of await readWatermarks(admin, Object.keys(assigned))) {
      if (assigned[w.topic]!.includes(w.partition))
        lag.set(partitionKey(w.topic, w.partition), lagOf(w, stored));
    }
    return lag;
  }

  async function poll() {
    polling ??= measure()
      .then((lag) => {
        // Replaced whole, synchronously: a scrape never sees a half-updated set.
        metrics.consumerLag.reset();
        for (const [key, value] of lag) {
          const [topic = '', partition = ''] = key.split('\0');
          metrics.consumerLag.set({ topic, partition }, value);
        }
      })
      .catch((error: Error) =>
        log.warn({ err: error.message }, 'measuring consumer lag failed; next poll retries'),
      )
      .finally(() => {
        polling = undefined;
      });
    return polling;
  }

  return {
    async start() {
      void poll();
      timer = setInterval(() => void poll(), intervalMs);
      timer.unref();
    },
    poll,
    async stop() {
      if (timer) clearInterval(timer);
      await polling;
      await admin?.disconnect();
      admin = undefined;
    },
  };
}
