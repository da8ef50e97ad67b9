// Prometheus metrics, registered on a registry passed in (each test gets a fresh one).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
}

export function createMetrics(registry = new Registry(), options: { defaults?: boolean } = {}): Metrics {
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'buddy_stream_' });
  const registers = [registry];
  return {
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
      labelNames: ['topic'],
      registers,
    }),
    eventsParked: new Counter({
      name: 'buddy_stream_events_parked_total',
      help: 'Events parked because their user or match did not exist yet.',
      labelNames: ['topic'],
      registers,
    }),
    eventsUnparked: new Counter({
      name: 'buddy_stream_events_unparked_total',
      help: 'Parked events applied when their reference arrived.',
      labelNames: ['event_type'],
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
      labelNames: ['topic'],
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'buddy_stream_batch_duration_seconds',
      help: 'Time to apply one batch, from decode to commit.',
      labelNames: ['topic'],
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
    parkedEvents: new Gauge({
      name: 'buddy_stream_parked_events',
      help: 'Events waiting in parked_events for their reference.',
      registers,
    }),
    consumerLag: new Gauge({
      name: 'buddy_stream_consumer_lag_records',
      help: 'High watermark minus the stored next offset, per topic-partition.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
  };
}
