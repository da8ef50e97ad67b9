import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/contracts/index.ts';
import { driftedFiles, renderJsonSchemaFiles } from '../../src/contracts/json-schema.ts';

const schemasDir = fileURLToPath(new URL('../../schemas/', import.meta.url));

async function readCommitted(): Promise<Map<string, string>> {
  const names = (await readdir(schemasDir)).filter((name) => name.endsWith('.schema.json'));
  return new Map(
    await Promise.all(
      names.map(async (name) => [name, await readFile(path.join(schemasDir, name), 'utf8')] as const),
    ),
  );
}

describe('schemas/', () => {
  it('holds exactly what `npm run schemas:generate` writes', async () => {
    const expected = renderJsonSchemaFiles();
    const committed = await readCommitted();

    expect(driftedFiles(expected, committed), 'run `npm run schemas:generate`').toEqual([]);
    for (const file of expected) expect(committed.get(file.name), file.name).toBe(file.content);
  });

  it('has one flat-envelope schema per event type, the bus envelope, and the two q2q topics', () => {
    const names = renderJsonSchemaFiles().map((file) => file.name);
    expect(names).toEqual([
      ...EVENT_TYPES.map((type) => `${type}.schema.json`),
      'envelope.bus.schema.json',
      'q2q.text.requested.schema.json',
      'q2q.outcome.scored.schema.json',
    ]);
  });

  it('renders stable JSON: sorted keys, 2-space indent, trailing newline', () => {
    const [first] = renderJsonSchemaFiles();
    const content = first?.content ?? '';
    expect(content.endsWith('}\n')).toBe(true);
    expect(content.split('\n')[1]).toMatch(/^ {2}"\$comment"/);
    expect(renderJsonSchemaFiles()).toEqual(renderJsonSchemaFiles());
  });
});

describe('driftedFiles', () => {
  const expected = [
    { name: 'a.schema.json', content: '{}\n' },
    { name: 'b.schema.json', content: '{}\n' },
  ];

  it('names changed, missing and stale files', () => {
    const onDisk = new Map([
      ['a.schema.json', '{ "changed": true }\n'],
      ['old.schema.json', '{}\n'],
    ]);
    expect(driftedFiles(expected, onDisk)).toEqual(['a.schema.json', 'b.schema.json', 'old.schema.json']);
  });

  it('is empty when every file matches', () => {
    expect(driftedFiles(expected, new Map(expected.map((f) => [f.name, f.content])))).toEqual([]);
  });
});
