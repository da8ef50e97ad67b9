import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { EVENT_TYPES } from '../../src/contracts/index.ts';
import { registrySchemaText, schemaSubjects, SCHEMAS_DIR } from '../../src/kafka/schema-subjects.ts';

describe('schemaSubjects', () => {
  const config = loadConfig({ TOPIC_PREFIX: 'staging.', Q2Q_TEXT_TOPIC: 'q2q.text.staging' });
  const subjects = schemaSubjects(config);

  it('names <topic>-value for every buddy.* topic, with the prefix, and its schema file', () => {
    for (const type of EVENT_TYPES) {
      expect(subjects).toContainEqual({
        topic: `staging.${type}`,
        subject: `staging.${type}-value`,
        file: path.join(SCHEMAS_DIR, `${type}.schema.json`),
      });
    }
  });

  it('adds the output topics that have a schema, under their configured names', () => {
    const outputs = subjects.filter((s) => !s.topic.startsWith('staging.buddy.'));
    for (const s of subjects) expect(existsSync(s.file), s.file).toBe(true);
    expect(outputs.every((s) => !s.subject.startsWith('staging.'))).toBe(true);
    if (existsSync(path.join(SCHEMAS_DIR, 'q2q.text.requested.schema.json'))) {
      expect(outputs.map((s) => s.subject)).toContain('q2q.text.staging-value');
    }
  });
});

describe('registrySchemaText', () => {
  it('registers every generated schema as draft-07, since registries check compatibility of drafts 4 to 7', () => {
    const files = readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.schema.json'));
    expect(files.length).toBeGreaterThan(EVENT_TYPES.length);
    for (const file of files) {
      const text = readFileSync(path.join(SCHEMAS_DIR, file), 'utf8');
      const registered = JSON.parse(registrySchemaText(text, file)) as Record<string, unknown>;
      const { $schema, ...rest } = JSON.parse(text) as Record<string, unknown>;
      expect($schema).toContain('2020-12');
      expect(registered.$schema).toBe('http://json-schema.org/draft-07/schema#');
      expect({ ...registered, $schema: undefined }).toEqual({ ...rest, $schema: undefined });
    }
  });

  it('refuses a 2020-12 schema that draft-07 would read differently, and leaves other drafts alone', () => {
    const schema = (body: object) =>
      JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...body });
    expect(() => registrySchemaText(schema({ prefixItems: [{ type: 'string' }] }), 'a.schema.json')).toThrow(
      'a.schema.json uses prefixItems, which draft-07 reads differently',
    );
    expect(() =>
      registrySchemaText(
        schema({ properties: { x: { $ref: '#/$defs/u', maxLength: 3 } }, $defs: { u: {} } }),
        'b.schema.json',
      ),
    ).toThrow('$ref with sibling keywords');
    // A property that happens to be named like a keyword is a name, not the keyword.
    expect(() =>
      registrySchemaText(schema({ properties: { prefixItems: { type: 'string' } } }), 'c'),
    ).not.toThrow();
    const draft7 = JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' });
    expect(registrySchemaText(draft7, 'd')).toBe(draft7);
  });
});
