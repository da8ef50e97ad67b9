// Property-based fuzzing of decode and validation: random and mutated records never crash the decoder,
// and each is either accepted as a canonical event or rejected with a code and a reason.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/contracts/index.ts';
import { decodeRecord, type SourceRecord } from '../../src/pipeline/decode.ts';
import { busEnvelope, flatEnvelope, validData } from '../support/samples.ts';

const REJECT_CODES = new Set([
  'too_large',
  'empty',
  'not_json',
  'bad_envelope',
  'no_id',
  'unknown_type',
  'schema_violation',
  'type_mismatch',
  'schema_unavailable',
]);

const source = (topic: string, value: Buffer | null): SourceRecord => ({
  position: { topic, partition: 0, offset: '0' },
  key: null,
  value,
  headers: {},
  timestamp: '0',
});

const seen = { accepted: 0, rejected: 0 };

function check(topic: string, value: Buffer | null): void {
  const result = decodeRecord(source(topic, value));
  seen[result.ok ? 'accepted' : 'rejected']++;
  if (result.ok) {
    expect(result.event.type).toBe(topic);
    expect(result.event.timestamp).toMatch(/Z$/);
  } else {
    expect(REJECT_CODES.has(result.code)).toBe(true);
    expect(result.reason.length).toBeGreaterThan(0);
  }
}

/** Replaces, deletes or retypes one value somewhere in a JSON object. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (value === null || typeof value !== 'object') return replacement;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 || path.length === 0) return replacement;
  const [head, ...rest] = path;
  const index = head! % entries.length;
  const copy: Record<string, unknown> = Array.isArray(value)
    ? ([...value] as never)
    : { ...(value as object) };
  const key = entries[index]![0];
  if (replacement === undefined && rest.length === 0) delete copy[key];
  else copy[key] = mutate(entries[index]![1], rest, replacement);
  return copy;
}

describe('decode fuzzing', () => {
  it('random bytes and random JSON never crash the decoder (5,000 records)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EVENT_TYPES),
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          fc.json().map((j) => Buffer.from(j)),
        ),
        (topic, value) => check(topic, value),
      ),
      { numRuns: 5_000 },
    );
  });

  it('valid events with one field replaced, removed or retyped: accepted or rejected with a reason (5,000 records)', () => {
    const replacement = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.string(),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant('\u0000'),
      fc.constant('\ud800'),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.object({ maxDepth: 1 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...EVENT_TYPES),
        fc.boolean(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        replacement,
        (type, bus, path, value) => {
          const envelope = bus ? busEnvelope(type, validData[type]) : flatEnvelope(type, validData[type]);
          const mutated = mutate(envelope, path, value);
          check(type, Buffer.from(JSON.stringify(mutated) ?? 'null'));
        },
      ),
      { numRuns: 5_000 },
    );
    // Both outcomes happen: the mutations reach the validator, not only the JSON parser.
    expect(seen.accepted).toBeGreaterThan(100);
    expect(seen.rejected).toBeGreaterThan(100);
  });
});
