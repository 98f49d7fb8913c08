// The rules of the edge-security policy pack, as plain functions over a resource's type, inputs and options, so
// that unit tests call them with crafted resources and the pack (index.ts) only wires them into @pulumi/policy.
// Each rule returns the violation messages it finds (empty: the resource passes). A policy sees the inputs the
// program registered (outputs a provider computes are not there yet at preview), so the rules read inputs and
// options, and name the project's own resource types where an input alone cannot tell.
import { X509Certificate } from "node:crypto";

/** Type tokens of the project's dynamic resources (never change: they are in every stack's state). */
export const dynamicType = (name: string) => `pulumi-nodejs:dynamic/edge-security:${name}`;
export const TYPES = {
  ca: dynamicType("CertificateAuthority"),
  serviceCert: dynamicType("ServiceCertificate"),
  etcdKeys: dynamicType("EtcdKeys"),
  kongRoute: dynamicType("KongRoute"),
  nginxSite: dynamicType("NginxSite"),
} as const;

/** The stack tag that marks a production stack (`pulumi stack tag set edge-security:production true`). */
export const PRODUCTION_TAG = "edge-security:production";

export interface ResourceView {
  type: string;
  name: string;
  props: Record<string, any>;
  additionalSecretOutputs: string[];
  stackTags: ReadonlyMap<string, string>;
}

// ---- no DEV_MODE in a production stack ----------------------------------------------------------------------
export interface DevModeConfig {
  /** Every stack this pack runs on is production (a fleet's production run), whatever its tags say. */
  production?: boolean;
}

export const isProduction = (config: DevModeConfig, tags: ReadonlyMap<string, string>) =>
  config.production === true || tags.get(PRODUCTION_TAG) === "true";

/** The config store writes `<prefix>/GlobalEnv/DEV_MODE` into etcd: "true" is the config store's dev mode. */
export function devModeViolations(r: ResourceView, config: DevModeConfig): string[] {
  if (r.type !== TYPES.etcdKeys || !isProduction(config, r.stackTags)) return [];
  const defaults: Record<string, unknown> = r.props.defaults ?? {};
  const on = Object.entries(defaults).some(([key, value]) => key.endsWith("/GlobalEnv/DEV_MODE") && String(value) === "true");
  return on
    ? [`${r.name}: DEV_MODE is on (configStore.devMode: true) in a production stack (stack tag ${PRODUCTION_TAG}=true or policy config production: true); set configStore.devMode: false`]
    : [];
}

// ---- no weak keys -------------------------------------------------------------------------------------------
/** The weakest keys allowed: RSA 3072 bits, EC P-256 (and larger curves). */
export const MIN_RSA_BITS = 3072;
export const ALLOWED_CURVES = ["prime256v1", "secp384r1", "secp521r1"] as const;
/** The key types the PKI generates (components/pki/client.ts KEY_TYPES) and whether each meets the minimum. */
const KEY_TYPE_STRENGTH = /^(rsa-(\d+)|ec-p(\d+))$/;

function keyTypeProblem(keyType: unknown): string | undefined {
  if (keyType === undefined) return undefined; // unknown at preview, or an imported CA (its certificate is checked)
  const m = KEY_TYPE_STRENGTH.exec(String(keyType));
  if (!m) return `key type ${JSON.stringify(keyType)} is not one the policy knows`;
  if (m[2] !== undefined && Number(m[2]) < MIN_RSA_BITS) return `key type ${keyType} is an RSA key under ${MIN_RSA_BITS} bits`;
  if (m[3] !== undefined && Number(m[3]) < 256) return `key type ${keyType} is an EC curve under P-256`;
  return undefined;
}

