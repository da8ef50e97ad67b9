// The schema registry client as buddy-stream uses it: @kafkajs/confluent-schema-registry on the Confluent
// API at SCHEMA_REGISTRY_URL (Apicurio serves it under /apis/ccompat/v7), JSON Schema of any draft Ajv
// knows, and Avro. It never retries by itself: the decoder's bounded retry is the one policy.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';

export { SchemaRegistry, SchemaType };

/** The library's host and basic auth from one URL: credentials in the URL become the auth header. */
export function registryConnection(url: string): {
  host: string;
  auth?: { username: string; password: string };
} {
  const parsed = new URL(url);
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const host = parsed.toString().replace(/\/+$/, '');
  return username === '' ? { host } : { host, auth: { username, password } };
}

export function createSchemaRegistry(url: string): SchemaRegistry {
  return new SchemaRegistry(
    { ...registryConnection(url), clientId: 'buddy-stream', retry: { retries: 0 } },
    { [SchemaType.JSON]: { ajvInstance: anyDraftAjv(), detailedErrorPaths: true } },
  );
}

/** What the registry said a schema id is (the library caches schemas by id, which never change). */
export function cachedSchemaType(registry: SchemaRegistry, schemaId: number): SchemaType | undefined {
  return registry.cache.getSchema(schemaId)?.type;
}

/**
 * An error from talking to the registry (the library's ResponseError carries the HTTP status; a network
 * failure arrives as status 400 with the socket error as message), as opposed to a schema that was
 * fetched but cannot be used (it does not compile).
 */
export function isRegistryResponseError(error: unknown): error is Error & { status: number } {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

/** The message without the library's `<client id> - ` prefix. */
export function registryErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^buddy-stream - /, '');
}

/**
 * Where a value failed its JSON Schema, from the library's validation error (`[instancePath]`, or
 * `{ path: [instancePath], message }` with detailed paths): paths and rules, never the values.
 */
export function describeValidationPaths(paths: readonly unknown[], limit = 5): string {
  return paths
    .slice(0, limit)
    .map((entry) => {
      const detailed = entry as { path?: unknown; message?: unknown };
      const path = Array.isArray(entry) ? entry : Array.isArray(detailed.path) ? detailed.path : [];
      const where = path.join('') || '/';
      return typeof detailed.message === 'string' ? `${where} ${detailed.message.slice(0, 100)}` : where;
    })
    .join('; ');
}

const AJV_OPTIONS = { strict: false, validateFormats: false } as const;

/**
 * Compiles each JSON Schema in a fresh Ajv of its own draft (`$schema`: 2020-12, 2019-09, else draft-07):
 * one Ajv cannot mix drafts, and two versions of a schema that share an `$id` must not clash. Formats are
 * not checked here: the event contracts (zod) are the authority on the values; the writer's schema only
 * has to accept what was written.
 */
function anyDraftAjv(): Ajv {
  let references: [AnySchema, string | undefined][] = [];
  const shim = {
    addSchema(schema: AnySchema, key?: string) {
      references.push([schema, key]);
      return shim;
    },
    compile(schema: AnySchema): ValidateFunction {
      const draft = typeof schema === 'object' ? String(schema.$schema ?? '') : '';
      const ajv = draft.includes('2020-12')
        ? new Ajv2020(AJV_OPTIONS)
        : draft.includes('2019-09')
          ? new Ajv2019(AJV_OPTIONS)
          : new Ajv(AJV_OPTIONS);
      for (const [reference, key] of references) ajv.addSchema(reference, key);
      references = [];
      return ajv.compile(schema);
    },
  };
  // The library only calls addSchema (for referenced schemas) and then compile.
  return shim as unknown as Ajv;
}
