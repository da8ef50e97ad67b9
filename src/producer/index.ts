// `buddy-stream/producer`: the typed producer for upstream teams. Every event is validated with the
// same zod contracts buddy-stream applies, keyed by its primary user, sent with content-type, event type
// and event id headers, in either envelope, by an idempotent producer that waits for all replicas.
//
//   import { Kafka } from 'kafkajs';
//   import { createBuddyProducer } from 'buddy-stream/producer';
//   const buddy = createBuddyProducer({ kafka: new Kafka({ brokers: ['kafka:9092'] }) });
//   await buddy.connect();
//   await buddy.send('buddy.checkin.completed', { checkinId, matchId, checkinDate, mood: 'good' },
//     { key: participantBuddyId });
//   await buddy.disconnect();
import { Partitioners, type Kafka, type Producer, type RecordMetadata } from 'kafkajs';
import type { EventMetadata, EventType } from '../contracts/index.ts';
import { buildRecord, type BuddyRecord, type EventDataInput, type EventOptions } from './record.ts';

export { buildRecord, InvalidEventError, RECORD_HEADERS } from './record.ts';
export type { BuddyRecord, EventDataInput, EventOptions } from './record.ts';
export type { EnvelopeKind, EventType } from '../contracts/index.ts';

export interface BuddyProducerOptions {
  /** A kafkajs client: the producer is created (idempotent, acks from all replicas) and owned here. */
  kafka?: Kafka;
  /** Or a producer you manage (connect and disconnect are then yours). */
  producer?: Producer;
  /** Put before each topic name (TOPIC_PREFIX of the consuming buddy-stream). */
  topicPrefix?: string;
  /** Defaults for every event (e.g. `{ companyId }`); an event's own metadata keys win. */
  metadata?: EventMetadata;
  envelope?: EventOptions['envelope'];
}

export interface OutgoingEvent<K extends EventType = EventType> {
  type: K;
  data: EventDataInput<K>;
  options?: EventOptions;
}

export interface SentEvent {
  eventId: string;
  topic: string;
  key: string | null;
}

export interface BuddyProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Validates, then sends one event; resolves once the broker acknowledged it. */
  send<K extends EventType>(type: K, data: EventDataInput<K>, options?: EventOptions): Promise<SentEvent>;
  /** Validates every event first (nothing is sent if one is invalid), then sends them in one batch. */
  sendMany(events: OutgoingEvent[]): Promise<SentEvent[]>;
  /** The record `send` would produce, without sending it. */
  build<K extends EventType>(type: K, data: EventDataInput<K>, options?: EventOptions): BuddyRecord;
}

export function createBuddyProducer(options: BuddyProducerOptions): BuddyProducer {
  const owned = options.producer === undefined;
  const producer =
    options.producer ??
    options.kafka?.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  if (!producer) throw new Error('createBuddyProducer needs a kafka client or a producer');

  const build = <K extends EventType>(type: K, data: EventDataInput<K>, eventOptions: EventOptions = {}) =>
    buildRecord(type, data, {
      envelope: options.envelope,
      ...eventOptions,
      metadata:
        options.metadata || eventOptions.metadata
          ? { ...options.metadata, ...eventOptions.metadata }
          : undefined,
      topicPrefix: options.topicPrefix,
    });

  async function publish(records: BuddyRecord[]): Promise<RecordMetadata[]> {
    const byTopic = new Map<string, BuddyRecord[]>();
    for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    return producer!.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      })),
    });
  }

  const sent = (r: BuddyRecord): SentEvent => ({ eventId: r.eventId, topic: r.topic, key: r.key });

  return {
    build,
    async connect() {
      if (owned) await producer.connect();
    },
    async disconnect() {
      if (owned) await producer.disconnect();
    },
    async send(type, data, eventOptions) {
      const record = build(type, data, eventOptions);
      await publish([record]);
      return sent(record);
    },
    async sendMany(events) {
      const records = events.map((e) => build(e.type, e.data as never, e.options));
      await publish(records);
      return records.map(sent);
    },
  };
}
