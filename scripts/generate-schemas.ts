/**
 * Writes schemas/*.schema.json from the zod contracts in src/contracts.
 *
 *   tsx scripts/generate-schemas.ts           write the files
 *   tsx scripts/generate-schemas.ts --check   write nothing; exit 1 and name the files that drifted
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { driftedFiles, renderJsonSchemaFiles } from '../src/contracts/json-schema.ts';

const schemasDir = fileURLToPath(new URL('../schemas/', import.meta.url));

async function readSchemaDir(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(schemasDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw error;
  }
  for (const name of names.filter((n) => n.endsWith('.schema.json'))) {
    files.set(name, await readFile(path.join(schemasDir, name), 'utf8'));
  }
  return files;
}

async function main(argv: readonly string[]): Promise<number> {
  const expected = renderJsonSchemaFiles();
  const drifted = driftedFiles(expected, await readSchemaDir());
  if (argv.includes('--check')) {
    if (drifted.length === 0) {
      console.log(`schemas/ is up to date (${expected.length} files).`);
      return 0;
    }
    console.error(`schemas/ drifted from src/contracts; run \`npm run schemas:generate\`:`);
    for (const name of drifted) console.error(`  schemas/${name}`);
    return 1;
  }
  await mkdir(schemasDir, { recursive: true });
  const expectedNames = new Set(expected.map((file) => file.name));
  for (const name of drifted.filter((n) => !expectedNames.has(n))) await rm(path.join(schemasDir, name));
  for (const file of expected) await writeFile(path.join(schemasDir, file.name), file.content);
  console.log(`wrote ${expected.length} files to schemas/ (${drifted.length} changed)`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
