// The stack config's `secretStore` section: schema, defaults and the checks that span other sections.
import { posix } from "node:path";
import { z } from "zod";
import { MIN_CUSTODY_SECRET_LENGTH } from "./custody";
import { dedicatedFolderProblem } from "../shared/host-paths";

export const DEFAULT_CUSTODY_DIR = "/var/lib/edge-security/custody";
/** The stack setting that holds the custody file's encryption secret (set with --secret). */
export const CUSTODY_SECRET_KEY = "secretStoreCustodySecret";

const absolutePath = z.string().refine((p) => p.startsWith("/"), (p) => ({ message: `${JSON.stringify(p)} must be an absolute path` }));
const pathSegment = z.string().refine((s) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(s), (s) => ({ message: `${JSON.stringify(s)} must be letters, digits, '.', '_' or '-' (no '/')` }));

export const secretStoreSchema = z
  .object({
    address: z
      .string()
      .default("https://127.0.0.1:8200")
      .refine((a) => {
        try {
          const url = new URL(a);
          return url.protocol === "https:" && url.pathname === "/" && !url.search;
        } catch {
          return false;
        }
      }, (a) => ({ message: `${JSON.stringify(a)} must be an https:// address with no path, e.g. https://127.0.0.1:8200 (the store's TLS comes from the node PKI)` })),
    service: z.string().default("secretstore"),
    shares: z.number().int("must be a whole number").min(1, "must be at least 1").max(255, "must be at most 255").default(5),
    threshold: z.number().int("must be a whole number").min(1, "must be at least 1").default(3),
    custodyDir: absolutePath.default(DEFAULT_CUSTODY_DIR).superRefine((p, ctx) => {
      const problem = p.startsWith("/") ? dedicatedFolderProblem(p) : undefined;
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    kvMount: pathSegment.default("secret"),
    pathPrefix: pathSegment.default("edgex"),
    tokenPeriod: z.string().regex(/^\d+[smh]$/, "must be a duration such as 24h, 90m or 3600s").default("24h"),
    // How long before a token expires `up` renews it; unset: the last third of tokenPeriod; "0s": never.
    tokenRenewBefore: z.string().regex(/^\d+[smh]$/, "must be a duration such as 8h, 90m or 3600s").optional(),
    gatewayService: z.string().optional(),
    dbUsernames: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be letters, digits and '_', not starting with a digit, at most 63 characters")).default({}),
    connectTimeoutSeconds: z.number().int("must be a whole number").positive("must be positive").default(60),
    // Starting over is explicit: a store that answers "not initialized" while the stack holds keys for it is
    // refused unless this is set (its data may only be missing for now: a volume not mounted at boot).
    reinitialize: z.boolean().default(false),
  })
  .strict();

/**
 * How services reach the store when a layout (components/layouts/) says so; unset: this project's own shape (KV v2,
 * an orphan token per service, `db` credentials). The concern only knows what is written here: a KV version, per
 * service a policy, an identity (entity, userpass login, OIDC role, token role) whose login response is the token
 * file, and named {username, password} entries kept under services' paths.
 */
export interface ServiceAccess {
  kvVersion: "1" | "2";
  /** Periodic tokens' period (e.g. 1h). */
  tokenPeriod: string;
  /** The userpass auth mount the services log in with. */
  userpassPath: string;
  /** The OIDC key that signs every service's identity tokens. */
  oidcKey: { name: string; algorithm: string };
  /** The `iss` claim identity tokens must carry (the store's issuer setting is left empty); checked on every run. */
  issuerClaim?: string;
  /** Per service: its policy, and the OIDC role and token role of its identity. */
  services: Record<string, ServiceAccessEntry>;
  /** {username, password} entries, one password each, stored at every path listed (inside the KV mount). */
  knownSecrets: KnownSecretSpec[];
  /** A token recovery service for the services with a token role (TokenRecovery); its settings file is
   * <secretsRoot>/<folder>/token-recovery.json. */
  tokenRecovery?: { appRolePath: string; roleName: string; policyName: string; boundCidrs: string[]; listenHost: string; port: number; folder: string };
}

export interface ServiceAccessEntry {
  policyName: string;
  /** The policy document (HCL or its JSON form). */
  policy: string;
  /** Path inside the KV mount the service's token must be able to read (tells a working token from a useless one). */
  checkPath: string;
  oidcRole: { clientId: string; ttlSeconds: number; template: string };
  /** A token role of the service's name, allowed its policy and its entity alias (for re-issuing a token). */
  tokenRole: boolean;
}

export interface KnownSecretSpec {
  /** The resource's name in the stack (unique). */
  id: string;
  username: string;
  /** Paths inside the KV mount, e.g. edgex/core-data/postgres. */
  paths: string[];
  /** The service whose database credentials these are, if any. */
  dbCredentialsOf?: string;
  /** Rotation generation of the password (docs/rotation.md). */
  rotation?: number;
  /** A key of the entry that holds the node CA's certificate (PEM), e.g. a message bus client's `cacert`. */
  caCertKey?: string;
}

export type SecretStoreConfig = z.infer<typeof secretStoreSchema> & { gatewayService?: string; access?: ServiceAccess };

/** The custody file of a stack's store. */
export function custodyFilePath(custodyDir: string, stack: string): string {
  return posix.join(custodyDir, `${stack}.secret-store.custody`);
}

/** The database username of a service unless the config names one: lower case, [a-z0-9_]. */
export function defaultDbUsername(service: string): string {
  const name = service.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** Cross-section checks; returns [key path, message] of the first problem. */
export function secretStoreProblem(store: SecretStoreConfig, serviceNames: string[]): [string[], string] | undefined {
  if (store.threshold > store.shares) return [["secretStore", "threshold"], `must not exceed secretStore.shares (${store.shares})`];
  if (store.shares > 1 && store.threshold === 1) return [["secretStore", "threshold"], "must be at least 2 when there are several shares (one share alone would unseal the store)"];
  if (!serviceNames.includes(store.service)) return [["secretStore", "service"], `${JSON.stringify(store.service)} is not in services (the store's TLS certificate is that service's)`];
  if (store.gatewayService !== undefined && !serviceNames.includes(store.gatewayService)) return [["secretStore", "gatewayService"], `${JSON.stringify(store.gatewayService)} is not in services`];
  // The store's client (and its HTTP library) is loaded only for this check: config parsing runs in every program.
  const seconds = (duration: string): number => (require("./client") as typeof import("./client")).durationSeconds(duration);
  if (store.tokenRenewBefore !== undefined && seconds(store.tokenRenewBefore) >= seconds(store.tokenPeriod)) {
    return [["secretStore", "tokenRenewBefore"], `must be shorter than secretStore.tokenPeriod (${store.tokenPeriod}), or every token would be renewed on every run`];
  }
  if (store.gatewayService === store.service) return [["secretStore", "gatewayService"], "must not be the secret store's own service"];
  for (const name of Object.keys(store.dbUsernames)) {
    if (!serviceNames.includes(name)) return [["secretStore", "dbUsernames", name], "is not in services"];
  }
  return undefined;
}

/** The custody secret as the stack holds it: required, set with --secret, long enough. */
export function custodySecretProblem(value: string | undefined, isSecret: boolean): string | undefined {
  const how = `set it with: npm run pulumi -- config set --secret ${CUSTODY_SECRET_KEY} "$(openssl rand -base64 48)"`;
  if (value === undefined || value === "") return `is required when secretStore is configured (it encrypts the store's unseal keys on disk); ${how}`;
  if (!isSecret) return `must be a secret value; ${how}`;
  if (value.length < MIN_CUSTODY_SECRET_LENGTH) return `must be at least ${MIN_CUSTODY_SECRET_LENGTH} characters; ${how}`;
  return undefined;
}
