// The few calls of the Confluent schema registry REST API that `schemas register` makes (compatibility
// level, compatibility check, latest version, register), with the registry's own message on failure.
import { BuddyStreamError } from '../errors.ts';
import { registryConnection } from './schema-registry.ts';

export type CompatibilityLevel = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FULL' | 'NONE';

export interface RegisteredVersion {
  id: number;
  version: number;
}

export interface RegistryAdmin {
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /** Whether `schema` may follow the subject's latest version under the subject's compatibility level. */
  checkCompatibility(subject: string, schema: string): Promise<{ compatible: boolean; messages: string[] }>;
  latestVersion(subject: string): Promise<RegisteredVersion | undefined>;
  /** Registers `schema` (a no-op returning the same id when it is registered already). */
  register(subject: string, schema: string): Promise<number>;
  /** Deletes the subject, soft then permanently (tests clean up with it). */
  deleteSubject(subject: string): Promise<void>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const SUBJECT_NOT_FOUND = 40401;
const VERSION_NOT_FOUND = 40402;

export class RegistryRequestError extends BuddyStreamError {
  constructor(
    readonly status: number,
    readonly errorCode: number | undefined,
    message: string,
  ) {
    super('schema_registry', message, { retriable: status >= 500 || status === 0 });
  }
}

export function createRegistryAdmin(url: string, timeoutMs = 15_000): RegistryAdmin {
  const { host, auth } = registryConnection(url);
  const authorization = auth
    ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
    : undefined;

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${host}${path}`, {
        method,
        headers: {
          accept: `${CONTENT_TYPE}, application/json`,
          ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE }),
          ...(authorization ? { authorization } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const { cause } = error as { cause?: { code?: string; message?: string } };
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new RegistryRequestError(
        0,
        undefined,
        `${method} ${path}: no answer from the schema registry (${why})`,
      );
    }
    const text = await response.text();
    const json = parseObject(text);
    if (!response.ok) {
      const code = typeof json.error_code === 'number' ? json.error_code : undefined;
      const message = typeof json.message === 'string' ? json.message : text.slice(0, 300);
      throw new RegistryRequestError(
        response.status,
        code,
        `${method} ${path}: ${response.status} ${message}`,
      );
    }
    return json as T;
  }

  const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;
  const notFound = (error: unknown) =>
    error instanceof RegistryRequestError &&
    (error.errorCode === SUBJECT_NOT_FOUND || error.errorCode === VERSION_NOT_FOUND || error.status === 404);

  return {
    async setCompatibility(subject, level) {
      await request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
    },
    async checkCompatibility(subject, schema) {
      try {
        const answer = await request<{ is_compatible?: boolean; messages?: unknown }>(
          'POST',
          `/compatibility${subjectPath(subject)}/versions/latest?verbose=true`,
          { schemaType: 'JSON', schema },
        );
        const messages = Array.isArray(answer.messages) ? answer.messages.map(String) : [];
        return { compatible: answer.is_compatible === true, messages };
      } catch (error) {
        // Confluent's registry answers 404 for a subject without versions: nothing to be compatible with.
        if (notFound(error)) return { compatible: true, messages: [] };
        throw error;
      }
    },
    async latestVersion(subject) {
      try {
        const answer = await request<RegisteredVersion>('GET', `${subjectPath(subject)}/versions/latest`);
        return { id: answer.id, version: answer.version };
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    async register(subject, schema) {
      const answer = await request<{ id: number }>('POST', `${subjectPath(subject)}/versions`, {
        schemaType: 'JSON',
        schema,
      });
      return answer.id;
    },
    async deleteSubject(subject) {
      for (const suffix of ['', '?permanent=true']) {
        await request('DELETE', `${subjectPath(subject)}${suffix}`).catch((error: unknown) => {
          if (!notFound(error)) throw error;
        });
      }
    },
  };
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
