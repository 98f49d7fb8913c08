// ZeroMQ CURVE key pairs (Curve25519) as ZeroMQ writes them: 40 Z85 characters per key. No Pulumi in here.
// node:crypto's X25519 is the same function libzmq's CURVE uses (crypto_box / crypto_scalarmult).
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { z85Decode, z85Encode } from "./z85";

export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

const rawKey = (jwkPart: string | undefined): Buffer => Buffer.from(jwkPart ?? "", "base64url");
// PKCS#8 wrapping of a raw 32-byte X25519 private key (RFC 8410): this prefix, then the key.
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

export function generateCurveKeyPair(): CurveKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  return { publicKey: z85Encode(rawKey(publicKey.export({ format: "jwk" }).x)), secretKey: z85Encode(rawKey(privateKey.export({ format: "jwk" }).d)) };
}

/** The public key that belongs to a Z85 secret key (throws on a malformed key). */
export function curvePublicKeyOf(secretKey: string): string {
  const d = z85Decode(secretKey);
  if (d.length !== 32) throw new Error("a CURVE secret key is 32 bytes (40 Z85 characters)");
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, d]), format: "der", type: "pkcs8" });
  return z85Encode(rawKey(createPublicKey(privateKey).export({ format: "jwk" }).x));
}
