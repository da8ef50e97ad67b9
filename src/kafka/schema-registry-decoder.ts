// Turns Confluent-framed values into plain JSON through the schema registry, before a batch's transaction.
// Each schema id is fetched once (the client caches it; ids never change), with a bounded retry: a registry
// outage of a few seconds delays the batch instead of dead-lettering its records; past the retry timeout
// they are dead-lettered as schema_unavailable, with their original bytes.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.ts';
import { MAX_EVENT_BYTES } from '../contracts/index.ts';
import { BuddyStreamError } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';
import type { SourceRecord } from '../pipeline/decode.ts';
import {
  detectFrame,
  FRAME_HEADER_BYTES,
  type FrameResolution,
  type FrameResolver,
} from '../pipeline/frame.ts';
import {
  cachedSchemaType,
  createSchemaRegistry,
  describeValidationPaths,
  isRegistryResponseError,
  registryErrorMessage,
  type SchemaRegistry,
} from './schema-registry.ts';

/** What the decoder needs of the registry client (a fake stands in for it in unit tests). */
export interface SchemaSource {
  /** Fetches the schema (or finds it cached) and returns its type, e.g. JSON or AVRO. */
  schemaType(schemaId: number): Promise<string>;
  /** Decodes a framed value whose schema was fetched. */
  decode(value: Buffer): Promise<unknown>;
  /** True for a failure to reach the registry or get an answer from it (worth retrying). */
  isFetchFailure(error: unknown): boolean;
}

export function registrySchemaSource(registry: SchemaRegistry): SchemaSource {
  return {
    async schemaType(schemaId) {
      await registry.getSchema(schemaId);
      return cachedSchemaType(registry, schemaId) ?? 'UNKNOWN';
    },
    decode: (value) => registry.decode(value),
    isFetchFailure: isRegistryResponseError,
  };
}

export interface RetryPolicy {
  /** How long one batch may wait for the registry before its framed records are dead-lettered. */
  timeoutMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Bound on one request: a registry that accepts connections but never answers is unavailable too. */
  attemptTimeoutMs?: number;
}

export interface SchemaRegistryDecoderDeps {
  source: SchemaSource;
  retry: RetryPolicy;
  log: Logger;
}

type FetchedSchema = { ok: true; type: string } | { ok: false; reason: string };

class AttemptTimeout extends Error {}

