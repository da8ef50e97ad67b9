// Kafka record -> canonical event, or the reason it is dead-lettered. Pure: no I/O.
import { MAX_EVENT_BYTES, parseEnvelope, type BuddyEvent, type EnvelopeKind } from '../contracts/index.ts';
import type { RecordPosition } from '../errors.ts';
import { detectFrame, type FrameResolution } from './frame.ts';
import { columnLimitViolation } from './storable.ts';

/** Why a record cannot be processed; also the `__connect.errors.class.name` header of its dead letter. */
export type RejectCode =
  | 'too_large'
  | 'empty'
  | 'not_json'
  | 'bad_envelope'
  | 'no_id'
  | 'unknown_type'
  | 'schema_violation'
  | 'type_mismatch'
  | 'park_timeout'
  | 'schema_unavailable'
  | 'rejected_by_database';

/** The stage of the data flow that rejected it (Kafka Connect's `__connect.errors.stage`). */
export type RejectStage = 'decode' | 'validate' | 'resolve';

export interface SourceRecord {
  position: RecordPosition;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  timestamp: string;
}

export interface DecodedRecord {
  ok: true;
  source: SourceRecord;
  envelope: EnvelopeKind;
  event: BuddyEvent;
  /** The record's value as text: stored whole in buddy_system_events.payload. */
  payloadText: string;
}

export interface RejectedRecord {
  ok: false;
  source: SourceRecord;
  code: RejectCode;
  stage: RejectStage;
  /** Names paths and rules, never field values (they may be personal data). */
  reason: string;
}

export type DecodeResult = DecodedRecord | RejectedRecord;

const reject = (
  source: SourceRecord,
  code: RejectCode,
  stage: RejectStage,
  reason: string,
): RejectedRecord => ({
  ok: false,
  source,
  code,
  stage,
  reason,
});

/**
 * @param topicPrefix the input topics are named `<prefix><event type>`; the prefix is empty in
 * production (TOPIC_PREFIX) and lets tests and staging share a broker.
 * @param frame for a Confluent-framed value, what the schema registry made of it (frame.ts); absent
 * when no registry is configured.
 */
export function decodeRecord(source: SourceRecord, topicPrefix = '', frame?: FrameResolution): DecodeResult {
  const { value } = source;
  if (value === null || value.length === 0) return reject(source, 'empty', 'decode', 'record has no value');
  if (value.length > MAX_EVENT_BYTES) {
    return reject(
      source,
      'too_large',
      'decode',
      `record is ${value.length} bytes, over the ${MAX_EVENT_BYTES} limit`,
    );
  }
  const body = readValue(source, value, frame);
  if (!body.ok) return body;
  const { json, payloadText } = body;
  const parsed = parseEnvelope(json);
  if (!parsed.ok) return reject(source, parsed.code, 'validate', parsed.reason);
  if (topicPrefix + parsed.event.type !== source.position.topic) {
    return reject(
      source,
      'type_mismatch',
      'validate',
      `event type ${parsed.event.type} does not match topic ${source.position.topic}`,
    );
  }
  // Postgres jsonb rejects \u0000 and lone surrogates: such a record could never be stored, and
  // would fail its batch forever, so it is rejected here. Only escaped text can hold them.
  if (payloadText.includes('\\u') && !storableInJsonb(json)) {
    return reject(source, 'schema_violation', 'validate', 'value contains \\u0000 or an unpaired surrogate');
  }
  const tooLong = columnLimitViolation(parsed.event);
  if (tooLong) return reject(source, 'schema_violation', 'validate', `${parsed.event.type}: ${tooLong}`);
  return { ok: true, source, envelope: parsed.envelope, event: parsed.event, payloadText };
}

/** The value as JSON: plain JSON text, or a framed value the registry already decoded. */
function readValue(
  source: SourceRecord,
  value: Buffer,
  resolved: FrameResolution | undefined,
): { ok: true; json: unknown; payloadText: string } | RejectedRecord {
  const frame = detectFrame(value);
  if (frame.kind === 'truncated') {
    return reject(
      source,
      'not_json',
      'decode',
      'value starts with the Confluent magic byte 0 but has no schema id',
    );
  }
  if (frame.kind === 'framed') {
    if (!resolved) {
      const why = `value is Confluent-framed (schema id ${frame.schemaId}) and SCHEMA_REGISTRY_URL is not set`;
      return reject(source, 'schema_unavailable', 'decode', why);
    }
    if (!resolved.ok) return reject(source, resolved.code, resolved.stage, resolved.reason);
    return { ok: true, json: resolved.json, payloadText: resolved.text };
  }
  const payloadText = value.toString('utf8');
  try {
    return { ok: true, json: JSON.parse(payloadText), payloadText };
  } catch {
    return reject(source, 'not_json', 'decode', 'value is not valid JSON');
  }
}

/** Keeps the first record of each event id (a re-send inside one batch, in either envelope). */
export function dedupeWithinBatch(records: DecodedRecord[]): { unique: DecodedRecord[]; duplicates: number } {
  const seen = new Set<string>();
  const unique: DecodedRecord[] = [];
  for (const record of records) {
    if (seen.has(record.event.id)) continue;
    seen.add(record.event.id);
    unique.push(record);
  }
  return { unique, duplicates: records.length - unique.length };
}

function storableInJsonb(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed() && !value.includes('\u0000');
  if (Array.isArray(value)) return value.every(storableInJsonb);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([k, v]) => storableInJsonb(k) && storableInJsonb(v));
  }
  return true;
}
