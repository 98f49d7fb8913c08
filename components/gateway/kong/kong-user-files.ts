// A gateway user's own folder (0700): the JWT private key (0600), made here and never leaving the folder, the
// JWT settings the token command reads, and the OAuth2 client credentials. No Pulumi in here. Providers call
// these at run time, also from older provider code stored in a stack's state: change signatures only compatibly.
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from "node:crypto";
import { join } from "node:path";
import { Owner, readIfExists, removeDirIfEmpty, removeFile, SECRET_FILE_MODE, writeFileAtomically } from "../../shared/files";

export const USER_FILES = {
  jwtKey: "jwt-private.pem",
  jwtSettings: "jwt.json",
  oauth2: "oauth2-client.json",
} as const;

/** What the token command needs besides the private key (nothing secret). */
export interface JwtSettings {
  /** The credential's key in Kong: the token's `iss`. */
  key: string;
  algorithm: string;
  /** Kong refuses a token whose exp is further away than this. */
  maximumExpirationSeconds: number;
}

function generate(algorithm: string): KeyObject {
  if (algorithm === "ES256") return generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  if (algorithm === "ES384") return generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey;
  if (algorithm === "RS256") return generateKeyPairSync("rsa", { modulusLength: 3072 }).privateKey;
  throw new Error(`unsupported JWT algorithm ${algorithm}`);
}

function fits(key: KeyObject, algorithm: string): boolean {
  if (algorithm === "RS256") return key.asymmetricKeyType === "rsa";
  return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === (algorithm === "ES256" ? "prime256v1" : "secp384r1");
}

/**
 * The user's JWT key pair: the private key in the folder is kept when it fits the algorithm (a second run, a
 * state rebuilt), otherwise a new one is made. Returns the public key (PEM), which Kong gets.
 */
export async function ensureJwtKey(dir: string, algorithm: string, settings: JwtSettings, owner: Owner = {}): Promise<string> {
  const file = join(dir, USER_FILES.jwtKey);
  const existing = readIfExists(file);
  let key = existing === undefined ? undefined : createPrivateKey(existing);
  if (!key || !fits(key, algorithm)) {
    key = generate(algorithm);
    await writeFileAtomically(file, key.export({ type: "pkcs8", format: "pem" }) as string, SECRET_FILE_MODE, owner);
  }
  await writeFileAtomically(join(dir, USER_FILES.jwtSettings), `${JSON.stringify(settings, null, 2)}\n`, SECRET_FILE_MODE, owner);
  return createPublicKey(key).export({ type: "spki", format: "pem" }) as string;
}

/** The public key of the private key in the folder, or undefined when it is gone. */
export function jwtPublicKey(dir: string): string | undefined {
  const pem = readIfExists(join(dir, USER_FILES.jwtKey));
  return pem === undefined ? undefined : (createPublicKey(createPrivateKey(pem)).export({ type: "spki", format: "pem" }) as string);
}

export async function writeOAuth2Client(dir: string, client: { clientId: string; clientSecret: string; tokenPath: string }, owner: Owner = {}): Promise<void> {
  await writeFileAtomically(join(dir, USER_FILES.oauth2), `${JSON.stringify({ client_id: client.clientId, client_secret: client.clientSecret, grant_type: "client_credentials", token_path: client.tokenPath }, null, 2)}\n`, SECRET_FILE_MODE, owner);
}

export function removeUserFiles(dir: string, which: (keyof typeof USER_FILES)[] = ["jwtKey", "jwtSettings", "oauth2"]): void {
  for (const name of which) removeFile(join(dir, USER_FILES[name]));
  removeDirIfEmpty(dir);
}