export function createSchemaRegistryDecoder({
  source,
  retry,
  log,
}: SchemaRegistryDecoderDeps): FrameResolver {
  const { timeoutMs, initialDelayMs = 250, maxDelayMs = 5_000, attemptTimeoutMs = 10_000 } = retry;
  const closing = new AbortController();
  const closed = () =>
    new BuddyStreamError('stopping', 'stopped while waiting for the schema registry', { retriable: true });

  async function fetchSchema(
    schemaId: number,
    deadline: number,
    heartbeat?: () => Promise<void>,
  ): Promise<FetchedSchema> {
    const started = performance.now();
    for (let attempt = 1, delay = initialDelayMs; ; attempt++, delay = Math.min(delay * 2, maxDelayMs)) {
      if (closing.signal.aborted) throw closed();
      try {
        const bound = Math.max(1_000, Math.min(attemptTimeoutMs, deadline - performance.now()));
        return { ok: true, type: await withTimeout(source.schemaType(schemaId), bound, closing.signal) };
      } catch (error) {
        if (closing.signal.aborted) throw closed();
        const message = error instanceof AttemptTimeout ? error.message : registryErrorMessage(error);
        if (!(error instanceof AttemptTimeout) && !source.isFetchFailure(error)) {
          log.error({ schemaId, err: message }, 'schema cannot be used');
          return { ok: false, reason: `schema id ${schemaId} cannot be used: ${message}` };
        }
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          const waited = ((performance.now() - started) / 1000).toFixed(1);
          log.error(
            { schemaId, attempts: attempt, err: message },
            'schema registry gave no schema; giving up',
          );
          return {
            ok: false,
            reason: `schema id ${schemaId} could not be fetched from the schema registry (${attempt} attempts in ${waited} s): ${message}`,
          };
        }
        if (attempt === 1) log.warn({ schemaId, err: message }, 'schema registry gave no schema; retrying');
        await sleep(Math.min(delay, remaining), undefined, { signal: closing.signal }).catch(() => {
          throw closed();
        });
        await heartbeat?.();
      }
    }
  }

  async function decodeOne(value: Buffer, schemaId: number, schema: FetchedSchema): Promise<FrameResolution> {
    if (!schema.ok)
      return { ok: false, schemaId, code: 'schema_unavailable', stage: 'decode', reason: schema.reason };
    try {
      const decoded = await source.decode(value);
      if (schema.type === 'JSON') {
        // The JSON text as the producer wrote it, like a plain JSON record's.
        return {
          ok: true,
          schemaId,
          json: decoded,
          text: value.subarray(FRAME_HEADER_BYTES).toString('utf8'),
        };
      }
      const json = plainJson(decoded);
      return { ok: true, schemaId, json, text: JSON.stringify(json) };
    } catch (error) {
      return rejectionOf(error, schemaId, schema.type, source);
    }
  }

  return {
    async resolve(records, { heartbeat } = {}) {
      const framed = records.flatMap((record) => {
        if (!record.value || record.value.length > MAX_EVENT_BYTES) return [];
        const frame = detectFrame(record.value);
        return frame.kind === 'framed' ? [{ record, value: record.value, schemaId: frame.schemaId }] : [];
      });
      const resolved = new Map<SourceRecord, FrameResolution>();
      if (framed.length === 0) return resolved;
      // One deadline for the batch: its schema ids are fetched side by side, each retried until then.
      const deadline = performance.now() + timeoutMs;
      const ids = [...new Set(framed.map((f) => f.schemaId))];
      const schemas = new Map(
        await Promise.all(ids.map(async (id) => [id, await fetchSchema(id, deadline, heartbeat)] as const)),
      );
      for (const { record, value, schemaId } of framed) {
        resolved.set(record, await decodeOne(value, schemaId, schemas.get(schemaId)!));
      }
      return resolved;
    },
    close() {
      closing.abort();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const bounded = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(`no answer within ${ms} ms`)), ms);
    onAbort = () => reject(new AttemptTimeout('stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, bounded]).finally(() => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
  });
}

/** Why a fetched schema did not decode the value: never the value itself (it may hold personal data). */
function rejectionOf(error: unknown, schemaId: number, type: string, source: SchemaSource): FrameResolution {
  const paths = (error as { paths?: unknown }).paths;
  if (Array.isArray(paths)) {
    const where = describeValidationPaths(paths);
    const reason = `value does not match its writer schema (id ${schemaId}): ${where}`;
    return { ok: false, schemaId, code: 'schema_violation', stage: 'validate', reason };
  }
  if (error instanceof SyntaxError) {
    const reason = `value framed with JSON Schema id ${schemaId} is not valid JSON`;
    return { ok: false, schemaId, code: 'not_json', stage: 'decode', reason };
  }
  if (source.isFetchFailure(error)) {
    const reason = `schema id ${schemaId}: ${registryErrorMessage(error)}`;
    return { ok: false, schemaId, code: 'schema_unavailable', stage: 'decode', reason };
  }
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 200);
  const reason = `value does not decode with its writer schema (id ${schemaId}, ${type}): ${message}`;
  return { ok: false, schemaId, code: 'schema_violation', stage: 'decode', reason };
}

/**
 * An Avro-decoded value as plain JSON: records become objects, bytes base64, longs numbers (or strings past
 * 2^53), and a null field (Avro's optional union) an absent key, as the event contracts expect.
 */
export function plainJson(value: unknown): unknown {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plainJson);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== null && field !== undefined) out[key] = plainJson(field);
  }
  return out;
}

/** The processor's resolver: none without SCHEMA_REGISTRY_URL (framed records are then dead-lettered). */
export function createFrameResolver(
  config: Pick<Config, 'SCHEMA_REGISTRY_URL' | 'SCHEMA_REGISTRY_RETRY_TIMEOUT'>,
  logger: Logger,
): FrameResolver | undefined {
  if (config.SCHEMA_REGISTRY_URL === '') return undefined;
  return createSchemaRegistryDecoder({
    source: registrySchemaSource(createSchemaRegistry(config.SCHEMA_REGISTRY_URL)),
    retry: { timeoutMs: config.SCHEMA_REGISTRY_RETRY_TIMEOUT },
    log: logger.child({ component: 'schema-registry' }),
  });
}
