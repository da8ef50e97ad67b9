import type { z } from 'zod';
import { checkinCompletedSchema } from './checkin-completed.ts';
import { eventAttendedSchema } from './event-attended.ts';
import { eventLoggedSchema } from './event-logged.ts';
import { feedbackSubmittedSchema } from './feedback-submitted.ts';
import { importBatchSchema } from './import-batch.ts';
import { matchCreatedSchema } from './match-created.ts';
import { matchEndedSchema } from './match-ended.ts';
import { milestoneReachedSchema } from './milestone-reached.ts';
import { skillShareCompletedSchema } from './skill-share-completed.ts';
import { userRegisteredSchema, userUpdatedSchema } from './user.ts';

export * from './checkin-completed.ts';
export * from './event-attended.ts';
export * from './event-logged.ts';
export * from './feedback-submitted.ts';
export * from './import-batch.ts';
export * from './match-created.ts';
export * from './match-ended.ts';
export * from './milestone-reached.ts';
export * from './skill-share-completed.ts';
export * from './user.ts';

/** Every event type buddy-stream accepts; each is also the name of its Kafka topic. */
export const EVENT_TYPES = [
  'buddy.match.created',
  'buddy.match.ended',
  'buddy.event.logged',
  'buddy.event.attended',
  'buddy.skill_share.completed',
  'buddy.checkin.completed',
  'buddy.feedback.submitted',
  'buddy.milestone.reached',
  'buddy.user.registered',
  'buddy.user.updated',
  'buddy.import.batch',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const eventTypeSet: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && eventTypeSet.has(value);
}

/** The schema of `data` for each event type. Unknown keys are stripped on parse. */
export const eventDataSchemas = {
  'buddy.match.created': matchCreatedSchema,
  'buddy.match.ended': matchEndedSchema,
  'buddy.event.logged': eventLoggedSchema,
  'buddy.event.attended': eventAttendedSchema,
  'buddy.skill_share.completed': skillShareCompletedSchema,
  'buddy.checkin.completed': checkinCompletedSchema,
  'buddy.feedback.submitted': feedbackSubmittedSchema,
  'buddy.milestone.reached': milestoneReachedSchema,
  'buddy.user.registered': userRegisteredSchema,
  'buddy.user.updated': userUpdatedSchema,
  'buddy.import.batch': importBatchSchema,
} as const satisfies Record<EventType, z.ZodType>;

/** The parsed (canonical) `data` of each event type. */
export type EventDataMap = { [K in EventType]: z.output<(typeof eventDataSchemas)[K]> };

/** Envelope `metadata`: a free object; `companyId` is the tenant, `source: "import"` marks imports. */
export interface EventMetadata {
  companyId?: string;
  source?: string;
  [key: string]: unknown;
}

/** The fields of one canonical event of type K, whichever wire envelope it arrived in. */
interface CanonicalEvent<K extends EventType> {
  /** The idempotency key (`buddy_system_events.event_id`). */
  id: string;
  type: K;
  version: string;
  /** UTC ISO-8601 string ending in `Z`, normalised from any offset. */
  timestamp: string;
  correlationId?: string;
  causationId?: string;
  metadata?: EventMetadata;
  data: EventDataMap[K];
}

/** One event in canonical form, discriminated on `type`: narrowing `type` narrows `data`. */
export type BuddyEvent = { [K in EventType]: CanonicalEvent<K> }[EventType];

/**
 * The canonical event of one type. Defined through Extract so that `BuddyEventOf<K>` stays
 * assignable to `BuddyEvent` even while K is generic (e.g. in a table of per-type handlers).
 */
export type BuddyEventOf<K extends EventType> = Extract<BuddyEvent, { type: K }>;