/** The key of a PEM certificate, if it is weaker than the minimum (undefined: strong enough or not parseable). */
export function certificateKeyProblem(pem: string): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return undefined; // not a certificate the pack can read: the program's own checks refuse it
  }
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") {
    const bits = details.modulusLength ?? 0;
    return bits < MIN_RSA_BITS ? `certificate "${cert.subject.replace(/\n/g, ", ")}" has an RSA key of ${bits} bits (minimum ${MIN_RSA_BITS})` : undefined;
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = details.namedCurve ?? "unknown";
    return (ALLOWED_CURVES as readonly string[]).includes(curve) ? undefined : `certificate "${cert.subject.replace(/\n/g, ", ")}" has an EC key on curve ${curve} (minimum P-256)`;
  }
  if (key.asymmetricKeyType === "dsa") return `certificate "${cert.subject.replace(/\n/g, ", ")}" has a DSA key (allowed: RSA ${MIN_RSA_BITS}+ or EC P-256+)`;
  return undefined; // Ed25519/Ed448: stronger than the minimum
}

/** Every PEM certificate in a string (a chain or a bundle holds several). */
export const pemCertificates = (text: unknown): string[] =>
  typeof text === "string" ? (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) : [];

export function weakKeyViolations(r: ResourceView): string[] {
  if (r.type !== TYPES.ca && r.type !== TYPES.serviceCert) return [];
  const problems: string[] = [];
  const byType = keyTypeProblem(r.props.keyType);
  if (byType) problems.push(byType);
  // The certificates the resource is given: an imported CA and its issuers, the CA a service certificate chains to.
  const pems = [r.props.importedCertPem, r.props.importedChainPem, r.props.caCertPem, r.props.trustBundlePem].flatMap(pemCertificates);
  for (const pem of new Set(pems)) {
    const problem = certificateKeyProblem(pem);
    if (problem) problems.push(problem);
  }
  return problems.map((p) => `${r.name}: ${p}; use ec-p256, ec-p384 or rsa-3072 (or stronger)`);
}

// ---- certificate lifetime -----------------------------------------------------------------------------------
export interface LifetimeConfig {
  /** The longest a service certificate may live, in days (default 398: the public web's limit). */
  maxServiceLifetimeDays?: number;
  /** The longest a CA certificate may live, in days (default 3650, the PKI's own default). */
  maxCaLifetimeDays?: number;
}
export const DEFAULT_MAX_SERVICE_LIFETIME_DAYS = 398;
export const DEFAULT_MAX_CA_LIFETIME_DAYS = 3650;
const DAY_MS = 24 * 60 * 60 * 1000;

