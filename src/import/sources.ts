// The Buddy Program's export files in a directory, and their rows as a stream: CSV through csv-parse
// (header row, quoted fields, BOM), JSON as an array of objects or NDJSON. One row in memory at a time.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { JsonSplitError, splitJsonObjects } from './json-objects.ts';

/** The export files, in the order they are published (people before matches before activities). */
export const EXPORT_KINDS = [
  'users',
  'matches',
  'events',
  'checkins',
  'feedback',
  'skill_sessions',
  'milestones',
] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

const FORMATS: Record<string, 'csv' | 'json'> = { csv: 'csv', json: 'json', ndjson: 'json', jsonl: 'json' };

export interface ExportFile {
  kind: ExportKind;
  name: string;
  path: string;
  format: 'csv' | 'json';
  bytes: number;
}

export interface SourceRow {
  line: number;
  /** Column name -> text (CSV), or the parsed object (JSON). */
  row: Record<string, unknown>;
}

/** A row the reader could not even split into fields: reported like a bad row. */
export interface UnreadableRow {
  line: number;
  unreadable: string;
}

/** Finds `<kind>.csv|json|ndjson|jsonl` in `dir`; other files are returned as ignored. */
export async function findExportFiles(dir: string): Promise<{ files: ExportFile[]; ignored: string[] }> {
  const names = (await readdir(dir)).sort();
  const files: ExportFile[] = [];
  const ignored: string[] = [];
  for (const name of names) {
    const match = /^([a-z_]+)\.(csv|json|ndjson|jsonl)$/i.exec(name);
    const kind = match?.[1]!.toLowerCase() as ExportKind | undefined;
    if (!match || !kind || !EXPORT_KINDS.includes(kind)) {
      ignored.push(name);
      continue;
    }
    const existing = files.find((f) => f.kind === kind);
    if (existing) throw new Error(`two exports of ${kind} in ${dir}: ${existing.name} and ${name}`);
    const path = join(dir, name);
    files.push({
      kind,
      name,
      path,
      format: FORMATS[match[2]!.toLowerCase()]!,
      bytes: (await stat(path)).size,
    });
  }
  files.sort((a, b) => EXPORT_KINDS.indexOf(a.kind) - EXPORT_KINDS.indexOf(b.kind));
  return { files, ignored };
}

export interface ReadOptions {
  /** Told the bytes read so far (progress). */
  onBytes?: (bytes: number) => void;
  /** Fed every byte of the file, e.g. a hash of the import's content. */
  hash?: ReturnType<typeof createHash>;
}

/** The rows of one export file, in file order. */
export async function* readRows(
  file: ExportFile,
  options: ReadOptions = {},
): AsyncGenerator<SourceRow | UnreadableRow> {
  let read = 0;
  // Counts and hashes the bytes on their way to the parser.
  const counted = createReadStream(file.path, { highWaterMark: 256 * 1024 }).pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        read += chunk.length;
        options.hash?.update(chunk);
        options.onBytes?.(read);
        done(null, chunk);
      },
    }),
  );
  if (file.format === 'csv') yield* readCsv(counted);
  else yield* readJson(counted);
}

async function* readCsv(input: Readable): AsyncGenerator<SourceRow | UnreadableRow> {
  const skipped: UnreadableRow[] = [];
  const parser = input.pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: false,
      skip_records_with_error: true,
      on_skip: (error) => {
        // The parser's code names the problem (e.g. CSV_RECORD_INCONSISTENT_FIELDS_LENGTH); its
        // message would quote the row, so it is not used.
        skipped.push({
          line: (error as { lines?: number } | undefined)?.lines ?? 0,
          unreadable: error?.code ?? 'malformed CSV',
        });
        return undefined;
      },
    }),
  );
  for await (const item of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    yield { line: item.info.lines, row: item.record };
  }
  while (skipped.length > 0) yield skipped.shift()!;
}

async function* readJson(input: Readable): AsyncGenerator<SourceRow | UnreadableRow> {
  input.setEncoding('utf8');
  try {
    for await (const { line, text } of splitJsonObjects(input)) {
      let row: unknown;
      try {
        row = JSON.parse(text);
      } catch {
        yield { line, unreadable: 'not valid JSON' } as UnreadableRow;
        continue;
      }
      yield { line, row: row as Record<string, unknown> } as SourceRow;
    }
  } catch (error) {
    if (!(error instanceof JsonSplitError)) throw error;
    yield { line: error.line, unreadable: error.message } as UnreadableRow;
  }
}

export function isUnreadable(row: SourceRow | UnreadableRow): row is UnreadableRow {
  return 'unreadable' in row;
}

export function newContentHash(): ReturnType<typeof createHash> {
  return createHash('sha256');
}
