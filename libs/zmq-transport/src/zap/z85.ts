/** ZeroMQ's Z85 alphabet (RFC 32), in which CURVE keys are written. */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const DECODER = new Map<string, number>([...ALPHABET].map((char, index) => [char, index]));

/** Z85 text of bytes whose length is a multiple of 4 (a 32-byte key gives 40 characters). */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new Error('z85: length must be a multiple of 4');
  let text = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
    let chunk = '';
    for (let d = 0; d < 5; d += 1) {
      chunk = ALPHABET[value % 85] + chunk;
      value = Math.floor(value / 85);
    }
    text += chunk;
  }
  return text;
}

/** The bytes of Z85 text whose length is a multiple of 5; throws on any other character. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new Error('z85: length must be a multiple of 5');
  const bytes = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let d = 0; d < 5; d += 1) {
      const digit = DECODER.get(text[i + d]);
      if (digit === undefined) throw new Error('z85: not a Z85 character');
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new Error('z85: chunk out of range');
    bytes.writeUInt32BE(value, o);
  }
  return bytes;
}
