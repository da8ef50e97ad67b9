// The value bytes of a record buddy-stream publishes: plain JSON, or, with OUTPUT_FRAMED=true, Confluent-
// framed under the latest schema registered for the topic (`schemas register`). Only topics with a schema in
// schemas/ are framed; the others, and dead letters (always the original bytes), stay as they are.
import type { Config } from '../config.ts';
import { BuddyStreamError } from '../errors.ts';
import {
  createSchemaRegistry,
  describeValidationPaths,
  registryErrorMessage,
  type SchemaRegistry,
} from './schema-registry.ts';
import { schemaSubjects, subjectOf } from './schema-subjects.ts';

export interface OutputEncoder {
  /**
   * Throws a BuddyStreamError: `schema_unavailable` (retriable) when the topic's subject cannot be read from
   * the registry, `schema_violation` (not retriable) when the value does not match the registered schema.
   */
  encodeForTopic(topic: string, value: unknown): Promise<Buffer>;
}

/** How long the latest schema id of a subject is reused before it is looked up again. */
const LATEST_ID_TTL_MS = 5 * 60_000;

type EncoderSettings = Parameters<typeof schemaSubjects>[0] &
  Pick<Config, 'OUTPUT_FRAMED' | 'SCHEMA_REGISTRY_URL'>;

export function createOutputEncoder(
  config: EncoderSettings,
  registry: SchemaRegistry | undefined = config.OUTPUT_FRAMED
    ? createSchemaRegistry(config.SCHEMA_REGISTRY_URL)
    : undefined,
): OutputEncoder {
  const plain = (value: unknown) => Buffer.from(JSON.stringify(value));
  if (!config.OUTPUT_FRAMED || !registry) return { encodeForTopic: async (_topic, value) => plain(value) };
  const framedTopics = new Set(schemaSubjects(config).map((s) => s.topic));
  const latestIds = new Map<string, { id: Promise<number>; at: number }>();

  function latestId(subject: string): Promise<number> {
    const cached = latestIds.get(subject);
    if (cached && performance.now() - cached.at < LATEST_ID_TTL_MS) return cached.id;
    const id = registry!.getLatestSchemaId(subject);
    latestIds.set(subject, { id, at: performance.now() });
    id.catch(() => latestIds.delete(subject));
    return id;
  }

  return {
    async encodeForTopic(topic, value) {
      if (!framedTopics.has(topic)) return plain(value);
      const subject = subjectOf(topic);
      let schemaId: number;
      try {
        schemaId = await latestId(subject);
      } catch (error) {
        const why = `no schema for ${subject} from the registry (run \`buddy-stream schemas register\`): ${registryErrorMessage(error)}`;
        throw new BuddyStreamError('schema_unavailable', why, { retriable: true, cause: error });
      }
      try {
        return await registry.encode(schemaId, value);
      } catch (error) {
        const paths = (error as { paths?: unknown }).paths;
        const where = Array.isArray(paths) ? `: ${describeValidationPaths(paths)}` : '';
        const why = `value for ${topic} does not match schema id ${schemaId}${where}`;
        throw new BuddyStreamError('schema_violation', why, { cause: error });
      }
    },
  };
}
