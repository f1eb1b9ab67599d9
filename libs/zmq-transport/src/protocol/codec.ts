import { Packr } from 'msgpackr';
import { CodecId } from './command';
import { FrameError } from './frames';

/** Encodes and decodes message bodies. JSON by default (readable in any language); msgpack on request. */
export interface BodyCodec {
  readonly id: CodecId;
  encode(value: unknown): Buffer;
  decode(buf: Buffer): unknown;
}

const EMPTY = Buffer.alloc(0);

export const JsonCodec: BodyCodec = {
  id: CodecId.JSON,
  // undefined (a void handler) travels as an empty body.
  encode: (value) => (value === undefined ? EMPTY : Buffer.from(JSON.stringify(value))),
  decode: (buf) => (buf.length === 0 ? undefined : JSON.parse(buf.toString('utf8'))),
};

// int64AsType 'number': a 64-bit integer from another language's encoder decodes as a number (a
// BigInt would fail every int contract); beyond 2^53 it is rounded, so larger ids travel as strings.
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });

/**
 * msgpackr writes a number that does not fit 32 bits as float64, even an integer such as a
 * millisecond timestamp; a decoder in another language then hands out a float where the contract
 * says int. Such integers go out as BigInts, which msgpackr writes as int 64.
 */
function widenIntegers(value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && (value > 0xffffffff || value < -0x80000000) ? BigInt(value) : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const wide = widenIntegers(item);
      if (wide !== item) {
        copy ??= value.slice();
        copy[i] = wide;
      }
    }
    return copy ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const wide = widenIntegers(item);
    if (wide !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = wide;
    }
  }
  return copy ?? value;
}

/** Integers travel as msgpack int types (never float), whatever their size. */
export const MsgpackCodec: BodyCodec = {
  id: CodecId.MSGPACK,
  encode: (value) => (value === undefined ? EMPTY : packr.pack(widenIntegers(value))),
  decode: (buf) => (buf.length === 0 ? undefined : packr.unpack(buf)),
};

export function codecById(id: number): BodyCodec {
  if (id === CodecId.JSON) return JsonCodec;
  if (id === CodecId.MSGPACK) return MsgpackCodec;
  throw new FrameError(`unknown codec ${id}`);
}
