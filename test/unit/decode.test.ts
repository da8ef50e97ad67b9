import { describe, expect, it } from 'vitest';
import {
  decodeRecord,
  dedupeWithinBatch,
  type DecodedRecord,
  type SourceRecord,
} from '../../src/pipeline/decode.ts';
import { busEnvelope, flatEnvelope, sampleUsers, validData } from '../support/samples.ts';

const source = (topic: string, value: Buffer | string | object | null, offset = '0'): SourceRecord => ({
  position: { topic, partition: 0, offset },
  key: null,
  value:
    value === null
      ? null
      : Buffer.isBuffer(value)
        ? value
        : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: {},
  timestamp: '0',
});

describe('decodeRecord', () => {
  it('accepts both envelopes and keeps the exact payload text', () => {
    const flat = flatEnvelope('buddy.checkin.completed', validData['buddy.checkin.completed']);
    const result = decodeRecord(source('buddy.checkin.completed', flat));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.envelope).toBe('flat');
    expect(result.payloadText).toBe(JSON.stringify(flat));
    const bus = decodeRecord(
      source(
        'buddy.checkin.completed',
        busEnvelope('buddy.checkin.completed', validData['buddy.checkin.completed']),
      ),
    );
    expect(bus.ok && bus.envelope).toBe('bus');
  });

  it.each([
    ['empty', null],
    ['empty', ''],
    ['not_json', '{"id":'],
    ['bad_envelope', '[1,2,3]'],
    ['too_large', Buffer.alloc(1_048_577, 0x20)],
  ])('rejects %s', (code, value) => {
    const result = decodeRecord(source('buddy.user.registered', value as Buffer | string | null));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe(code);
  });

  it('rejects an event whose type is not its topic, honouring the topic prefix', () => {
    const event = flatEnvelope('buddy.user.registered', sampleUsers.buddy);
    const wrong = decodeRecord(source('buddy.user.updated', event));
    expect(!wrong.ok && wrong.code).toBe('type_mismatch');
    expect(decodeRecord(source('staging.buddy.user.registered', event), 'staging.').ok).toBe(true);
    expect(decodeRecord(source('buddy.user.registered', event), 'staging.').ok).toBe(false);
  });

  it('rejects what jsonb cannot store (NUL, lone surrogates) and values longer than their column', () => {
    const nul = JSON.stringify(
      flatEnvelope('buddy.checkin.completed', { ...validData['buddy.checkin.completed'], notes: 'a\u0000b' }),
    );
    expect(nul).toContain('\\u0000');
    const r1 = decodeRecord(source('buddy.checkin.completed', nul));
    expect(!r1.ok && r1.code).toBe('schema_violation');
    const surrogate = nul.replace('\\u0000', '\\ud800');
    const r2 = decodeRecord(source('buddy.checkin.completed', surrogate));
    expect(!r2.ok && r2.code).toBe('schema_violation');
    const long = flatEnvelope('buddy.event.logged', {
      ...validData['buddy.event.logged'],
      eventType: 'y'.repeat(101),
    });
    const r3 = decodeRecord(source('buddy.event.logged', long));
    expect(!r3.ok && r3.reason).toContain('data.eventType: longer than 100 characters');
    expect(!r3.ok && r3.reason).not.toContain('yyyy');
  });

  it('keeps the first of each event id within a batch, across envelopes', () => {
    const id = '6a1f0c2e-1111-4222-8333-944455556666';
    const a = decodeRecord(
      source('buddy.user.registered', flatEnvelope('buddy.user.registered', sampleUsers.buddy, { id }), '1'),
    );
    const b = decodeRecord(
      source('buddy.user.registered', busEnvelope('buddy.user.registered', sampleUsers.buddy, { id }), '2'),
    );
    const { unique, duplicates } = dedupeWithinBatch([a, b] as DecodedRecord[]);
    expect(duplicates).toBe(1);
    expect(unique.map((u) => u.source.position.offset)).toEqual(['1']);
  });
});
