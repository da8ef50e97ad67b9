// Wire bytes of synthetic events, as real producers send them: either envelope, date-times in several
// ISO-8601 spellings of the same instant, now and then an unknown key; and invalid records of each kind
// the processor must dead-letter.
import { EVENT_TYPES, MAX_EVENT_BYTES, type BuddyEvent, type EnvelopeKind } from '../contracts/index.ts';
import type { Random } from './random.ts';

/** Top-level `data` fields that hold a date-time, in every event type. */
const DATE_TIME_FIELDS = new Set([
  'matchedAt',
  'endedAt',
  'eventDate',
  'attendedAt',
  'completedAt',
  'scheduledAt',
  'checkinDate',
  'submittedAt',
  'reachedAt',
  'joinedAt',
]);

type TimeStyle = 'millis' | 'seconds' | 'offset';

/** The same instant as `2026-01-05T09:00:00.000Z`, `2026-01-05T09:00:00Z` or `2026-01-05T10:00:00+01:00`. */
export function spellTime(isoUtc: string, style: TimeStyle): string {
  if (style === 'millis') return isoUtc;
  const ms = Date.parse(isoUtc);
  if (style === 'seconds' && ms % 1000 === 0) return `${isoUtc.slice(0, 19)}Z`;
  if (style === 'offset') {
    // Norway: +01:00 in winter, +02:00 in summer (close enough for synthetic data).
    const month = new Date(ms).getUTCMonth();
    const hours = month >= 3 && month <= 9 ? 2 : 1;
    const local = new Date(ms + hours * 3_600_000).toISOString().slice(0, 23);
    return `${local}+0${hours}:00`;
  }
  return isoUtc;
}

export interface WireOptions {
  /** The canonical `version` is `v1`; a flat envelope may leave it out (it defaults to v1). */
  omitVersion?: boolean;
  timeStyle?: TimeStyle;
  /** An extra key in `data` that upstream's validator strips. */
  extraDataKey?: boolean;
}

/** Random wire variations, most events in the plain canonical spelling. */
export function wireVariation(rng: Random): WireOptions {
  return {
    omitVersion: rng.chance(0.03),
    timeStyle: rng.weighted([
      ['millis', 88],
      ['seconds', 7],
      ['offset', 5],
    ] as const),
    extraDataKey: rng.chance(0.02),
  };
}

function wireData(event: BuddyEvent, options: WireOptions): Record<string, unknown> {
  const style = options.timeStyle ?? 'millis';
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event.data)) {
    data[key] = DATE_TIME_FIELDS.has(key) && typeof value === 'string' ? spellTime(value, style) : value;
  }
  if (options.extraDataKey) data['clientVersion'] = 'buddy-app/4.12.0';
  return data;
}

/** The wire object of an event in the given envelope. */
export function envelopeOf(
  event: BuddyEvent,
  kind: EnvelopeKind,
  options: WireOptions = {},
): Record<string, unknown> {
  const header: Record<string, unknown> = { id: event.id };
  if (!(kind === 'flat' && options.omitVersion)) header['version'] = event.version;
  header['timestamp'] = spellTime(event.timestamp, options.timeStyle ?? 'millis');
  if (event.correlationId !== undefined) header['correlationId'] = event.correlationId;
  if (event.causationId !== undefined) header['causationId'] = event.causationId;
  if (event.metadata !== undefined) header['metadata'] = event.metadata;
  const data = wireData(event, options);
  if (kind === 'bus') return { type: event.type, data, metadata: header };
  const { id, ...rest } = header;
  return { id, type: event.type, ...rest, data };
}

export function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export const INVALID_KINDS = [
  'not_json',
  'no_id',
  'unknown_type',
  'schema_violation',
  'type_topic_mismatch',
  'oversize',
] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

export interface InvalidRecord {
  topic: string;
  key: string | null;
  value: Buffer;
  invalidKind: InvalidKind;
  eventId?: string;
}

const UNKNOWN_TYPES = [
  'buddy.match.paused',
  'buddy.checkin.skipped',
  'buddy.user.deleted',
  'buddy.chat.message',
];

