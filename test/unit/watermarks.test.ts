// A group's lag against the topics' watermarks, as the lag gauge, the backlog gate and the caught-up
// check read it.
import { describe, expect, it } from 'vitest';
import { behind, lagOf, storedOffsets, type Watermark } from '../../src/kafka/watermarks.ts';

const mark = (partition: number, low: number, high: number): Watermark => ({
  topic: 'buddy.match.created',
  partition,
  low: BigInt(low),
  high: BigInt(high),
});
const stored = (...rows: [partition: number, next: number][]) =>
  storedOffsets(
    rows.map(([partition, next]) => ({ topic: 'buddy.match.created', partition, next_offset: String(next) })),
  );

describe('lag against the watermarks', () => {
  it('counts from the stored next offset to the high watermark', () => {
    expect(lagOf(mark(0, 0, 120), stored([0, 100]))).toBe(20);
    expect(lagOf(mark(0, 0, 120), stored([0, 120]))).toBe(0);
  });

  it('counts from the low watermark where nothing is stored (retention deleted the start)', () => {
    expect(lagOf(mark(1, 40, 120), stored([0, 100]))).toBe(80);
    expect(lagOf(mark(1, 120, 120), stored())).toBe(0);
  });

  it('counts a stored offset past the high watermark (a topic made anew) as no lag, not a negative one', () => {
    expect(lagOf(mark(0, 0, 10), stored([0, 500]))).toBe(0);
  });

  it('keys partitions by topic too', () => {
    const other = storedOffsets([{ topic: 'buddy.match.ended', partition: 0, next_offset: '120' }]);
    expect(lagOf(mark(0, 0, 120), other)).toBe(120);
  });

  it('is behind while any partition has records not applied', () => {
    const marks = [mark(0, 0, 120), mark(1, 0, 80)];
    expect(behind(marks, stored([0, 120], [1, 79]))).toBe(true);
    expect(behind(marks, stored([0, 120], [1, 80]))).toBe(false);
    expect(behind([], stored())).toBe(false);
  });
});
