import { describe, expect, it } from 'vitest';
import { encodeCopyRow, encodeCopyValue } from '../../src/store/copy-writer.ts';

describe('COPY text encoding', () => {
  it('escapes what COPY text format treats specially and writes NULL as \\N', () => {
    expect(encodeCopyValue(null)).toBe('\\N');
    expect(encodeCopyValue(undefined)).toBe('\\N');
    expect(encodeCopyValue('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(encodeCopyValue({ note: 'line1\nline2' })).toBe('{"note":"line1\\\\nline2"}');
    expect(encodeCopyValue(0.25)).toBe('0.25');
    expect(encodeCopyRow(['x', null, true])).toBe('x\t\\N\ttrue\n');
  });
});
