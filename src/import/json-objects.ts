// Splits a JSON export into its top-level objects as they stream in: a JSON array of objects
// (`[{...}, {...}]`) or NDJSON (one object per line). Only the object being read is in memory, so an
// export of any size parses in bounded memory; each object comes with the line it starts on.
import type { Readable } from 'node:stream';

export interface JsonObjectText {
  line: number;
  text: string;
}

export class JsonSplitError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Yields the text of each top-level object; throws JsonSplitError at the line of a structural error. */
export async function* splitJsonObjects(input: Readable): AsyncGenerator<JsonObjectText> {
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = 0;
  let startLine = 0;
  let current = '';
  let arrayOpen = false;
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
        } else if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            yield { line: startLine, text: current + text.slice(start, i + 1) };
            current = '';
          }
        }
        continue;
      }
      // Between objects: whitespace, commas, the enclosing array's brackets, a byte-order mark.
      if (c === 123) {
        depth = 1;
        start = i;
        startLine = line;
        current = '';
      } else if (c === 91 && !arrayOpen) arrayOpen = true;
      else if (c === 93 && arrayOpen) arrayOpen = false;
      else if (!(c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 0xfeff)) {
        throw new JsonSplitError(line, 'expected an object, an array of objects, or one object per line');
      }
    }
    if (depth > 0) {
      current += text.slice(start);
      if (current.length > 16 * 1024 * 1024)
        throw new JsonSplitError(startLine, 'object larger than 16 MB (an unclosed brace?)');
    }
  }
  if (depth > 0) throw new JsonSplitError(startLine, 'the file ends inside an object');
}
