import { z } from 'zod';
import {
  EVENT_TYPES,
  eventDataSchemas,
  isEventType,
  type BuddyEvent,
  type EventType,
} from './events/index.ts';
import { isoDateTime, uuid } from './primitives.ts';

/**
 * The two wire envelopes upstream producers send, and the one canonical form the pipeline uses:
 *
 *   flat: { id, type, version, timestamp, correlationId?, causationId?, metadata?, data }
 *   bus:  { type, data, metadata: { id, version, timestamp, correlationId?, causationId?, metadata? } }
 */

export type EnvelopeKind = 'flat' | 'bus';
export type ContractErrorCode = 'no_id' | 'unknown_type' | 'schema_violation' | 'bad_envelope';

export type ParseEnvelopeResult =
  | { ok: true; envelope: EnvelopeKind; event: BuddyEvent }
  | { ok: false; code: ContractErrorCode; reason: string };

/** Envelope `metadata`: free object; the known keys are validated, every other key is kept. */
export const eventMetadataSchema = z.looseObject({
  companyId: uuid.optional(),
  source: z.string().optional(),
});

const header = {
  id: uuid,
  version: z.string().default('v1'),
  timestamp: isoDateTime,
  correlationId: uuid.optional(),
  causationId: uuid.optional(),
  metadata: eventMetadataSchema.optional(),
};

/** The flat (webhook style) envelope of one event type. */
export function flatEnvelopeSchema(type: EventType) {
  return z.object({
    id: header.id,
    type: z.literal(type),
    version: header.version,
    timestamp: header.timestamp,
    correlationId: header.correlationId,
    causationId: header.causationId,
    metadata: header.metadata,
    data: eventDataSchemas[type],
  });
}

/** The bus (platform event bus) envelope of one event type. */
export function busEnvelopeSchema(type: EventType) {
  return z.object({
    type: z.literal(type),
    data: eventDataSchemas[type],
    metadata: z.object(header),
  });
}

// Built once: parseEnvelope runs per record on the hot path.
const flatSchemas = schemaTable(flatEnvelopeSchema);
const busSchemas = schemaTable(busEnvelopeSchema);

function schemaTable(build: (type: EventType) => z.ZodType): Record<EventType, z.ZodType> {
  const table: Partial<Record<EventType, z.ZodType>> = {};
  for (const type of EVENT_TYPES) table[type] = build(type);
  return table as Record<EventType, z.ZodType>;
}

interface ParsedHeader {
  id: string;
  version: string;
  timestamp: string;
  correlationId?: string;
  causationId?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Detects the envelope, validates it and the `data` of its type, and returns the canonical event.
 * Never throws. `reason` names paths and rule codes only, never a field's value (values may be PII).
 * The size limit (MAX_EVENT_BYTES) is checked by the caller on the raw bytes, before JSON parsing.
 */
export function parseEnvelope(value: unknown): ParseEnvelopeResult {
  if (!isPlainObject(value)) {
    return fail('bad_envelope', `envelope must be a JSON object, got ${kindOf(value)}`);
  }
  const envelope = detectEnvelope(value);
  if (envelope === undefined) {
    return fail('bad_envelope', 'not an event envelope: none of id, type, timestamp, metadata, data');
  }
  const idHolder = envelope === 'flat' ? value : (value['metadata'] as Record<string, unknown>);
  if (idHolder['id'] === undefined || idHolder['id'] === null) {
    const where = envelope === 'flat' ? 'id' : 'metadata.id';
    return fail('no_id', `${envelope} envelope has no ${where} (the event's idempotency key)`);
  }
  const type = value['type'];
  if (typeof type !== 'string') {
    return fail('bad_envelope', `type must be a string, got ${kindOf(type)}`);
  }
  if (!isEventType(type)) {
    return fail('unknown_type', `type is not one of the ${EVENT_TYPES.length} buddy.* event types`);
  }
  const parsed = (envelope === 'flat' ? flatSchemas : busSchemas)[type].safeParse(value);
  if (!parsed.success) {
    return fail('schema_violation', `${type} (${envelope}): ${describeIssues(parsed.error.issues, value)}`);
  }
  const out = parsed.data as Record<string, unknown>;
  const head = (envelope === 'flat' ? out : out['metadata']) as ParsedHeader;
  return { ok: true, envelope, event: canonicalEvent(type, head, out['data']) };
}

/**
 * A top-level `id` or `timestamp` marks the flat form; otherwise `metadata.id` or `metadata.timestamp`
 * marks the bus form (in the flat form `metadata` is a free object, so it is only looked at second).
 */
function detectEnvelope(value: Record<string, unknown>): EnvelopeKind | undefined {
  if (value['id'] !== undefined || value['timestamp'] !== undefined) return 'flat';
  const metadata = value['metadata'];
  if (isPlainObject(metadata) && (metadata['id'] !== undefined || metadata['timestamp'] !== undefined)) {
    return 'bus';
  }
  if (value['type'] !== undefined || value['data'] !== undefined || value['metadata'] !== undefined) {
    return 'flat';
  }
  return undefined;
}

/** Same key order for both envelopes, so equal events serialise to equal JSON. */
function canonicalEvent(type: EventType, head: ParsedHeader, data: unknown): BuddyEvent {
  const event: Record<string, unknown> = {
    id: head.id,
    type,
    version: head.version,
    timestamp: head.timestamp,
  };
  if (head.correlationId !== undefined) event['correlationId'] = head.correlationId;
  if (head.causationId !== undefined) event['causationId'] = head.causationId;
  if (head.metadata !== undefined) event['metadata'] = head.metadata;
  event['data'] = data;
  return event as unknown as BuddyEvent;
}

function fail(code: ContractErrorCode, reason: string): ParseEnvelopeResult {
  return { ok: false, code, reason };
}

const MAX_LISTED_ISSUES = 8;

/** `data.feedback.rating: too_big (must be <= 1); data.mood: invalid_value (expected one of ...)` */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => describeIssue(issue, input));
  const more = issues.length - listed.length;
  return more > 0 ? `${listed.join('; ')}; and ${more} more` : listed.join('; ');
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = formatPath(issue.path);
  const detail = issueDetail(issue, input);
  return detail ? `${path}: ${issue.code} (${detail})` : `${path}: ${issue.code}`;
}

/** Written from the issue's schema-side properties only: zod's own messages may change and could echo input. */
function issueDetail(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const actual = valueAt(input, issue.path);
      return actual.found ? `expected ${issue.expected}, got ${kindOf(actual.value)}` : 'required';
    }
    case 'too_big':
      return `${sizeOf(issue.origin)} must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`;
    case 'too_small':
      return `${sizeOf(issue.origin)} must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
    case 'invalid_format':
      return `expected ${issue.format === 'guid' ? 'uuid' : issue.format === 'datetime' ? 'ISO-8601 date-time with zone' : issue.format}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join('|')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `${issue.keys.length} unexpected key(s)`;
    case 'custom':
      return issue.message;
    default:
      return '';
  }
}

function sizeOf(origin: string): string {
  if (origin === 'string') return 'length';
  if (origin === 'array' || origin === 'set') return 'item count';
  return 'value';
}

/** Path segments that are not plain identifiers (e.g. record keys taken from input) are masked. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else out += '[*]';
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return { found: false };
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current === undefined ? { found: false } : { found: true, value: current };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
