// The one COPY writer: rows -> COPY ... FROM STDIN (text format) through pg-copy-streams.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | boolean | null | undefined | Date | object;

/** Escapes one value for COPY's text format: \N for null, backslash escapes for the rest. */
export function encodeCopyValue(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (value instanceof Date) text = value.toISOString();
  else text = JSON.stringify(value);
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

export function encodeCopyRow(values: readonly CopyValue[]): string {
  return values.map(encodeCopyValue).join('\t') + '\n';
}

/**
 * Rows as one JSON array of objects (column name -> value), for `json_populate_recordset`: the values
 * as COPY would read them. A string in one of `jsonColumns` is JSON text and goes in as it is; another
 * object there, and every value elsewhere, is JSON-encoded (a Date as its ISO text).
 */
export function encodeJsonRows(
  columns: readonly string[],
  jsonColumns: readonly string[],
  rows: readonly (readonly CopyValue[])[],
): string {
  const keys = columns.map((c) => JSON.stringify(c) + ':');
  const raw = columns.map((c) => jsonColumns.includes(c));
  let out = '[';
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    out += r === 0 ? '{' : ',{';
    for (let i = 0; i < columns.length; i++) {
      const value = row[i];
      out += (i === 0 ? '' : ',') + keys[i]!;
      out +=
        value === null || value === undefined
          ? 'null'
          : raw[i] && typeof value === 'string'
            ? value
            : JSON.stringify(value);
    }
    out += '}';
  }
  return out + ']';
}

/** Who is told how many rows were staged on a connection, by COPY or as JSON (the processor's metrics). */
const copyObservers = new WeakMap<object, (table: string, rows: number) => void>();

/** Reports every COPY made on `client` to `observer`, e.g. from the pool's 'connect' event. */
export function observeCopies(client: object, observer: (table: string, rows: number) => void): void {
  copyObservers.set(client, observer);
}

/** Tells the observer of `client` about rows staged without COPY. */
export function reportStaged(client: object, table: string, rows: number): void {
  copyObservers.get(client)?.(table, rows);
}

/** Rows per chunk written to the COPY stream (bounded memory for any batch size): COPY_CHUNK_ROWS. */
let chunkRows = 500;

/** Sets the rows per COPY chunk of this process (the processor does, from COPY_CHUNK_ROWS). */
export function setCopyChunkRows(rows: number): void {
  if (!Number.isInteger(rows) || rows < 1)
    throw new Error(`COPY chunk rows must be a positive integer: ${rows}`);
  chunkRows = rows;
}

/**
 * Streams `rows` into `table (columns)`. The table and column names are constants of this codebase
 * (never user data); they are quoted anyway.
 */
export async function copyRows(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly CopyValue[])[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const sql = `COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`;
  const stream = client.query(copyFrom(sql));
  async function* chunks() {
    const size = chunkRows;
    for (let i = 0; i < rows.length; i += size) {
      let chunk = '';
      for (const row of rows.slice(i, i + size)) chunk += encodeCopyRow(row);
      yield chunk;
    }
  }
  await pipeline(Readable.from(chunks()), stream);
  copyObservers.get(client)?.(table, rows.length);
  return rows.length;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
