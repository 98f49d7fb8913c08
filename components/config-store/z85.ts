// Z85, ZeroMQ's base-85 text encoding of binary keys (ZeroMQ RFC 32/Z85). No Pulumi in here.
// Written here because npm's only Z85 package is unmaintained; checked against the RFC's test vector and
// against keys made by the real libzmq (components/config-store/z85.test.ts).

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/** Encodes bytes whose length is a multiple of 4 into 5 characters per 4 bytes. */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw new Error(`Z85 encodes whole 4-byte groups; got ${data.length} bytes`);
  let text = "";
  for (let i = 0; i < data.length; i += 4) {
    let value = ((data[i] << 24) >>> 0) + (data[i + 1] << 16) + (data[i + 2] << 8) + data[i + 3];
    let group = "";
    for (let j = 0; j < 5; j++, value = Math.floor(value / 85)) group = ALPHABET[value % 85] + group;
    text += group;
  }
  return text;
}

/** Decodes Z85 text (a multiple of 5 characters from the Z85 alphabet) into bytes. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new Error(`Z85 text comes in 5-character groups; got ${text.length} characters`);
  const bytes = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = ALPHABET.indexOf(text[i + j]);
      if (digit < 0) throw new Error(`${JSON.stringify(text[i + j])} is not a Z85 character`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new Error(`Z85 group ${JSON.stringify(text.slice(i, i + 5))} is out of range`);
    bytes.writeUInt32BE(value, (i / 5) * 4);
  }
  return bytes;
}
