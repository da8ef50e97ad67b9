// The typed Kafka record of one Buddy event, validated against the contracts before it leaves the
// producer: the topic (the event type, after an optional prefix), the key (the primary user's Buddy id)
// and headers that let consumers route without parsing. Pure: no I/O.
import type { z } from 'zod';
import {
  MAX_EVENT_BYTES,
  parseEnvelope,
  primaryUserOf,
  type EnvelopeKind,
  type EventMetadata,
  type EventType,
  type eventDataSchemas,
} from '../contracts/index.ts';
import { BuddyStreamError } from '../errors.ts';
import { columnLimitViolation } from '../pipeline/storable.ts';

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [P in keyof T]: DeepReadonly<T[P]> }
    : T;

/** What a producer passes as `data`: the contract's input (date-times as ISO-8601 strings), read only. */
export type EventDataInput<K extends EventType> = DeepReadonly<z.input<(typeof eventDataSchemas)[K]>>;

export const RECORD_HEADERS = {
  contentType: 'content-type',
  eventType: 'buddy-event-type',
  eventId: 'buddy-event-id',
  envelope: 'buddy-envelope',
} as const;

export interface EventOptions {
  /** The idempotency key; a fresh random UUID when absent. Re-sending the same event: pass its id. */
  id?: string;
  /** Event time, default now. */
  timestamp?: string | Date;
  version?: string;
  correlationId?: string;
  causationId?: string;
  metadata?: EventMetadata;
  /** Wire format, default flat. */
  envelope?: EnvelopeKind;
  /**
   * Key of match-scoped events (event.logged, checkin, feedback): the match's participant Buddy id, or
   * none (null). Other events are keyed by their primary user; a different key is refused.
   */
  key?: string | null;
}

export interface BuddyRecord {
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  eventId: string;
}

export class InvalidEventError extends BuddyStreamError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'InvalidEventError';
  }
}

/** Builds and validates the record of one event; throws InvalidEventError (reason without values). */
export function buildRecord<K extends EventType>(
  type: K,
  data: EventDataInput<K>,
  options: EventOptions & { topicPrefix?: string } = {},
): BuddyRecord {
  const id = options.id ?? crypto.randomUUID();
  const timestamp =
    options.timestamp instanceof Date
      ? options.timestamp.toISOString()
      : (options.timestamp ?? new Date().toISOString());
  const header: Record<string, unknown> = { id, version: options.version ?? 'v1', timestamp };
  if (options.correlationId !== undefined) header['correlationId'] = options.correlationId;
  if (options.causationId !== undefined) header['causationId'] = options.causationId;
  if (options.metadata !== undefined) header['metadata'] = options.metadata;
  const envelope = options.envelope ?? 'flat';
  const wire =
    envelope === 'bus'
      ? { type, data, metadata: header }
      : { id, type, ...Object.fromEntries(Object.entries(header).filter(([k]) => k !== 'id')), data };

  const parsed = parseEnvelope(wire);
  if (!parsed.ok) throw new InvalidEventError(parsed.code, parsed.reason);
  const tooLong = columnLimitViolation(parsed.event);
  if (tooLong) throw new InvalidEventError('schema_violation', `${type}: ${tooLong}`);
  const value = Buffer.from(JSON.stringify(wire), 'utf8');
  if (value.length > MAX_EVENT_BYTES)
    throw new InvalidEventError('too_large', `${type}: ${value.length} bytes, over ${MAX_EVENT_BYTES}`);

  const primary = primaryUserOf(parsed.event);
  let key: string | null;
  if (primary && 'buddyUserId' in primary) {
    if (options.key != null && options.key.toLowerCase() !== primary.buddyUserId.toLowerCase())
      throw new InvalidEventError('bad_key', `${type} is keyed by its primary user, not by the key given`);
    key = primary.buddyUserId;
  } else {
    key = options.key ?? null;
  }
  return {
    topic: (options.topicPrefix ?? '') + type,
    key,
    value,
    eventId: parsed.event.id,
    headers: {
      [RECORD_HEADERS.contentType]: 'application/json',
      [RECORD_HEADERS.eventType]: type,
      [RECORD_HEADERS.eventId]: parsed.event.id,
      [RECORD_HEADERS.envelope]: envelope,
    },
  };
}
