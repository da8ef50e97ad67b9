// Prometheus metrics, registered on a registry passed in (each test gets a fresh one).
import { readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** What the database says at scrape time (ops/state-probe.ts): cheap queries on small indexes. */
export interface StateSnapshot {
  parked: number;
  parkedOldestAgeSeconds: number;
  outboxBacklog: number;
  outboxOldestAgeSeconds: number;
}

export interface Metrics {
  registry: Registry;
  recordsConsumed: Counter<'topic'>;
  eventsProcessed: Counter<'topic' | 'event_type'>;
  eventsDuplicate: Counter<'topic'>;
  eventsParked: Counter<'topic'>;
  eventsUnparked: Counter<'event_type'>;
  deadLettered: Counter<'topic' | 'reason'>;
  batchSize: Histogram<'topic'>;
  batchDuration: Histogram<'topic'>;
  rowsWritten: Counter<'table'>;
  batchRetries: Counter;
  rebalances: Counter;
  parkedEvents: Gauge;
  consumerLag: Gauge<'topic' | 'partition'>;
  assignedPartitions: Gauge;
  copyRows: Counter<'table'>;
  transactionDuration: Histogram<'outcome'>;
  parkedOldestAge: Gauge;
  outboxBacklog: Gauge;
  outboxOldestAge: Gauge;
  /** For the outbox relay: seconds from the outbox row's created_at to the broker's acknowledgement. */
  publishLatency: Histogram<'topic'>;
  /** Sent outbox records deleted past OUTBOX_RETENTION. */
  outboxPruned: Counter;
  buildInfo: Gauge<'version' | 'node'>;
  /** The parked and outbox gauges ask `probe` at each scrape (at most once a second); unset, they keep their value. */
  setStateProbe(probe: (() => Promise<StateSnapshot>) | undefined): void;
}

export function createMetrics(registry = new Registry(), options: { defaults?: boolean } = {}): Metrics {
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'buddy_stream_' });
  const registers = [registry];
  let probe: (() => Promise<StateSnapshot>) | undefined;
  let snapshot: { at: number; value: Promise<StateSnapshot | undefined> } | undefined;
  /** One probe per scrape for the four gauges, which prom-client collects in parallel. */
  const current = () => {
    if (!probe) return Promise.resolve(undefined);
    if (!snapshot || Date.now() - snapshot.at > 1_000) {
      snapshot = { at: Date.now(), value: probe().catch(() => undefined) };
    }
    return snapshot.value;
  };
  const fromState = (name: string, help: string, pick: (s: StateSnapshot) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const state = await current();
        if (state) this.set(pick(state));
      },
    });
  const buildInfo = new Gauge({
    name: 'buddy_stream_build_info',
    help: 'Always 1; the labels say which buddy-stream and Node.js run.',
    labelNames: ['version', 'node'],
    registers,
  });
  buildInfo.set({ version: VERSION, node: process.version }, 1);
  return {
    setStateProbe(fn) {
      probe = fn;
      snapshot = undefined;
    },
    buildInfo,
    assignedPartitions: new Gauge({
      name: 'buddy_stream_assigned_partitions',
      help: 'Partitions this processor holds in the consumer group (0 while idle or between rebalances).',
      registers,
    }),
    copyRows: new Counter({
      name: 'buddy_stream_copy_rows_total',
      help: 'Rows written in bulk, by the table they went into: a staging table (stage_<table>, merged from there) or, for new raw events and insert-only tables, the table itself; streamed with COPY, or sent as one JSON parameter (sets of at most 200 rows).',
      labelNames: ['table'],
      registers,
    }),
    transactionDuration: new Histogram({
      name: 'buddy_stream_transaction_duration_seconds',
      help: 'Postgres transaction of one batch, BEGIN to COMMIT or ROLLBACK.',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    parkedOldestAge: fromState(
      'buddy_stream_parked_oldest_age_seconds',
      'Age of the oldest parked event (0 when none is parked).',
      (s) => s.parkedOldestAgeSeconds,
    ),
    outboxBacklog: fromState(
      'buddy_stream_outbox_backlog_records',
      'Outbox records not yet published (past the relay cursor).',
      (s) => s.outboxBacklog,
    ),
    outboxOldestAge: fromState(
      'buddy_stream_outbox_oldest_unsent_age_seconds',
      'Age of the oldest unpublished outbox record (0 when the backlog is empty).',
      (s) => s.outboxOldestAgeSeconds,
    ),
    publishLatency: new Histogram({
      name: 'buddy_stream_outbox_publish_latency_seconds',
      help: 'From an outbox record being written to the broker acknowledging it.',
      labelNames: ['topic'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    outboxPruned: new Counter({
      name: 'buddy_stream_outbox_pruned_records_total',
      help: 'Published outbox records deleted once older than OUTBOX_RETENTION.',
      registers,
    }),
    registry,
    recordsConsumed: new Counter({
      name: 'buddy_stream_records_consumed_total',
      help: 'Kafka records read from buddy.* topics, valid or not.',
      labelNames: ['topic'],
      registers,
    }),
    eventsProcessed: new Counter({
      name: 'buddy_stream_events_processed_total',
      help: 'Events applied to the projections (first delivery or unparked).',
      labelNames: ['topic', 'event_type'],
      registers,
    }),
    eventsDuplicate: new Counter({
      name: 'buddy_stream_events_duplicate_total',
      help: 'Events dropped because their id was already stored (re-sends and redeliveries).',
      registers,
    }),
    eventsParked: new Counter({
      name: 'buddy_stream_events_parked_total',
      help: 'Events parked because their user or match did not exist yet.',
      registers,
    }),
    eventsUnparked: new Counter({
      name: 'buddy_stream_events_unparked_total',
      help: 'Parked events applied when their reference arrived.',
      registers,
    }),
    deadLettered: new Counter({
      name: 'buddy_stream_dead_lettered_total',
      help: 'Records sent to the dead-letter topic, by reason.',
      labelNames: ['topic', 'reason'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'buddy_stream_batch_records',
      help: 'Records per applied batch.',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 20000],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'buddy_stream_batch_duration_seconds',
      help: 'Time to apply one batch, from decode to commit.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    rowsWritten: new Counter({
      name: 'buddy_stream_rows_written_total',
      help: 'Rows inserted or updated in the projection tables.',
      labelNames: ['table'],
      registers,
    }),
    batchRetries: new Counter({
      name: 'buddy_stream_batch_failures_total',
      help: 'Batches that failed and were retried by the consumer.',
      registers,
    }),
    rebalances: new Counter({
      name: 'buddy_stream_rebalances_total',
      help: 'Consumer group joins (each rebalance assigns partitions anew).',
      registers,
    }),
    parkedEvents: fromState(
      'buddy_stream_parked_events',
      'Events waiting in parked_events for their reference.',
      (s) => s.parked,
    ),
    consumerLag: new Gauge({
      name: 'buddy_stream_consumer_lag_records',
      help: 'High watermark minus the stored next offset, per topic-partition.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
  };
}
