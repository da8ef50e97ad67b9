import { describe, expect, it } from 'vitest';
import {
  createSchemaRegistryDecoder,
  plainJson,
  type SchemaSource,
} from '../../src/kafka/schema-registry-decoder.ts';
import { createLogger } from '../../src/ops/logger.ts';
import type { SourceRecord } from '../../src/pipeline/decode.ts';
import { frameValue } from '../../src/pipeline/frame.ts';

const log = createLogger({ level: 'silent' });

class RegistryDown extends Error {
  readonly status = 400;
}

const record = (value: Buffer, offset = '0'): SourceRecord => ({
  position: { topic: 'buddy.user.registered', partition: 0, offset },
  key: null,
  value,
  headers: {},
  timestamp: '0',
});
const framed = (id: number, body: unknown) => frameValue(id, Buffer.from(JSON.stringify(body)));

/** A registry that fails `failures` times per schema id, then answers; decodes JSON payloads. */
function fakeRegistry(options: { failures?: number; broken?: boolean; invalid?: boolean } = {}) {
  const calls: number[] = [];
  const source: SchemaSource = {
    async schemaType(id) {
      calls.push(id);
      if (options.broken) throw new Error('strict mode: unknown keyword');
      if (calls.filter((c) => c === id).length <= (options.failures ?? 0)) {
        throw new RegistryDown('connect ECONNREFUSED 127.0.0.1:8081');
      }
      return 'JSON';
    },
    async decode(value) {
      if (options.invalid) {
        throw Object.assign(new Error('invalid payload'), {
          paths: [{ path: ['/data/role'], message: 'must be equal to one of the allowed values' }],
        });
      }
      return JSON.parse(value.subarray(5).toString('utf8'));
    },
    isFetchFailure: (error) => error instanceof RegistryDown,
  };
  return { source, calls };
}

const fast = { initialDelayMs: 10, maxDelayMs: 40 };

describe('SchemaRegistryDecoder', () => {
  it('retries a registry that does not answer, calling the heartbeat, and decodes once it does', async () => {
    const { source, calls } = fakeRegistry({ failures: 3 });
    const decoder = createSchemaRegistryDecoder({ source, retry: { timeoutMs: 5_000, ...fast }, log });
    let heartbeats = 0;
    const value = { id: 'x', type: 'buddy.user.registered' };
    const r = record(framed(5, value));
    const plain = record(Buffer.from('{}'), '1');
    const result = await decoder.resolve([r, plain], { heartbeat: async () => void heartbeats++ });
    expect(result.get(r)).toEqual({ ok: true, schemaId: 5, json: value, text: JSON.stringify(value) });
    expect(result.has(plain)).toBe(false);
    expect(calls).toEqual([5, 5, 5, 5]);
    expect(heartbeats).toBe(3);
  });

  it('gives up after the retry timeout with schema_unavailable, one wait for every record of a schema id', async () => {
    const { source, calls } = fakeRegistry({ failures: Number.MAX_SAFE_INTEGER });
    const decoder = createSchemaRegistryDecoder({ source, retry: { timeoutMs: 200, ...fast }, log });
    const records = [record(framed(7, {}), '0'), record(framed(7, {}), '1'), record(framed(8, {}), '2')];
    const started = performance.now();
    const result = await decoder.resolve(records);
    expect(performance.now() - started).toBeLessThan(2_000);
    for (const r of records) {
      const resolution = result.get(r);
      expect(resolution).toMatchObject({ ok: false, code: 'schema_unavailable', stage: 'decode' });
      expect(!resolution?.ok && resolution?.reason).toMatch(
        /^schema id [78] could not be fetched from the schema registry \(\d+ attempts in [\d.]+ s\): connect ECONNREFUSED/,
      );
    }
    expect(new Set(calls)).toEqual(new Set([7, 8]));
  });

  it('does not retry a schema that was fetched but cannot be used', async () => {
    const { source, calls } = fakeRegistry({ broken: true });
    const decoder = createSchemaRegistryDecoder({ source, retry: { timeoutMs: 60_000, ...fast }, log });
    const r = record(framed(3, {}));
    const resolution = (await decoder.resolve([r])).get(r);
    expect(resolution).toMatchObject({
      ok: false,
      code: 'schema_unavailable',
      reason: 'schema id 3 cannot be used: strict mode: unknown keyword',
    });
    expect(calls).toEqual([3]);
  });

  it('reports a value that fails its writer schema by path and rule, never by value', async () => {
    const { source } = fakeRegistry({ invalid: true });
    const decoder = createSchemaRegistryDecoder({ source, retry: { timeoutMs: 1_000, ...fast }, log });
    const r = record(framed(4, { data: { role: 'secret-value' } }));
    const resolution = (await decoder.resolve([r])).get(r);
    expect(resolution).toEqual({
      ok: false,
      schemaId: 4,
      code: 'schema_violation',
      stage: 'validate',
      reason:
        'value does not match its writer schema (id 4): /data/role must be equal to one of the allowed values',
    });
  });

  it('gives up waiting when closed, so a stopping processor applies nothing of the batch', async () => {
    const { source } = fakeRegistry({ failures: Number.MAX_SAFE_INTEGER });
    const decoder = createSchemaRegistryDecoder({ source, retry: { timeoutMs: 60_000, ...fast }, log });
    const pending = decoder.resolve([record(framed(1, {}))]);
    setTimeout(() => decoder.close(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'stopping', retriable: true });
  });
});

describe('plainJson (Avro values as JSON)', () => {
  it('drops null fields, turns bytes into base64 and longs into numbers or strings', () => {
    class Record {
      constructor(
        readonly id: string,
        readonly firstName: string | null,
        readonly count: bigint,
        readonly big: bigint,
        readonly raw: Buffer,
      ) {}
    }
    const value = new Record('a', null, 12n, 2n ** 60n, Buffer.from('hi'));
    expect(plainJson({ data: value, list: [null, 1] })).toEqual({
      data: { id: 'a', count: 12, big: '1152921504606846976', raw: 'aGk=' },
      list: [null, 1],
    });
  });
});
