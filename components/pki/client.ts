// X.509 issuance and validation on Node's WebCrypto through @peculiar/x509. No Pulumi in here.
import "reflect-metadata"; // required by @peculiar/x509 (tsyringe), before it loads
import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate as NodeCert } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { sha256Hex } from "../shared/files";
import { PromiseCache } from "../shared/promise-cache";
import { KEY_TYPES, type KeyType } from "./key-types";

// Their home is ./key-types (config parsing needs them without this module's X.509 library); code, recorded
// provider code included, still imports them from here.
export { KEY_TYPES, type KeyType };

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const DAY_MS = 24 * 60 * 60 * 1000;
// Certificates start a few minutes in the past so a node whose clock is slightly behind still accepts them.
const BACKDATE_MS = 5 * 60 * 1000;

interface Algorithms {
  key: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams;
  signing: webcrypto.EcdsaParams | webcrypto.Algorithm;
}

export function algorithms(keyType: KeyType): Algorithms {
  switch (keyType) {
    case "ec-p256":
      return { key: { name: "ECDSA", namedCurve: "P-256" }, signing: { name: "ECDSA", hash: "SHA-256" } as webcrypto.EcdsaParams };
    case "ec-p384":
      return { key: { name: "ECDSA", namedCurve: "P-384" }, signing: { name: "ECDSA", hash: "SHA-384" } as webcrypto.EcdsaParams };
    case "rsa-3072":
      return {
        key: { name: "RSASSA-PKCS1-v1_5", modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
        signing: { name: "RSASSA-PKCS1-v1_5" },
      };
  }
}

export async function generateKeys(keyType: KeyType): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithms(keyType).key, true, ["sign", "verify"])) as CryptoKeyPair;
}

export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

/** A positive 128-bit serial number, hex-encoded (RFC 5280 allows up to 20 octets). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  if (bytes[0] === 0) bytes[0] = 0x01;
  return bytes.toString("hex");
}

export function validity(lifetimeDays: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + lifetimeDays * DAY_MS) };
}

/** The key type of an existing key, so that a CA key signs with a matching algorithm; throws if unsupported. */
export function signingKeyTypeOf(keyPem: string): KeyType {
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "ec-p256";
    if (curve === "secp384r1") return "ec-p384";
    throw new Error(`unsupported EC curve ${curve}; use P-256 or P-384`);
  }
  if (key.asymmetricKeyType === "rsa") return "rsa-3072"; // any RSA size signs with RSASSA-PKCS1-v1_5 + SHA-256
  throw new Error(`unsupported key type ${key.asymmetricKeyType}; use EC (P-256, P-384) or RSA`);
}

/** Imports a PEM private key (PKCS#8, SEC1 EC or PKCS#1 RSA) for signing. */
export async function importSigningKey(keyPem: string): Promise<{ key: CryptoKey; keyType: KeyType }> {
  const keyType = signingKeyTypeOf(keyPem);
  const pkcs8 = createPrivateKey(keyPem).export({ type: "pkcs8", format: "der" });
  const key = await webcrypto.subtle.importKey("pkcs8", pkcs8, algorithms(keyType).key, false, ["sign"]);
  return { key, keyType };
}

export interface CaResult {
  certPem: string;
  keyPem: string;
}

export interface SelfSignedCaArgs {
  commonName: string;
  keyType: KeyType;
  lifetimeDays: number;
  /** How many CA levels may sit below this one (an org root signs node CAs: 1). Default 0: a node's own CA. */
  pathLength?: number;
}

export async function createSelfSignedCa(args: SelfSignedCaArgs): Promise<CaResult> {
  const keys = await generateKeys(args.keyType);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [args.commonName] }],
    ...validity(args.lifetimeDays),
    keys: keys as never,
    signingAlgorithm: algorithms(args.keyType).signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, args.pathLength ?? 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}

export interface ServiceCertificateArgs {
  caCertPem: string;
  caKeyPem: string;
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  keyType: KeyType;
  lifetimeDays: number;
  /** "client": a client-only certificate (clientAuth EKU; SANs optional). Default: serverAuth + clientAuth. */
  usage?: "server-and-client" | "client";
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  serialNumber: string;
  fingerprint: string;
  notAfter: string;
}