export function lifetimeViolations(r: ResourceView, config: LifetimeConfig): string[] {
  const isCa = r.type === TYPES.ca;
  if (!isCa && r.type !== TYPES.serviceCert) return [];
  const max = isCa ? (config.maxCaLifetimeDays ?? DEFAULT_MAX_CA_LIFETIME_DAYS) : (config.maxServiceLifetimeDays ?? DEFAULT_MAX_SERVICE_LIFETIME_DAYS);
  const what = isCa ? "CA certificate" : "service certificate";
  const setting = isCa ? "maxCaLifetimeDays" : "maxServiceLifetimeDays";
  const out: string[] = [];
  // An imported CA's lifetime is its certificate's, not the lifetimeDays input (which it does not use).
  const imported = isCa && r.props.source === "import";
  if (!imported && typeof r.props.lifetimeDays === "number" && r.props.lifetimeDays > max)
    out.push(`${r.name}: ${what} lifetime of ${r.props.lifetimeDays} days is over the maximum of ${max} days (policy config ${setting})`);
  if (imported) {
    for (const pem of pemCertificates(r.props.importedCertPem)) {
      try {
        const cert = new X509Certificate(pem);
        const days = Math.round((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY_MS);
        if (days > max) out.push(`${r.name}: imported ${what} lifetime of ${days} days is over the maximum of ${max} days (policy config ${setting})`);
      } catch {
        // unreadable: the program's import checks refuse it
      }
    }
  }
  return out;
}

// ---- secret-bearing outputs are secrets ---------------------------------------------------------------------
/**
 * What each dynamic resource returns that is a secret: its outputs a provider computes (not visible among the
 * inputs at preview), by type. Inputs are checked by name (SECRET_NAME) as well, so a new provider is covered
 * without an entry here.
 */
export const SECRET_OUTPUTS: Record<string, string[]> = {
  [dynamicType("CertificateAuthority")]: ["keyPem"],
  [dynamicType("EtcdAuth")]: ["caKeyPem", "rootPassword"],
  [dynamicType("EtcdRootPassword")]: ["password"],
  [dynamicType("EtcdServiceAccess")]: ["curveSecretKey"],
  [dynamicType("GatewayUser")]: ["password"],
  [dynamicType("KongUser")]: ["clientSecret"],
  [dynamicType("MongoUser")]: ["password"],
  [dynamicType("PostgresRoleDatabase")]: ["password"],
  [dynamicType("SecretStoreInit")]: ["unsealKeys", "custodySecret"],
  [dynamicType("ServiceDbCredentials")]: ["password"],
  [dynamicType("ServiceSecretToken")]: ["token", "tokenFileContent"],
};
/** Secret inputs that a provider strips from its outputs (so nothing of them is in the outputs to mark). */
export const INPUT_ONLY_SECRETS: Record<string, string[]> = {
  [dynamicType("CertificateAuthority")]: ["importedKeyPem"],
  [dynamicType("ServiceCertificate")]: ["caKeyPem"],
};
/** Names that carry a secret: passwords, tokens, private keys, credentials, unseal keys. Paths and TTLs do not. */
export const SECRET_NAME = /(password|secret|privatekey|keypem$|^token$|tokenfilecontent|credentials|unsealkeys)/i;
const NOT_SECRET_NAME = /(path|file|accessor|ttl\w*|seconds|publickey\w*)$/i;

export function secretOutputViolations(r: ResourceView): string[] {
  if (!r.type.startsWith("pulumi-nodejs:dynamic/")) return [];
  const named = Object.keys(r.props).filter((k) => k !== "__provider" && SECRET_NAME.test(k) && !NOT_SECRET_NAME.test(k));
  const exempt = new Set(INPUT_ONLY_SECRETS[r.type] ?? []);
  const required = [...new Set([...(SECRET_OUTPUTS[r.type] ?? []), ...named])].filter((k) => !exempt.has(k));
  const marked = new Set(r.additionalSecretOutputs);
  const missing = required.filter((k) => !marked.has(k)).sort();
  return missing.length === 0 ? [] : [`${r.name}: output${missing.length > 1 ? "s" : ""} ${missing.join(", ")} carr${missing.length > 1 ? "y" : "ies"} a secret but ${missing.length > 1 ? "are" : "is"} not marked secret (additionalSecretOutputs)`];
}

// ---- gateway routes authenticated unless marked public ------------------------------------------------------
export interface RoutesConfig {
  /** When set, the only route names that may be public (a fleet pins its public routes); unset: any route marked public. */
  publicRoutes?: string[];
}
const KONG_AUTHENTICATED = ["jwt", "oauth2"];

export function routeViolations(r: ResourceView, config: RoutesConfig): string[] {
  const allowed = config.publicRoutes ? new Set(config.publicRoutes) : undefined;
  const publicNotAllowed = (route: string) =>
    allowed && !allowed.has(route) ? [`${r.name}: route ${JSON.stringify(route)} is public but not in the policy's publicRoutes (${[...allowed].join(", ") || "none"})`] : [];
  if (r.type === TYPES.kongRoute) {
    const route = String(r.props.name ?? r.name);
    if (r.props.auth === undefined) return []; // unknown at preview
    // The program registers auth "none" only for a route marked Public in the mapping.
    if (r.props.auth === "none") return publicNotAllowed(route);
    if (!KONG_AUTHENTICATED.includes(r.props.auth)) return [`${r.name}: route ${JSON.stringify(route)} has auth ${JSON.stringify(r.props.auth)}; a route must use jwt or oauth2 unless it is marked public`];
    return [];
  }
  if (r.type === TYPES.nginxSite) {
    const routes: any[] = r.props.site?.routes ?? [];
    return routes.flatMap((route) => {
      const name = String(route?.name);
      // NGINX puts every route behind the auth service unless it is marked public (public: true).
      if (route?.public === true) return publicNotAllowed(name);
      if (route?.public !== false && route?.public !== undefined) return [`${r.name}: route ${JSON.stringify(name)} has public: ${JSON.stringify(route.public)}; it must be true or false`];
      return [];
    });
  }
  return [];
}
