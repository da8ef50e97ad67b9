import { describe, expect, it } from 'vitest';
import { encodeCopyRow, encodeCopyValue, encodeJsonRows } from '../../src/store/copy-writer.ts';

describe('COPY text encoding', () => {
  it('escapes what COPY text format treats specially and writes NULL as \\N', () => {
    expect(encodeCopyValue(null)).toBe('\\N');
    expect(encodeCopyValue(undefined)).toBe('\\N');
    expect(encodeCopyValue('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(encodeCopyValue({ note: 'line1\nline2' })).toBe('{"note":"line1\\\\nline2"}');
    expect(encodeCopyValue(0.25)).toBe('0.25');
    expect(encodeCopyRow(['x', null, true])).toBe('x\t\\N\ttrue\n');
  });

  it('JSON rows: JSON text in a jsonb column goes in as it is, everything else JSON-encoded', () => {
    const rows = [
      ['a\t"b"', '{"x":[1,2]}', { y: 'z' }, new Date('2026-01-01T00:00:00.000Z'), null],
      ['c', null, undefined, 2, true],
    ];
    const text = encodeJsonRows(['s', 'j', 'k', 't', 'n'], ['j', 'k'], rows);
    expect(JSON.parse(text)).toEqual([
      { s: 'a\t"b"', j: { x: [1, 2] }, k: { y: 'z' }, t: '2026-01-01T00:00:00.000Z', n: null },
      { s: 'c', j: null, k: null, t: 2, n: true },
    ]);
  });
});