interface Issuer {
  ca: x509.X509Certificate;
  signer: { key: CryptoKey; keyType: KeyType };
  authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

// One CA signs all of a node's certificates, in one provider-host process: its certificate is parsed and its key
// imported once per process (the last few CAs, by digest), not once per certificate: about 7 ms of CPU each,
// 1.5 s of a cold `up` of 200 services. The key is kept as a non-extractable CryptoKey.
const issuers = new PromiseCache<Issuer>(4);

function issuerOf(caCertPem: string, caKeyPem: string): Promise<Issuer> {
  return issuers.get(sha256Hex(`${caCertPem}\n${caKeyPem}`), async () => {
    const ca = new x509.X509Certificate(caCertPem);
    return { ca, signer: await importSigningKey(caKeyPem), authorityKeyId: await x509.AuthorityKeyIdentifierExtension.create(ca) };
  });
}

/** Issues a leaf certificate (serverAuth + clientAuth, or clientAuth alone) signed by the CA, with a fresh key. */
export async function issueServiceCertificate(args: ServiceCertificateArgs): Promise<IssuedCertificate> {
  const { ca, signer, authorityKeyId } = await issuerOf(args.caCertPem, args.caKeyPem);
  const keys = await generateKeys(args.keyType);
  const sans: x509.JsonGeneralName[] = [
    ...args.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...args.ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ];
  const { notBefore, notAfter } = validity(args.lifetimeDays);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [args.commonName] }],
    // The CA's subject as encoded (not rebuilt from text): strict clients (Go) compare it byte for byte.
    issuer: ca.subjectName,
    notBefore,
    // A certificate never outlives the CA that signed it.
    notAfter: notAfter > ca.notAfter ? ca.notAfter : notAfter,
    publicKey: keys.publicKey as never,
    signingKey: signer.key as never,
    signingAlgorithm: algorithms(signer.keyType).signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(args.usage === "client" ? [x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
      authorityKeyId,
    ],
  });
  const certPem = cert.toString("pem");
  return { certPem, keyPem: await privateKeyPem(keys.privateKey), ...certificateFacts(certPem) };
}

export interface CertificateFacts {
  serialNumber: string;
  fingerprint: string;
  notAfter: string;
}

/** Serial, SHA-256 fingerprint of the DER and expiry of a PEM certificate. */
export function certificateFacts(certPem: string): CertificateFacts {
  const cert = new NodeCert(certPem);
  return {
    serialNumber: cert.serialNumber.toLowerCase(),
    fingerprint: createHash("sha256").update(cert.raw).digest("hex"),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

/** True when the private key belongs to the certificate (compares the public keys). */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  const fromCert = new NodeCert(certPem).publicKey.export({ type: "spki", format: "der" });
  return fromKey.equals(fromCert);
}

/**
 * The renewal window when the config names none: the last third of the lifetime, as cert-manager's default
 * (renew once two thirds of the duration have passed).
 */
export function defaultRenewBeforeDays(lifetimeDays: number): number {
  return lifetimeDays / 3;
}

/**
 * Whether a certificate that expires at `notAfter` is inside its renewal window (`renewBeforeDays` before expiry)
 * at `now`. A window of 0 turns renewal off. A certificate that already ends with its CA (`caNotAfter`) is not
 * due: a new one would be capped at the same moment, so renewing it would repeat on every run.
 */
export function renewalDue(notAfter: string, renewBeforeDays: number, now: number = Date.now(), caNotAfter?: string): boolean {
  if (!(renewBeforeDays > 0)) return false;
  const expires = Date.parse(notAfter);
  if (caNotAfter !== undefined && expires >= Date.parse(caNotAfter)) return false;
  return now >= expires - renewBeforeDays * DAY_MS;
}

/** The line a preview shows for a certificate it will renew: names the service and the expiry date. */
export function renewalMessage(service: string, notAfter: string, renewBeforeDays: number): string {
  return `${service}: certificate expires ${notAfter}, inside its renewal window (${+renewBeforeDays.toFixed(4)} days before expiry): a new key and certificate replace it`;
}
