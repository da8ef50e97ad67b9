// `buddy-stream schemas register`: registers schemas/*.schema.json as JSON Schema subjects `<topic>-value`
// for every buddy.* topic and each output topic that has a schema, under BACKWARD compatibility. All or
// nothing: when one schema would break its subject, nothing is registered and the command fails.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, redactUrl, type Config } from '../config.ts';
import type { Logger } from '../ops/logger.ts';
import {
  createRegistryAdmin,
  type CompatibilityLevel,
  type RegistryAdmin,
} from '../kafka/schema-registry-admin.ts';
import { registrySchemaText, schemaSubjects, type SchemaSubject } from '../kafka/schema-subjects.ts';

export const COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export interface SchemasRegisterDeps {
  /** Where the *.schema.json files are (default schemas/). */
  schemasDir?: string;
  admin?: RegistryAdmin;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export async function schemasRegisterCommand(
  config: Config,
  logger: Logger,
  { schemasDir, admin, out = stdout, err = stderr }: SchemasRegisterDeps = {},
): Promise<number> {
  if (config.SCHEMA_REGISTRY_URL === '') {
    throw new ConfigError(['SCHEMA_REGISTRY_URL: `schemas register` needs the schema registry URL']);
  }
  const registry = admin ?? createRegistryAdmin(config.SCHEMA_REGISTRY_URL);
  const planned = schemaSubjects(config, schemasDir).map((s) => ({
    ...s,
    schema: registrySchemaText(readFileSync(s.file, 'utf8'), s.file),
  }));

  // First every check, so that a breaking change leaves the registry as it was.
  const breaking: string[] = [];
  const latest = new Map<string, Awaited<ReturnType<RegistryAdmin['latestVersion']>>>();
  for (const s of planned) {
    await registry.setCompatibility(s.subject, COMPATIBILITY);
    const current = await registry.latestVersion(s.subject);
    latest.set(s.subject, current);
    if (!current) continue;
    const { compatible, messages } = await registry.checkCompatibility(s.subject, s.schema);
    if (!compatible) breaking.push(describeBreak(s, current, messages));
  }
  if (breaking.length > 0) {
    for (const line of breaking) err(`schemas register: breaking change: ${line}`);
    err(
      `schemas register: nothing registered. Consumers of a ${COMPATIBILITY} subject must still read the ` +
        'records already written: make the change compatible, or publish it on a new topic.',
    );
    return 1;
  }

  let added = 0;
  for (const s of planned) {
    const id = await registry.register(s.subject, s.schema);
    const before = latest.get(s.subject);
    const state = before === undefined ? 'new' : before.id === id ? 'unchanged' : 'new version';
    if (state !== 'unchanged') added++;
    out(`${s.subject}: schema id ${id} (${state})`);
  }
  logger.info(
    { registry: redactUrl(config.SCHEMA_REGISTRY_URL), subjects: planned.length, added },
    'schemas registered',
  );
  out(`schemas register: ${planned.length} subjects, ${added} registered, compatibility ${COMPATIBILITY}`);
  return 0;
}

function describeBreak(
  s: SchemaSubject,
  current: { id: number; version: number },
  messages: string[],
): string {
  const details = messages.length > 0 ? `: ${messages.join('; ')}` : '';
  return (
    `${s.subject}: schemas/${path.basename(s.file)} is not ${COMPATIBILITY}-compatible with version ` +
    `${current.version} (schema id ${current.id}) in the registry${details}`
  );
}

const stdout = (line: string) => process.stdout.write(`${line}\n`);
const stderr = (line: string) => process.stderr.write(`${line}\n`);
