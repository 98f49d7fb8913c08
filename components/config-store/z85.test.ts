// Z85 (ZeroMQ RFC 32) and CURVE keys from node:crypto, checked against the RFC's test vector and the real libzmq.
import { describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { curvePublicKeyOf, generateCurveKeyPair } from "./curve-keys";
import { z85Decode, z85Encode } from "./z85";

describe("Z85", () => {
  it("encodes and decodes the RFC 32 test vector", () => {
    const bytes = Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe("HelloWorld");
    expect([...z85Decode("HelloWorld")]).toEqual([...bytes]);
  });

  it("round-trips the extremes of a 4-byte group", () => {
    for (const hex of ["00000000", "ffffffff", "00000001", "fffffffe", "7f000001"]) {
      const bytes = Buffer.from(hex, "hex");
      expect(z85Decode(z85Encode(bytes)).toString("hex")).toBe(hex);
    }
    expect(z85Encode(Buffer.alloc(4))).toBe("00000");
    expect(z85Encode(Buffer.from("ffffffff", "hex"))).toBe("%nSc0");
  });

  it("refuses what is not Z85", () => {
    expect(() => z85Encode(Buffer.alloc(3))).toThrow("4-byte groups");
    expect(() => z85Decode("Hello")).not.toThrow();
    expect(() => z85Decode("Hell")).toThrow("5-character groups");
    expect(() => z85Decode("Hell~")).toThrow("not a Z85 character");
    expect(() => z85Decode("%nSc1")).toThrow("out of range");
  });

  it("decodes and re-encodes keys made by the real libzmq byte for byte", () => {
    for (let i = 0; i < 20; i++) {
      const pair = zmq.curveKeyPair();
      expect(z85Decode(pair.secretKey)).toHaveLength(32);
      expect(z85Encode(z85Decode(pair.secretKey))).toBe(pair.secretKey);
      expect(z85Encode(z85Decode(pair.publicKey))).toBe(pair.publicKey);
    }
  });
});

describe("CURVE key pairs", () => {
  it("are 40 Z85 characters each, distinct, and the public key belongs to the secret key", () => {
    const pairs = Array.from({ length: 20 }, generateCurveKeyPair);
    for (const p of pairs) {
      expect(p.publicKey).toMatch(/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/);
      expect(p.secretKey).toHaveLength(40);
      expect(curvePublicKeyOf(p.secretKey)).toBe(p.publicKey);
    }
    expect(new Set(pairs.map((p) => p.secretKey)).size).toBe(20);
  });

  it("derive the same public key as libzmq from libzmq's own secret keys", () => {
    for (let i = 0; i < 20; i++) {
      const pair = zmq.curveKeyPair();
      expect(curvePublicKeyOf(pair.secretKey)).toBe(pair.publicKey);
    }
    expect(() => curvePublicKeyOf("HelloWorld")).toThrow("32 bytes");
  });
});
