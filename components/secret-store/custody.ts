// Custody of the secret store's init response (unseal keys, initial root token): one file, encrypted with
// AES-256-GCM under a key derived (scrypt, per-file salt) from the stack's custody secret, written atomically
// and fsynced. No Pulumi in here. Change signatures only compatibly (old provider code in state calls them).
import { EdgeError } from "../shared/errors";
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { existsSync, renameSync, rmSync } from "node:fs";
import { readIfExists, writeFileAtomically } from "../shared/files";

export const CUSTODY_FORMAT = "edge-security-custody/1";
export const CUSTODY_FILE_MODE = 0o600;
export const CUSTODY_DIR_MODE = 0o700;
/** The custody secret must carry enough entropy for an offline attack on the file to be hopeless. */
export const MIN_CUSTODY_SECRET_LENGTH = 32;

export interface CustodyRecord {
  /** The store's address when it was initialized (informational). */
  address: string;
  initializedAt: string;
  shares: number;
  threshold: number;
  /** Unseal keys, hex, as the store returned them. */
  keys: string[];
  /** The initial root token until it has been revoked; absent after. */
  rootToken?: string;
}

export class CustodyError extends EdgeError {
  constructor(message: string) {
    super(message);
    this.name = "CustodyError";
  }
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function keyFrom(secret: string, salt: Buffer): Buffer {
  return scryptSync(secret, salt, 32, SCRYPT);
}

/** Encrypts records for one custody file: the key is derived (scrypt, a tenth of a second) when this is called, not per record. */
export type CustodySealer = (record: CustodyRecord) => string;

export function custodySealer(secret: string): CustodySealer {
  const salt = randomBytes(16);
  const key = keyFrom(secret, salt);
  return (record) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(CUSTODY_FORMAT));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(record), "utf8"), cipher.final()]);
    return `${JSON.stringify({ format: CUSTODY_FORMAT, kdf: { name: "scrypt", ...SCRYPT, maxmem: undefined, salt: salt.toString("base64") }, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), ciphertext: ciphertext.toString("base64") }, null, 2)}\n`;
  };
}

export function encryptCustody(secret: string, record: CustodyRecord): string {
  return custodySealer(secret)(record);
}

export function decryptCustody(secret: string, fileContent: string, path = "the custody file"): CustodyRecord {
  let envelope;
  try {
    envelope = JSON.parse(fileContent);
  } catch {
    throw new CustodyError(`${path} is not a custody file (not JSON)`);
  }
  if (envelope?.format !== CUSTODY_FORMAT) throw new CustodyError(`${path} is not a custody file of format ${CUSTODY_FORMAT}`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyFrom(secret, Buffer.from(envelope.kdf.salt, "base64")), Buffer.from(envelope.iv, "base64"));
    decipher.setAAD(Buffer.from(CUSTODY_FORMAT));
    decipher.setAuthTag(Buffer.from(envelope.tag, "base64"));
    const plain = Buffer.concat([decipher.update(Buffer.from(envelope.ciphertext, "base64")), decipher.final()]);
    return JSON.parse(plain.toString("utf8"));
  } catch {
    throw new CustodyError(`${path} cannot be decrypted with this stack's custody secret (wrong secret, or the file is damaged)`);
  }
}

/** Writes the record durably (temp file, fsync, rename) in a 0700 folder, 0600; `seal`: one made from `secret` before. */
export async function writeCustody(path: string, secret: string, record: CustodyRecord, seal: CustodySealer = custodySealer(secret)): Promise<void> {
  await writeFileAtomically(path, seal(record), CUSTODY_FILE_MODE, {}, CUSTODY_DIR_MODE);
}

/**
 * The note a run leaves beside the custody file before it asks the store to initialize, removed once the keys are
 * in custody: if the run is killed outright in between (the keys exist only in the store's one response), the next
 * run can say what happened instead of "no custody file". Not secret: the store's address and a time.
 */
export interface InitStarted {
  address: string;
  startedAt: string;
}

function initStartedPath(path: string): string {
  return `${path}.init-started`;
}

export async function markInitStarted(path: string, address: string): Promise<void> {
  const note: InitStarted = { address, startedAt: new Date().toISOString() };
  await writeFileAtomically(initStartedPath(path), `${JSON.stringify(note)}\n`, CUSTODY_FILE_MODE, {}, CUSTODY_DIR_MODE);
}

/** The note of an init that never reached custody, if any (one that does not parse is no note). */
export function initStarted(path: string): InitStarted | undefined {
  const content = readIfExists(initStartedPath(path));
  try {
    return content === undefined ? undefined : (JSON.parse(content) as InitStarted);
  } catch {
    return undefined;
  }
}

export function clearInitStarted(path: string): void {
  rmSync(initStartedPath(path), { force: true });
}

/** The record, or undefined when the file does not exist. A file that does not decrypt is a CustodyError. */
export function readCustody(path: string, secret: string): CustodyRecord | undefined {
  const content = readIfExists(path);
  return content === undefined ? undefined : decryptCustody(secret, content, path);
}

/**
 * Moves an existing custody file aside, to `<path>.<reason>-<UTC time>` in the same folder (never over another
 * file), and returns that name; undefined when there is no file. Keys are never overwritten: whenever other keys
 * are about to be written, or a file that does not decrypt is about to be replaced, the old file is kept.
 */
export function keepCustodyAside(path: string, reason: "superseded" | "damaged" | "replaced"): string | undefined {
  if (!existsSync(path)) return undefined;
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  let aside = `${path}.${reason}-${stamp}`;
  for (let n = 1; existsSync(aside); n++) aside = `${path}.${reason}-${stamp}-${n}`;
  renameSync(path, aside);
  return aside;
}
