// A small seeded PRNG (sfc32, seeded through splitmix32) for synthetic data: the same seed always
// gives the same sequence, on every platform, so generated programmes are reproducible.

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Turns any string or number into a 32-bit seed (FNV-1a over the text). */
export function seedOf(value: string | number): number {
  const text = String(value);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex16 = (v: number) => HEX[(v >>> 8) & 0xff]! + HEX[v & 0xff]!;
const hex32 = (v: number) => hex16(v >>> 16) + hex16(v & 0xffff);

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string = 1) {
    const mix = splitmix32(typeof seed === 'number' && Number.isInteger(seed) ? seed : seedOf(seed));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    // Warm up: the first outputs of sfc32 are weakly mixed.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** An independent stream derived from this one's seed material and a label. */
  fork(label: string | number): Random {
    return new Random(seedOf(`${this.a}:${this.b}:${this.c}:${this.d}:${label}`));
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** A uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`int(${min}, ${max}): max < min`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A uniform float in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [value, weight] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return choices[choices.length - 1]![0];
  }

  /** `count` distinct items in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    return this.shuffle([...items]).slice(0, Math.min(count, items.length));
  }

  /** Fisher-Yates, in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** An RFC 9562 version 4 UUID whose 122 random bits come from this PRNG. */
  uuid(): string {
    const a = this.uint32();
    const b = (this.uint32() & 0xffff0fff) | 0x00004000; // version nibble 4
    const c = ((this.uint32() & 0x3fffffff) | 0x80000000) >>> 0; // variant 10xx
    const d = this.uint32();
    return (
      hex32(a) +
      '-' +
      hex16(b >>> 16) +
      '-' +
      hex16(b & 0xffff) +
      '-' +
      hex16(c >>> 16) +
      '-' +
      hex16(c & 0xffff) +
      hex32(d)
    );
  }
}
