/**
 * Reads MessagePack bytes the way a decoder in another language does, keeping each number's wire
 * type: the contract says int, and a decoder that gets a float 64 hands its caller a float.
 * Only what JSON-like values use (no extension types).
 */
export interface WireNumber {
  /** Dotted path of the number in the value, e.g. `user.level` or `items.0.price`. */
  path: string;
  type: 'int' | 'float';
  value: number;
}

export function wireNumbers(bytes: Buffer): WireNumber[] {
  const numbers: WireNumber[] = [];
  let at = 0;

  const take = (n: number): number => {
    const start = at;
    at += n;
    if (at > bytes.length) throw new Error('msgpack value truncated');
    return start;
  };
  const int = (path: string, value: number | bigint): undefined => {
    numbers.push({ path, type: 'int', value: Number(value) });
    return undefined;
  };
  const float = (path: string, value: number): undefined => {
    numbers.push({ path, type: 'float', value });
    return undefined;
  };
  const skip = (length: number): undefined => {
    take(length);
    return undefined;
  };
  const readString = (length: number): string => bytes.toString('utf8', take(length), at);

  /** Records the numbers inside the value at `at`; returns the value when it is a string (map keys). */
  const readValue = (path: string): string | undefined => {
    const type = bytes[take(1)];
    if (type <= 0x7f) return int(path, type);
    if (type >= 0xe0) return int(path, type - 0x100);
    if (type >= 0x80 && type <= 0x8f) return readMap(path, type & 0x0f);
    if (type >= 0x90 && type <= 0x9f) return readArray(path, type & 0x0f);
    if (type >= 0xa0 && type <= 0xbf) return readString(type & 0x1f);
    switch (type) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        return undefined;
      case 0xc4:
        return skip(bytes[take(1)]);
      case 0xc5:
        return skip(bytes.readUInt16BE(take(2)));
      case 0xc6:
        return skip(bytes.readUInt32BE(take(4)));
      case 0xca:
        return float(path, bytes.readFloatBE(take(4)));
      case 0xcb:
        return float(path, bytes.readDoubleBE(take(8)));
      case 0xcc:
        return int(path, bytes.readUInt8(take(1)));
      case 0xcd:
        return int(path, bytes.readUInt16BE(take(2)));
      case 0xce:
        return int(path, bytes.readUInt32BE(take(4)));
      case 0xcf:
        return int(path, bytes.readBigUInt64BE(take(8)));
      case 0xd0:
        return int(path, bytes.readInt8(take(1)));
      case 0xd1:
        return int(path, bytes.readInt16BE(take(2)));
      case 0xd2:
        return int(path, bytes.readInt32BE(take(4)));
      case 0xd3:
        return int(path, bytes.readBigInt64BE(take(8)));
      case 0xd9:
        return readString(bytes[take(1)]);
      case 0xda:
        return readString(bytes.readUInt16BE(take(2)));
      case 0xdb:
        return readString(bytes.readUInt32BE(take(4)));
      case 0xdc:
        return readArray(path, bytes.readUInt16BE(take(2)));
      case 0xdd:
        return readArray(path, bytes.readUInt32BE(take(4)));
      case 0xde:
        return readMap(path, bytes.readUInt16BE(take(2)));
      case 0xdf:
        return readMap(path, bytes.readUInt32BE(take(4)));
      default:
        throw new Error(`msgpack type 0x${type.toString(16)} is not expected in a contract value`);
    }
  };
  const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
  const readArray = (path: string, length: number): undefined => {
    for (let i = 0; i < length; i += 1) readValue(join(path, String(i)));
    return undefined;
  };
  const readMap = (path: string, length: number): undefined => {
    for (let i = 0; i < length; i += 1) {
      const key = readValue(join(path, '(key)'));
      readValue(join(path, key ?? '(key)'));
    }
    return undefined;
  };

  readValue('');
  if (at !== bytes.length) throw new Error('trailing bytes after the msgpack value');
  return numbers;
}
