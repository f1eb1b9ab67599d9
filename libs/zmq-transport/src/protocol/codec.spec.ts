import { MsgpackCodec } from './codec';

/** The msgpack type byte of one encoded scalar. */
function typeByte(value: unknown): number {
  return MsgpackCodec.encode(value)[0];
}

const FLOAT64 = 0xcb;
const INT64 = 0xd3;

describe('MessagePack codec', () => {
  it('writes every safe integer with an int type, never a float', () => {
    expect(typeByte(7)).toBe(7); // positive fixint
    expect(typeByte(-3)).toBe(0xfd); // negative fixint
    expect(typeByte(300)).toBe(0xcd); // uint 16
    expect(typeByte(0xffffffff)).toBe(0xce); // uint 32
    expect(typeByte(-0x80000000)).toBe(0xd2); // int 32
    for (const wide of [
      0x1_0000_0000,
      1_765_000_000_000,
      Number.MAX_SAFE_INTEGER,
      -0x80000001,
      Number.MIN_SAFE_INTEGER,
    ]) {
      expect(typeByte(wide)).toBe(INT64);
      expect(MsgpackCodec.decode(MsgpackCodec.encode(wide))).toBe(wide);
    }
  });

  it('keeps fractions and integers beyond 2^53 as float 64', () => {
    expect(typeByte(1.5)).toBe(FLOAT64);
    expect(typeByte(2 ** 60)).toBe(FLOAT64);
    expect(typeByte(Number.NaN)).toBe(FLOAT64);
  });

  it('widens integers nested in objects and arrays without touching the caller value', () => {
    const value = { at: 1_765_000_000_123, list: [1, 2 ** 40, { n: -(2 ** 35) }], ratio: 0.25, name: 'x' };
    const bytes = MsgpackCodec.encode(value);
    expect(bytes.includes(FLOAT64)).toBe(true); // the ratio
    expect(bytes.filter((b) => b === INT64).length).toBeGreaterThanOrEqual(3);
    expect(MsgpackCodec.decode(bytes)).toEqual(value);
    expect(typeof value.at).toBe('number');
  });

  it('reads 64-bit integers from other encoders as numbers', () => {
    const uint64 = Buffer.from([0xcf, 0, 0, 0x01, 0x9a, 0xe6, 0x1c, 0x2b, 0x00]);
    expect(MsgpackCodec.decode(uint64)).toBe(0x019ae61c2b00);
    const int64 = Buffer.from([0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    expect(MsgpackCodec.decode(int64)).toBe(-2);
  });
});
