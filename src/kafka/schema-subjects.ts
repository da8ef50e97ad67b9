// Which registry subject each topic's values are registered under (TopicNameStrategy: `<topic>-value`) and
// the schema file behind it: schemas/<event type>.schema.json for every buddy.* topic (with TOPIC_PREFIX),
// schemas/<logical topic>.schema.json for each output topic that has one. Pure but for reading schemas/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import { EVENT_TYPES } from '../contracts/index.ts';
import { schemaFileName } from '../contracts/json-schema.ts';

export const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export interface SchemaSubject {
  topic: string;
  subject: string;
  /** The JSON Schema file registered under the subject. */
  file: string;
}

type TopicSettings = Pick<
  Config,
  | 'TOPIC_PREFIX'
  | 'Q2Q_TEXT_TOPIC'
  | 'Q2Q_SCORES_TOPIC'
  | 'JOURNEY_FLAG_TOPIC'
  | 'JOURNEY_MILESTONE_TOPIC'
  | 'ERASURE_TOPIC'
>;

export const subjectOf = (topic: string): string => `${topic}-value`;

export function schemaSubjects(config: TopicSettings, dir = SCHEMAS_DIR): SchemaSubject[] {
  // Output schema files are named after the default (logical) topic; the topic itself is configurable.
  const outputs: [logical: string, topic: string][] = [
    ['q2q.text.requested', config.Q2Q_TEXT_TOPIC],
    ['q2q.outcome.scored', config.Q2Q_SCORES_TOPIC],
    ['journey.flag.changed', config.JOURNEY_FLAG_TOPIC],
    ['journey.milestone.reached', config.JOURNEY_MILESTONE_TOPIC],
    ['privacy.erasure.requested', config.ERASURE_TOPIC],
  ];
  const topics = [
    ...EVENT_TYPES.map((type) => ({
      topic: config.TOPIC_PREFIX + type,
      file: path.join(dir, schemaFileName(type)),
    })),
    ...outputs
      .map(([logical, topic]) => ({ topic, file: path.join(dir, `${logical}.schema.json`) }))
      .filter((output) => existsSync(output.file)),
  ];
  return topics.map((t) => ({ ...t, subject: subjectOf(t.topic) }));
}

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';
/** Keywords that draft-07 does not know or reads differently from 2020-12. */
const DRAFT_2020_ONLY = new Set([
  'prefixItems',
  'unevaluatedProperties',
  'unevaluatedItems',
  'dependentSchemas',
  'dependentRequired',
  'minContains',
  'maxContains',
  '$dynamicRef',
  '$dynamicAnchor',
  '$recursiveRef',
  '$anchor',
]);
/** Keywords whose values map names to schemas (their keys are names, not keywords). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Siblings of `$ref` that draft-07 may ignore without changing what validates. */
const ANNOTATIONS = new Set([
  '$ref',
  'description',
  'title',
  '$comment',
  'default',
  'examples',
  'deprecated',
]);

/**
 * A JSON Schema as it is registered: the compatibility checkers of the Confluent-compatible registries
 * (Apicurio's included) know drafts 4 to 7 and fail on 2020-12 ("could not determine version"). Our files
 * use nothing that means something else in draft-07, so they are registered as draft-07; a schema that did
 * is refused here instead of being checked wrongly.
 */
export function registrySchemaText(text: string, file: string): string {
  const schema = JSON.parse(text) as Record<string, unknown>;
  if (!String(schema.$schema ?? '').includes('2020-12')) return text;
  const found = new Set<string>();
  collectDraft2020Only(schema, found);
  if (found.size > 0) {
    throw new Error(
      `${path.basename(file)} uses ${[...found].join(', ')}, which draft-07 reads differently: the registry could not check its compatibility`,
    );
  }
  return JSON.stringify({ ...schema, $schema: DRAFT_07 });
}

function collectDraft2020Only(schema: unknown, found: Set<string>): void {
  if (Array.isArray(schema)) return schema.forEach((item) => collectDraft2020Only(item, found));
  if (schema === null || typeof schema !== 'object') return;
  const keys = Object.keys(schema);
  if (keys.includes('$ref') && keys.some((k) => !ANNOTATIONS.has(k))) found.add('$ref with sibling keywords');
  for (const [key, value] of Object.entries(schema)) {
    if (DRAFT_2020_ONLY.has(key)) found.add(key);
    if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object') {
      for (const sub of Object.values(value)) collectDraft2020Only(sub, found);
    } else if (typeof value === 'object') collectDraft2020Only(value, found);
  }
}
