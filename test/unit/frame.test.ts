import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { decodeRecord, type SourceRecord } from '../../src/pipeline/decode.ts';
import { detectFrame, frameValue, type FrameResolution } from '../../src/pipeline/frame.ts';
import { busEnvelope, flatEnvelope, sampleUsers } from '../support/samples.ts';

const TOPIC = 'buddy.user.registered';
const event = flatEnvelope(TOPIC, sampleUsers.buddy);
const json = Buffer.from(JSON.stringify(event));

const source = (value: Buffer, topic = TOPIC): SourceRecord => ({
  position: { topic, partition: 0, offset: '7' },
  key: null,
  value,
  headers: {},
  timestamp: '0',
});

describe('detectFrame', () => {
  it('reads the magic byte and the big-endian schema id, and keeps the rest as payload', () => {
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 1, 2]), json]);
    const frame = detectFrame(framed);
    expect(frame).toEqual({ kind: 'framed', schemaId: 258, payload: json });
    expect(detectFrame(Buffer.from([0, 0xff, 0xff, 0xff, 0xff]))).toMatchObject({
      kind: 'framed',
      schemaId: 4_294_967_295,
    });
  });

  it('never mistakes JSON text for a frame: no JSON value starts with a NUL byte', () => {
    for (const text of [JSON.stringify(event), ' {"a":1}', '\n[1]', '"x"', '0', '-1', 'null', 'true', '']) {
      expect(detectFrame(Buffer.from(text)).kind, text).toBe('plain');
    }
    expect(detectFrame(Buffer.from('not json at all')).kind).toBe('plain');
  });

  it('calls a leading 0 without room for the schema id truncated', () => {
    for (const bytes of [[0], [0, 0, 0, 1]]) expect(detectFrame(Buffer.from(bytes)).kind).toBe('truncated');
  });

  it('frames what it detects, and refuses ids outside 32 bits', () => {
    const framed = frameValue(42, json);
    expect([...framed.subarray(0, 5)]).toEqual([0, 0, 0, 0, 42]);
    expect(detectFrame(framed)).toEqual({ kind: 'framed', schemaId: 42, payload: json });
    expect(() => frameValue(-1, json)).toThrow(RangeError);
    expect(() => frameValue(2 ** 32, json)).toThrow(RangeError);
  });
});

describe('decodeRecord with framed values', () => {
  const framed = frameValue(9, json);

  it('dead-letters a framed value when no registry is configured, naming the schema id and the setting', () => {
    const result = decodeRecord(source(framed));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('schema_unavailable');
    expect(result.stage).toBe('decode');
    expect(result.reason).toBe('value is Confluent-framed (schema id 9) and SCHEMA_REGISTRY_URL is not set');
  });

  it('validates what the registry decoded and keeps its text as the payload', () => {
    const text = JSON.stringify(event);
    const resolved: FrameResolution = { ok: true, schemaId: 9, json: JSON.parse(text), text };
    const result = decodeRecord(source(framed), '', resolved);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.payloadText).toBe(text);
    expect(result.event.id).toBe(event.id);
    expect(result.envelope).toBe('flat');
  });

  it('still applies the contract to a decoded value: a bus envelope on the wrong topic is a type mismatch', () => {
    const bus = busEnvelope(TOPIC, sampleUsers.buddy);
    const resolved: FrameResolution = { ok: true, schemaId: 9, json: bus, text: JSON.stringify(bus) };
    const result = decodeRecord(source(framed, 'buddy.user.updated'), '', resolved);
    expect(!result.ok && result.code).toBe('type_mismatch');
  });

  it('passes on why the registry could not decode it', () => {
    const failed: FrameResolution = {
      ok: false,
      schemaId: 9,
      code: 'schema_unavailable',
      stage: 'decode',
      reason: 'schema id 9 could not be fetched',
    };
    const result = decodeRecord(source(framed), '', failed);
    expect(result).toMatchObject({ ok: false, code: 'schema_unavailable', reason: failed.reason });
  });

  it('rejects a truncated frame as not JSON, and plain JSON ignores any resolution', () => {
    const truncated = decodeRecord(source(Buffer.from([0, 0, 1])));
    expect(!truncated.ok && truncated.code).toBe('not_json');
    expect(decodeRecord(source(json)).ok).toBe(true);
  });
});

describe('schema registry settings', () => {
  it('are unset by default: no registry, plain output, a 30 s retry bound', () => {
    const config = loadConfig({});
    expect(config.SCHEMA_REGISTRY_URL).toBe('');
    expect(config.OUTPUT_FRAMED).toBe(false);
    expect(config.SCHEMA_REGISTRY_RETRY_TIMEOUT).toBe(30_000);
  });

  it('name a wrong URL, and framed output without a registry', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ SCHEMA_REGISTRY_URL: 'localhost:8081' })[0]).toMatch(
      /^SCHEMA_REGISTRY_URL: SCHEMA_REGISTRY_URL must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(problems({ OUTPUT_FRAMED: 'true' })).toEqual([
      'OUTPUT_FRAMED: true needs SCHEMA_REGISTRY_URL (framed records name a registered schema)',
    ]);
    expect(problems({ OUTPUT_FRAMED: 'true', SCHEMA_REGISTRY_URL: 'http://r:8081/apis/ccompat/v7' })).toEqual(
      [],
    );
  });
});
