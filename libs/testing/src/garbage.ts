/** A deterministic PRNG (mulberry32) in [0, 1), so a fuzz failure replays from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The random pieces the malformed-frame fuzzers build their garbage from, all drawn from one PRNG
 * (`prng(seed)`), so the messages of a failing run replay from its seed. What makes a message
 * malformed is each protocol's own business: its fuzzer combines these with its encoders.
 */
export class Garbage {
  constructor(readonly random: () => number) {}

  /** An integer in 0..n-1. */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A strict prefix of `buf` (possibly empty). */
  truncated(buf: Buffer): Buffer {
    return buf.subarray(0, this.int(buf.length));
  }

  /** 0 to 4 random bytes that are never a header of `version` (2 bytes, the version first). */
  notAHeader(version: number): Buffer {
    const h = this.bytes(this.int(5));
    if (h.length === 2 && h[0] === version) h[0] = (version + 1 + this.int(255)) & 0xff;
    return h;
  }
}