/** A field-level rule each type can break (a range, an enum, a max length, a format). */
const TYPE_VIOLATIONS: Record<string, (d: Record<string, unknown>) => void> = {
  'buddy.feedback.submitted': (d) => (d['rating'] = 4), // a legacy 1..5 rating
  'buddy.checkin.completed': (d) => (d['mood'] = 'fantastic'),
  'buddy.match.ended': (d) => (d['reason'] = 'bored'),
  'buddy.match.created': (d) => (d['matchedAt'] = 'yesterday'),
  'buddy.milestone.reached': (d) => (d['milestoneTitle'] = 'M'.repeat(101)),
  'buddy.event.attended': (d) => (d['sdgGoals'] = [4, 18]),
  'buddy.event.logged': (d) => (d['eventType'] = 42),
  'buddy.skill_share.completed': (d) => (d['skillName'] = 'S'.repeat(101)),
  'buddy.user.registered': (d) => (d['email'] = 'not-an-email'),
  'buddy.user.updated': (d) => (d['role'] = 'admin'),
};

const ID_FIELDS = ['matchId', 'userId', 'eventId', 'checkinId', 'feedbackId', 'sessionId', 'batchId'];

/** Ways to break a valid event's data so that the contract rejects it. */
const VIOLATIONS: readonly ((data: Record<string, unknown>, type: string) => void)[] = [
  (d, t) => TYPE_VIOLATIONS[t]?.(d),
  (d) => {
    const field = ID_FIELDS.find((key) => key in d);
    if (field) d[field] = 'not-a-uuid';
  },
  (d) => {
    // A required date-time missing.
    for (const key of DATE_TIME_FIELDS) delete d[key];
  },
  (d) => {
    // A date-time without a zone designator: its instant is ambiguous.
    for (const key of DATE_TIME_FIELDS)
      if (typeof d[key] === 'string') d[key] = (d[key] as string).slice(0, 19);
  },
];

/**
 * An invalid record of the given kind, built from a valid event (which it does not replace).
 * The invalid record gets its own id: it must never share an id with a valid event.
 */
export function invalidRecord(
  rng: Random,
  kind: InvalidKind,
  base: BuddyEvent,
  key: string | null,
): InvalidRecord {
  const id = rng.uuid();
  const event = { ...base, id } as BuddyEvent;
  const kindOf = rng.chance(0.5) ? 'bus' : 'flat';
  const envelope = envelopeOf(event, kindOf);
  switch (kind) {
    case 'not_json': {
      const text = JSON.stringify(envelope);
      const value = rng.pick([
        Buffer.from(text.slice(0, Math.max(1, Math.floor(text.length / 2))), 'utf8'),
        Buffer.from('event=buddy.checkin.completed&id=' + id, 'utf8'),
        Buffer.from([0x00, 0x00, 0x00, 0x00, 0x07, 0xfe, 0xff, 0x12]),
      ]);
      return { topic: base.type, key: null, value, invalidKind: kind };
    }
    case 'no_id': {
      if (kindOf === 'flat') delete envelope['id'];
      else delete (envelope['metadata'] as Record<string, unknown>)['id'];
      return { topic: base.type, key, value: encode(envelope), invalidKind: kind };
    }
    case 'unknown_type': {
      const type = rng.pick(UNKNOWN_TYPES);
      envelope['type'] = type;
      return { topic: type, key, value: encode(envelope), invalidKind: kind, eventId: id };
    }
    case 'schema_violation': {
      const data = { ...(envelope['data'] as Record<string, unknown>) };
      rng.pick(VIOLATIONS)(data, base.type);
      envelope['data'] = data;
      return { topic: base.type, key, value: encode(envelope), invalidKind: kind, eventId: id };
    }
    case 'type_topic_mismatch': {
      const topic = rng.pick(EVENT_TYPES.filter((t) => t !== base.type && t !== 'buddy.import.batch'));
      return { topic, key, value: encode(envelope), invalidKind: kind, eventId: id };
    }
    case 'oversize': {
      // Schema-valid but over the poison limit: a check-in whose notes are a pasted document.
      const paragraph = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
      const notes = paragraph.repeat(Math.ceil((MAX_EVENT_BYTES + 64 * 1024) / paragraph.length));
      const data = { checkinId: rng.uuid(), matchId: rng.uuid(), checkinDate: event.timestamp, notes };
      const big = { ...event, type: 'buddy.checkin.completed', data } as BuddyEvent;
      return { topic: big.type, key, value: encode(envelopeOf(big, kindOf)), invalidKind: kind, eventId: id };
    }
  }
}
