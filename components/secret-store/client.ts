// The secret store's HTTP API (the Vault API: OpenBao and HashiCorp Vault speak it alike). No Pulumi in here.
// Providers call these at run time, also from older provider code stored in a stack's state: change
// signatures only compatibly (new optional arguments).
//
// No token, key or password ever appears in an error message: errors name the address, the API path and the
// store's own error text.
import { EdgeError } from "../shared/errors";
import { sha256Hex } from "../shared/files";
import { Agent, type Dispatcher, RetryAgent, request } from "undici";

export interface StoreEndpoint {
  /** e.g. https://127.0.0.1:8200 */
  address: string;
  /** PEM of the CA that signed the store's certificate (the node CA). */
  caPem: string;
  /** How long to wait for the store to accept connections (a store starting beside `up`). Default 60. */
  connectTimeoutSeconds?: number;
}

/** A failure a user can act on: one sentence, no secret in it. */
export class SecretStoreError extends EdgeError {
  constructor(message: string) {
    super(message);
    this.name = "SecretStoreError";
  }
}

export interface SealStatus {
  initialized: boolean;
  sealed: boolean;
  /** threshold */
  t: number;
  /** shares */
  n: number;
  progress: number;
}

export interface InitResponse {
  keys: string[];
  keys_base64: string[];
  root_token: string;
}

/** The token-create response, as the store returns it (written as is to a service's token file). */
export interface TokenResponse {
  auth: { client_token: string; accessor: string; policies: string[]; lease_duration: number; renewable: boolean };
  [key: string]: unknown;
}

const agents = new Map<string, Agent>();

function agentFor(endpoint: StoreEndpoint): Agent {
  const key = `${endpoint.address}\n${endpoint.caPem}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ connect: { ca: endpoint.caPem, timeout: 10_000 }, keepAliveTimeout: 4_000 });
    agents.set(key, agent);
  }
  return agent;
}

/** A dispatcher that retries refused connections with backoff until the connect timeout is spent. */
function waitingDispatcher(endpoint: StoreEndpoint): Dispatcher {
  const budgetMs = (endpoint.connectTimeoutSeconds ?? 60) * 1000;
  const minTimeout = 250;
  const maxTimeout = 2000;
  let maxRetries = 0;
  for (let spent = 0, wait = minTimeout; spent < budgetMs; maxRetries++, spent += wait, wait = Math.min(wait * 2, maxTimeout));
  return new RetryAgent(agentFor(endpoint), {
    maxRetries,
    minTimeout,
    maxTimeout,
    timeoutFactor: 2,
    retryAfter: false,
    methods: ["GET"],
    statusCodes: [502, 503, 504],
    errorCodes: ["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH", "ENETUNREACH"],
  });
}

const TLS_NAME_CODES = new Set(["ERR_TLS_CERT_ALTNAME_INVALID"]);
const TLS_TRUST_CODES = new Set(["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

function errorCode(err: unknown): string | undefined {
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === "string" && e.code !== "UND_ERR_REQ_RETRY") return e.code;
  }
  return undefined;
}

function connectionError(endpoint: StoreEndpoint, err: unknown): SecretStoreError {
  const code = errorCode(err);
  if (code && TLS_NAME_CODES.has(code)) {
    return new SecretStoreError(`the secret store at ${endpoint.address} presents a TLS certificate that is not valid for that address (${code}); use an address named in its certificate`);
  }
  if (code && TLS_TRUST_CODES.has(code)) {
    return new SecretStoreError(`the secret store at ${endpoint.address} presents a TLS certificate that the node CA does not vouch for (${code})`);
  }
  return new SecretStoreError(`the secret store at ${endpoint.address} is not reachable (${code ?? (err as Error).message}) after waiting ${endpoint.connectTimeoutSeconds ?? 60} s`);
}

interface CallOptions {
  token?: string;
  body?: unknown;
  /** Statuses answered without an error (e.g. 404 for "absent"). */
  accept?: number[];
  /** Retry refused connections until the connect timeout (the first call of a run). */
  wait?: boolean;
}

interface Answer {
  status: number;
  json: any;
}

/** One API call. Throws SecretStoreError naming the address, method, path and the store's errors. */
export async function call(endpoint: StoreEndpoint, method: "GET" | "PUT" | "POST" | "DELETE" | "LIST", path: string, options: CallOptions = {}): Promise<Answer> {
  const url = new URL(`/v1/${path}`, endpoint.address);
  const headers: Record<string, string> = {};
  if (options.token) headers["x-vault-token"] = options.token;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await request(url, {
      method: method === "LIST" ? "GET" : method,
      query: method === "LIST" ? { list: "true" } : undefined,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      dispatcher: options.wait ? waitingDispatcher(endpoint) : agentFor(endpoint),
    });
  } catch (err) {
    throw connectionError(endpoint, err);
  }
  const text = await res.body.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.statusCode >= 400 && !(options.accept ?? []).includes(res.statusCode)) {
    const errors = Array.isArray(json?.errors) ? json.errors.join("; ") : text.slice(0, 200);
    throw new SecretStoreError(`the secret store at ${endpoint.address} refused ${method} /v1/${path} (${res.statusCode}${errors ? `: ${errors.replace(/\s+/g, " ").trim()}` : ""})`);
  }
  return { status: res.statusCode, json };
}

/** The store's seal status; waits (bounded) for it to accept connections. Needs no token. */
export async function sealStatus(endpoint: StoreEndpoint): Promise<SealStatus> {
  const { json } = await call(endpoint, "GET", "sys/seal-status", { wait: true });
  return { initialized: json.initialized, sealed: json.sealed, t: json.t, n: json.n, progress: json.progress };
}

/** Initializes the store. The response exists once: the caller must persist it before doing anything else. */
export async function initialize(endpoint: StoreEndpoint, shares: number, threshold: number): Promise<InitResponse> {
  const { json } = await call(endpoint, "PUT", "sys/init", { body: { secret_shares: shares, secret_threshold: threshold } });
  return { keys: json.keys, keys_base64: json.keys_base64, root_token: json.root_token };
}

/** Unseals with the threshold of keys; a no-op when already unsealed. A key that does not fit is one clear error. */
export async function unseal(endpoint: StoreEndpoint, keys: string[]): Promise<void> {
  let status = await sealStatus(endpoint);
  if (!status.initialized) throw new SecretStoreError(`the secret store at ${endpoint.address} is not initialized, so it cannot be unsealed`);
  if (!status.sealed) return;
  if (keys.length < status.t) throw new SecretStoreError(`the secret store at ${endpoint.address} needs ${status.t} unseal keys and this stack holds ${keys.length}`);
  // Start from a clean slate: an earlier interrupted attempt may have left progress behind.
  await call(endpoint, "PUT", "sys/unseal", { body: { reset: true } });
  for (const key of keys) {
    const { json } = await call(endpoint, "PUT", "sys/unseal", { body: { key }, accept: [400] }).catch((err) => {
      throw new SecretStoreError(`unsealing the secret store at ${endpoint.address} failed: ${(err as Error).message}`);
    });
    if (json?.errors) {
      await call(endpoint, "PUT", "sys/unseal", { body: { reset: true } }).catch(() => undefined);
      throw new SecretStoreError(`the unseal keys this stack holds do not open the secret store at ${endpoint.address} (${json.errors.join("; ")})`);
    }
    status = { ...status, sealed: json.sealed, progress: json.progress };
    if (!status.sealed) return;
  }
  throw new SecretStoreError(`the unseal keys this stack holds do not open the secret store at ${endpoint.address} (still sealed after ${keys.length} keys)`);
}

/** Root token from the unseal keys (generate-root with a one-time pad). Cancels a stale attempt first. */
export async function generateRootToken(endpoint: StoreEndpoint, keys: string[]): Promise<string> {
  const progress = await call(endpoint, "GET", "sys/generate-root/attempt");
  if (progress.json?.started) await call(endpoint, "DELETE", "sys/generate-root/attempt");
  const { json: attempt } = await call(endpoint, "PUT", "sys/generate-root/attempt", { body: {} });
  for (const key of keys) {
    const { json } = await call(endpoint, "PUT", "sys/generate-root/update", { body: { key, nonce: attempt.nonce }, accept: [400] });
    if (json?.errors) {
      await call(endpoint, "DELETE", "sys/generate-root/attempt").catch(() => undefined);
      throw new SecretStoreError(`the unseal keys this stack holds are not accepted by the secret store at ${endpoint.address} (${json.errors.join("; ")})`);
    }
    if (json.complete) return decodeRootToken(json.encoded_token, attempt.otp);
  }
  await call(endpoint, "DELETE", "sys/generate-root/attempt").catch(() => undefined);
  throw new SecretStoreError(`the secret store at ${endpoint.address} did not issue a root token from the ${keys.length} unseal keys this stack holds`);
}

/** encoded_token is base64(token XOR otp), the OTP as long as the token (Vault >= 1.10, OpenBao). */
export function decodeRootToken(encoded: string, otp: string): string {
  const bytes = Buffer.from(encoded, "base64");
  const pad = Buffer.from(otp, "utf8");
  if (bytes.length !== pad.length) throw new SecretStoreError(`the generated root token could not be decoded (length ${bytes.length} vs one-time pad ${pad.length})`);
  return Buffer.from(bytes.map((b, i) => b ^ pad[i])).toString("utf8");
}

let rootGeneration: Promise<unknown> = Promise.resolve();

/** A short-lived orphan root token: a root token is generated from the unseal keys, used only to create it, and revoked. */
function issueRootToken(endpoint: StoreEndpoint, keys: string[]): Promise<string> {
  // Root generation is one attempt at a time per store (a second attempt cancels the first), so this process
  // queues its attempts.
  const issued = rootGeneration.then(async () => {
    const generated = await generateRootToken(endpoint, keys);
    try {
      const { json } = await call(endpoint, "POST", "auth/token/create-orphan", {
        token: generated,
        body: { policies: ["root"], ttl: "15m", explicit_max_ttl: "15m", renewable: false, display_name: "edge-security-setup" },
      });
      return json.auth.client_token as string;
    } finally {
      await revokeSelf(endpoint, generated);
    }
  });
  rootGeneration = issued.catch(() => undefined);
  return issued;
}

/** One short-lived root token shared by the admin steps of this process that overlap in time. */
interface RootLease {
  token: Promise<string>;
  /** Steps running on it; the last one to end revokes it. */
  holders: number;
  /** When it was asked for: its 15 minutes cannot have started earlier. */
  since: number;
  /** The endpoint that made it (and so reaches the store): it revokes it. */
  endpoint: StoreEndpoint;
}

/**
 * A step joins a shared token only in the token's first 5 minutes, so every step has at least 10 of its 15 minutes
 * (a step is a few HTTP calls); a later step starts a new token while the old one ends with its last holder.
 */
const ROOT_LEASE_JOIN_MS = 5 * 60_000;
const rootLeases = new Map<string, RootLease>();

/** The lease's key: the address, and a digest (never the keys themselves) of the keys and CA the token was made with. */
function rootLeaseKey(endpoint: StoreEndpoint, keys: string[]): string {
  return `${endpoint.address}\n${sha256Hex(JSON.stringify([endpoint.caPem, keys]))}`;
}

/**
 * Runs `work` with a short-lived root token: an orphan root token with a 15-minute TTL and max TTL, created with a
 * root token generated from the unseal keys and revoked at once. Steps of this process that overlap in time (the
 * provider host runs a run's resources concurrently) share one such token per store and keys: the first generates
 * it, the others join it while it is held (in its first 5 minutes), and the last to end revokes it, so the next
 * step generates a new one. So no root token outlives a run, and one left by a killed run dies within 15 minutes.
 * A step whose work fails stops others from joining its token (a token the store no longer knows, 403, is not
 * handed on); the error itself is the step's, unchanged and not retried.
 */
export async function withRootToken<T>(endpoint: StoreEndpoint, keys: string[], work: (token: string) => Promise<T>): Promise<T> {
  const key = rootLeaseKey(endpoint, keys);
  let lease = rootLeases.get(key);
  if (!lease || Date.now() - lease.since > ROOT_LEASE_JOIN_MS) {
    const fresh: RootLease = { token: issueRootToken(endpoint, keys), holders: 0, since: Date.now(), endpoint };
    // A failed issue is not handed to later steps: the next one tries afresh (its holders get the error).
    fresh.token.catch(() => retireRootLease(key, fresh));
    rootLeases.set(key, fresh);
    lease = fresh;
  }
  // No await between finding the lease and counting this step in it: a lease with no holders is never joined.
  lease.holders++;
  try {
    const token = await lease.token;
    try {
      return await work(token);
    } catch (err) {
      retireRootLease(key, lease);
      throw err;
    }
  } finally {
    if (--lease.holders === 0) {
      retireRootLease(key, lease);
      const token = await lease.token.catch(() => undefined);
      if (token) await revokeSelf(lease.endpoint, token);
    }
  }
}

/** No later step joins this lease (its holders keep it until they end). */
function retireRootLease(key: string, lease: RootLease): void {
  if (rootLeases.get(key) === lease) rootLeases.delete(key);
}

/** Revokes the token itself; false when it was already invalid. */
export async function revokeSelf(endpoint: StoreEndpoint, token: string): Promise<boolean> {
  const { status } = await call(endpoint, "POST", "auth/token/revoke-self", { token, accept: [403] });
  return status < 400;
}

/** The token's own lookup, or undefined when the store does not know it (expired, revoked). */
export async function lookupSelf(endpoint: StoreEndpoint, token: string): Promise<{ policies: string[]; ttl: number; accessor: string; expireTime?: string } | undefined> {
  const { status, json } = await call(endpoint, "GET", "auth/token/lookup-self", { token, accept: [403] });
  return status === 403 ? undefined : { policies: json.data.policies, ttl: json.data.ttl, accessor: json.data.accessor, expireTime: json.data.expire_time ?? undefined };
}

/** Renews a token (a periodic token's TTL starts again at its period) with an admin token; returns the new TTL. */
export async function renewToken(endpoint: StoreEndpoint, adminToken: string, token: string): Promise<number> {
  const { json } = await call(endpoint, "POST", "auth/token/renew", { token: adminToken, body: { token } });
  return json.auth.lease_duration;
}

const DURATION_UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/** A duration as the config writes it (24h, 90m, 3600s; the schema allows nothing else) in seconds. */
export function durationSeconds(duration: string): number {
  const match = /^(\d+)([smh])$/.exec(duration);
  if (!match) throw new SecretStoreError(`${JSON.stringify(duration)} is not a duration such as 24h, 90m or 3600s`);
  return Number(match[1]) * DURATION_UNIT_SECONDS[match[2] as keyof typeof DURATION_UNIT_SECONDS];
}

/**
 * Whether a token with `ttlSeconds` left is inside its renewal window: `renewBefore` before it expires, or when
 * the config names none the last third of its period (as certificates: cert-manager's default). "0s" turns it off.
 */
export function tokenRenewalDue(ttlSeconds: number, period: string, renewBefore?: string): boolean {
  const window = renewBefore === undefined ? durationSeconds(period) / 3 : durationSeconds(renewBefore);
  return window > 0 && ttlSeconds <= window;
}

/** The token's capabilities on one path (["deny"] when it has none). */
export async function capabilitiesSelf(endpoint: StoreEndpoint, token: string, path: string): Promise<string[]> {
  const { json } = await call(endpoint, "POST", "sys/capabilities-self", { token, body: { paths: [path] } });
  return json[path] ?? json.capabilities ?? [];
}

/** A periodic orphan token (it survives the revocation of the token that made it). */
export async function createPeriodicToken(endpoint: StoreEndpoint, adminToken: string, opts: { policies: string[]; period: string; displayName: string; meta?: Record<string, string> }): Promise<TokenResponse> {
  const { json } = await call(endpoint, "POST", "auth/token/create-orphan", {
    token: adminToken,
    body: { policies: opts.policies, period: opts.period, renewable: true, no_default_policy: false, display_name: opts.displayName, meta: opts.meta },
  });
  return json as TokenResponse;
}

/** Revokes a token by accessor; false when the accessor is unknown (already gone). */
export async function revokeAccessor(endpoint: StoreEndpoint, adminToken: string, accessor: string): Promise<boolean> {
  const { status } = await call(endpoint, "POST", "auth/token/revoke-accessor", { token: adminToken, body: { accessor }, accept: [400, 403] });
  return status < 400;
}

export async function writePolicy(endpoint: StoreEndpoint, adminToken: string, name: string, policy: string): Promise<void> {
  await call(endpoint, "PUT", `sys/policies/acl/${encodeURIComponent(name)}`, { token: adminToken, body: { policy } });
}

/** The policy's text, or undefined when absent. */
export async function readPolicy(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<string | undefined> {
  const { status, json } = await call(endpoint, "GET", `sys/policies/acl/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
  return status === 404 ? undefined : json.data.policy;
}

export async function deletePolicy(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<void> {
  await call(endpoint, "DELETE", `sys/policies/acl/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
}

/** The mount's type and KV version at `path` (no slashes around it), or undefined when nothing is mounted there. */
export async function readMount(endpoint: StoreEndpoint, adminToken: string, path: string): Promise<{ type: string; version?: string } | undefined> {
  const { json } = await call(endpoint, "GET", "sys/mounts", { token: adminToken });
  const mounts = json.data ?? json;
  const mount = mounts[`${path}/`];
  return mount ? { type: mount.type, version: mount.options?.version } : undefined;
}

export async function enableKv2(endpoint: StoreEndpoint, adminToken: string, path: string): Promise<void> {
  await call(endpoint, "POST", `sys/mounts/${path}`, { token: adminToken, body: { type: "kv", options: { version: "2" }, description: "edge-security service secrets" } });
}

export async function disableMount(endpoint: StoreEndpoint, adminToken: string, path: string): Promise<void> {
  await call(endpoint, "DELETE", `sys/mounts/${path}`, { token: adminToken });
}

function kvPath(mount: string, kind: "data" | "metadata", path: string): string {
  return `${mount}/${kind}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** Writes a new version of a KV v2 secret. */
export async function kvWrite(endpoint: StoreEndpoint, token: string, mount: string, path: string, data: Record<string, string>): Promise<void> {
  await call(endpoint, "POST", kvPath(mount, "data", path), { token, body: { data } });
}

/** The latest version of a KV v2 secret, or undefined when absent or deleted. */
export async function kvRead(endpoint: StoreEndpoint, token: string, mount: string, path: string): Promise<Record<string, string> | undefined> {
  const { status, json } = await call(endpoint, "GET", kvPath(mount, "data", path), { token, accept: [404] });
  return status === 404 || !json?.data?.data ? undefined : json.data.data;
}

/** Deletes every version and the metadata of a KV v2 secret. */
export async function kvDestroy(endpoint: StoreEndpoint, token: string, mount: string, path: string): Promise<void> {
  await call(endpoint, "DELETE", kvPath(mount, "metadata", path), { token, accept: [404] });
}

// ---- Gateway users and tokens (the identity engine, as EdgeX 3/4 use it): userpass logins, entities with an
// alias on the userpass mount, an OIDC signing key and one OIDC role per user.

/** The auth method mounted at `path` (no slashes), or undefined. */
export async function readAuthMount(endpoint: StoreEndpoint, adminToken: string, path: string): Promise<{ type: string; accessor: string } | undefined> {
  const { json } = await call(endpoint, "GET", "sys/auth", { token: adminToken });
  const mounts = json.data ?? json;
  const mount = mounts[`${path}/`];
  return mount ? { type: mount.type, accessor: mount.accessor } : undefined;
}

export async function enableAuth(endpoint: StoreEndpoint, adminToken: string, path: string, type: string, description: string): Promise<void> {
  await call(endpoint, "POST", `sys/auth/${path}`, { token: adminToken, body: { type, description } });
}

export async function disableAuth(endpoint: StoreEndpoint, adminToken: string, path: string): Promise<void> {
  await call(endpoint, "DELETE", `sys/auth/${path}`, { token: adminToken });
}

/** The identity tokens' issuer setting (a URL; the `iss` claim is it + "/v1/identity/oidc"). */
export async function readOidcIssuer(endpoint: StoreEndpoint, adminToken: string): Promise<string> {
  const { json } = await call(endpoint, "GET", "identity/oidc/config", { token: adminToken });
  return json.data?.issuer ?? "";
}

export async function writeOidcIssuer(endpoint: StoreEndpoint, adminToken: string, issuer: string): Promise<void> {
  await call(endpoint, "POST", "identity/oidc/config", { token: adminToken, body: { issuer } });
}

export interface OidcKey {
  algorithm: string;
  allowedClientIds: string[];
}

export async function readOidcKey(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<OidcKey | undefined> {
  const { status, json } = await call(endpoint, "GET", `identity/oidc/key/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
  return status === 404 || !json?.data ? undefined : { algorithm: json.data.algorithm, allowedClientIds: json.data.allowed_client_ids ?? [] };
}

export async function writeOidcKey(endpoint: StoreEndpoint, adminToken: string, name: string, key: OidcKey): Promise<void> {
  await call(endpoint, "POST", `identity/oidc/key/${encodeURIComponent(name)}`, { token: adminToken, body: { algorithm: key.algorithm, allowed_client_ids: key.allowedClientIds } });
}

export async function deleteOidcKey(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<void> {
  await call(endpoint, "DELETE", `identity/oidc/key/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
}

export interface OidcRole {
  key: string;
  /** Seconds. */
  ttl: number;
  clientId: string;
  /** JSON of extra claims. */
  template: string;
}

export async function readOidcRole(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<OidcRole | undefined> {
  const { status, json } = await call(endpoint, "GET", `identity/oidc/role/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
  if (status === 404 || !json?.data) return undefined;
  // The store may hand the template back base64-encoded.
  const raw: string = json.data.template ?? "";
  const template = raw.trim().startsWith("{") || raw === "" ? raw : Buffer.from(raw, "base64").toString("utf8");
  return { key: json.data.key, ttl: json.data.ttl, clientId: json.data.client_id, template };
}

export async function writeOidcRole(endpoint: StoreEndpoint, adminToken: string, name: string, role: OidcRole): Promise<void> {
  await call(endpoint, "POST", `identity/oidc/role/${encodeURIComponent(name)}`, { token: adminToken, body: { key: role.key, ttl: role.ttl, client_id: role.clientId, template: role.template } });
}

export async function deleteOidcRole(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<void> {
  await call(endpoint, "DELETE", `identity/oidc/role/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
}

export interface Entity {
  id: string;
  policies: string[];
  aliases: { name: string; mountAccessor: string }[];
}

export async function readEntity(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<Entity | undefined> {
  const { status, json } = await call(endpoint, "GET", `identity/entity/name/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
  if (status === 404 || !json?.data) return undefined;
  return { id: json.data.id, policies: json.data.policies ?? [], aliases: (json.data.aliases ?? []).map((a: any) => ({ name: a.name, mountAccessor: a.mount_accessor })) };
}

/** Creates or updates the entity by name; returns it. */
export async function writeEntity(endpoint: StoreEndpoint, adminToken: string, name: string, policies: string[], metadata: Record<string, string>): Promise<Entity> {
  await call(endpoint, "POST", `identity/entity/name/${encodeURIComponent(name)}`, { token: adminToken, body: { policies, metadata } });
  const entity = await readEntity(endpoint, adminToken, name);
  if (!entity) throw new SecretStoreError(`the secret store at ${endpoint.address} did not keep the identity entity ${JSON.stringify(name)}`);
  return entity;
}

export async function deleteEntity(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<void> {
  await call(endpoint, "DELETE", `identity/entity/name/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
}

export async function createEntityAlias(endpoint: StoreEndpoint, adminToken: string, name: string, canonicalId: string, mountAccessor: string): Promise<void> {
  await call(endpoint, "POST", "identity/entity-alias", { token: adminToken, body: { name, canonical_id: canonicalId, mount_accessor: mountAccessor } });
}

export async function userpassUserExists(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string): Promise<boolean> {
  const { status } = await call(endpoint, "GET", `auth/${mount}/users/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
  return status !== 404;
}

export async function writeUserpassUser(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string, opts: { password: string; tokenPolicies: string[]; tokenTtl: string }): Promise<void> {
  await call(endpoint, "POST", `auth/${mount}/users/${encodeURIComponent(name)}`, { token: adminToken, body: { password: opts.password, token_policies: opts.tokenPolicies, token_ttl: opts.tokenTtl, token_max_ttl: opts.tokenTtl } });
}

export async function deleteUserpassUser(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string): Promise<void> {
  await call(endpoint, "DELETE", `auth/${mount}/users/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
}

/** Logs in with userpass; the client token, or undefined when the store refuses the name or password. */
export async function userpassLogin(endpoint: StoreEndpoint, mount: string, name: string, password: string): Promise<string | undefined> {
  const { status, json } = await call(endpoint, "POST", `auth/${mount}/login/${encodeURIComponent(name)}`, { body: { password }, accept: [400, 403] });
  return status >= 400 ? undefined : json.auth.client_token;
}

/** The identity token (a JWT) of the role for the token's entity. */
export async function oidcToken(endpoint: StoreEndpoint, token: string, role: string): Promise<string> {
  const { json } = await call(endpoint, "GET", `identity/oidc/token/${encodeURIComponent(role)}`, { token });
  return json.data.token;
}

export interface TokenHealth {
  /** "invalid": the store no longer knows the token (expired while the node was off, or revoked). */
  state: "valid" | "renewal-due" | "invalid";
  /** When a valid token expires unless renewed (ISO 8601). */
  expireTime?: string;
}

/** Asks the store about a token with the token itself (no admin token needed) and applies the renewal window. */
export async function tokenHealth(endpoint: StoreEndpoint, token: string, period: string, renewBefore?: string): Promise<TokenHealth> {
  const self = await lookupSelf(endpoint, token);
  if (!self) return { state: "invalid" };
  return { state: tokenRenewalDue(self.ttl, period, renewBefore) ? "renewal-due" : "valid", expireTime: self.expireTime };
}

/** The line a preview shows for a token the next `up` renews or replaces. Names the service, never the token. */
export function tokenHealthMessage(service: string, health: TokenHealth, period: string, renewBefore?: string): string | undefined {
  if (health.state === "invalid") return `${service}: its secret-store token expired or was revoked: a new token replaces it (its token file is rewritten)`;
  if (health.state === "renewal-due") return `${service}: its secret-store token expires ${health.expireTime ?? "soon"}, inside its renewal window (${renewBefore ?? `a third of its period ${period}`}): it is renewed (same token, TTL back to ${period})`;
  return undefined;
}

// ---- KV version 1 (flat entries at <mount>/<path>, as EdgeX's go-mod-secrets reads and writes them).

/** Mounts a KV engine of the given version at `path` (kv v1: the layout's services read flat entries). */
export async function enableKv(endpoint: StoreEndpoint, adminToken: string, path: string, version: "1" | "2"): Promise<void> {
  await call(endpoint, "POST", `sys/mounts/${path}`, { token: adminToken, body: { type: "kv", options: { version }, description: "edge-security service secrets" } });
}

function kv1Path(mount: string, path: string): string {
  return `${mount}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** Writes a KV v1 entry (replaces it whole). */
export async function kv1Write(endpoint: StoreEndpoint, token: string, mount: string, path: string, data: Record<string, string>): Promise<void> {
  await call(endpoint, "POST", kv1Path(mount, path), { token, body: data });
}

/** A KV v1 entry, or undefined when absent. */
export async function kv1Read(endpoint: StoreEndpoint, token: string, mount: string, path: string): Promise<Record<string, string> | undefined> {
  const { status, json } = await call(endpoint, "GET", kv1Path(mount, path), { token, accept: [404] });
  return status === 404 || !json?.data ? undefined : json.data;
}

export async function kv1Delete(endpoint: StoreEndpoint, token: string, mount: string, path: string): Promise<void> {
  await call(endpoint, "DELETE", kv1Path(mount, path), { token, accept: [404] });
}

// ---- Service identities: a userpass login bound to an identity entity (what EdgeX's file token provider makes).

/** The `iss` claim the store puts in identity tokens (its OIDC discovery document's issuer). */
export async function oidcIssuerClaim(endpoint: StoreEndpoint): Promise<string> {
  const { json } = await call(endpoint, "GET", "identity/oidc/.well-known/openid-configuration");
  return json.issuer;
}

/** Creates or updates a userpass user whose tokens are periodic and carry only the entity's policies (and default). */
export async function writePeriodicUserpassUser(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string, opts: { password: string; tokenPeriod: string }): Promise<void> {
  await call(endpoint, "POST", `auth/${mount}/users/${encodeURIComponent(name)}`, { token: adminToken, body: { password: opts.password, token_period: opts.tokenPeriod, token_policies: [] } });
}

/** The userpass login response as the store returns it (a service's token file), or undefined when refused. */
export async function userpassLoginResponse(endpoint: StoreEndpoint, mount: string, name: string, password: string): Promise<(TokenResponse & { auth: { entity_id: string } }) | undefined> {
  const { status, json } = await call(endpoint, "POST", `auth/${mount}/login/${encodeURIComponent(name)}`, { body: { password }, accept: [400, 403] });
  return status >= 400 ? undefined : json;
}

export interface TokenRole {
  allowedPolicies: string[];
  allowedEntityAliases: string[];
  orphan: boolean;
  renewable: boolean;
}

export async function readTokenRole(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<TokenRole | undefined> {
  const { status, json } = await call(endpoint, "GET", `auth/token/roles/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
  if (status === 404 || !json?.data) return undefined;
  return { allowedPolicies: json.data.allowed_policies ?? [], allowedEntityAliases: json.data.allowed_entity_aliases ?? [], orphan: json.data.orphan, renewable: json.data.renewable };
}

export async function writeTokenRole(endpoint: StoreEndpoint, adminToken: string, name: string, role: TokenRole): Promise<void> {
  await call(endpoint, "POST", `auth/token/roles/${encodeURIComponent(name)}`, {
    token: adminToken,
    body: { name, allowed_policies: role.allowedPolicies, allowed_entity_aliases: role.allowedEntityAliases, orphan: role.orphan, renewable: role.renewable },
  });
}

export async function deleteTokenRole(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<void> {
  await call(endpoint, "DELETE", `auth/token/roles/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
}

/** The entity's id, policies and aliases, looked up by id (a name may now belong to a new entity). */
export async function readEntityById(endpoint: StoreEndpoint, adminToken: string, id: string): Promise<Entity | undefined> {
  const { status, json } = await call(endpoint, "GET", `identity/entity/id/${encodeURIComponent(id)}`, { token: adminToken, accept: [404] });
  if (status === 404 || !json?.data) return undefined;
  return { id: json.data.id, policies: json.data.policies ?? [], aliases: (json.data.aliases ?? []).map((a: any) => ({ name: a.name, mountAccessor: a.mount_accessor })) };
}

/** The token's own lookup with its entity (undefined when the store no longer knows it). */
export async function lookupSelfEntity(endpoint: StoreEndpoint, token: string): Promise<{ entityId: string; ttl: number; expireTime?: string } | undefined> {
  const { status, json } = await call(endpoint, "GET", "auth/token/lookup-self", { token, accept: [403] });
  return status === 403 ? undefined : { entityId: json.data.entity_id ?? "", ttl: json.data.ttl, expireTime: json.data.expire_time ?? undefined };
}

// ---- Token recovery (EdgeX's regeneration endpoint, contract 1b): an AppRole login for the recovery service,
// whose policy may only create tokens through the services' token roles; a token-mount alias per service so a
// token created with `entity_alias` stays bound to the service's own entity.

export interface AppRole {
  tokenPolicies: string[];
  tokenPeriod: string;
  /** Addresses the secret id may log in from and the token may be used from (empty: any). */
  boundCidrs: string[];
}

export async function readAppRole(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string): Promise<(AppRole & { roleId: string }) | undefined> {
  const { status, json } = await call(endpoint, "GET", `auth/${mount}/role/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
  if (status === 404 || !json?.data) return undefined;
  const id = await call(endpoint, "GET", `auth/${mount}/role/${encodeURIComponent(name)}/role-id`, { token: adminToken });
  const d = json.data;
  return { tokenPolicies: d.token_policies ?? [], tokenPeriod: String(d.token_period ?? d.period ?? ""), boundCidrs: d.secret_id_bound_cidrs ?? [], roleId: id.json.data.role_id };
}

export async function writeAppRole(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string, role: AppRole): Promise<void> {
  await call(endpoint, "POST", `auth/${mount}/role/${encodeURIComponent(name)}`, {
    token: adminToken,
    body: { token_policies: role.tokenPolicies, token_period: role.tokenPeriod, secret_id_ttl: 0, secret_id_num_uses: 0, secret_id_bound_cidrs: role.boundCidrs, token_bound_cidrs: role.boundCidrs, token_type: "service" },
  });
}

export async function deleteAppRole(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string): Promise<void> {
  await call(endpoint, "DELETE", `auth/${mount}/role/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
}

/** A new secret id of the role (no expiry, any number of logins). */
export async function createAppRoleSecretId(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string): Promise<{ secretId: string; accessor: string }> {
  const { json } = await call(endpoint, "POST", `auth/${mount}/role/${encodeURIComponent(name)}/secret-id`, { token: adminToken, body: {} });
  return { secretId: json.data.secret_id, accessor: json.data.secret_id_accessor };
}

/** The accessors of the role's live secret ids. */
export async function listAppRoleSecretIdAccessors(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string): Promise<string[]> {
  const { status, json } = await call(endpoint, "LIST", `auth/${mount}/role/${encodeURIComponent(name)}/secret-id`, { token: adminToken, accept: [404] });
  return status === 404 ? [] : (json?.data?.keys ?? []);
}

export async function destroyAppRoleSecretId(endpoint: StoreEndpoint, adminToken: string, mount: string, name: string, accessor: string): Promise<void> {
  await call(endpoint, "POST", `auth/${mount}/role/${encodeURIComponent(name)}/secret-id-accessor/destroy`, { token: adminToken, body: { secret_id_accessor: accessor }, accept: [400, 404] });
}

/** AppRole login: the client token, or undefined when the store refuses the credentials. */
export async function appRoleLogin(endpoint: StoreEndpoint, mount: string, roleId: string, secretId: string): Promise<string | undefined> {
  const { status, json } = await call(endpoint, "POST", `auth/${mount}/login`, { body: { role_id: roleId, secret_id: secretId }, accept: [400, 403] });
  return status >= 400 ? undefined : json.auth.client_token;
}

/** A token made through the token role `role` (EdgeX's RegenToken parameters); the whole create response. */
export async function createTokenByRole(endpoint: StoreEndpoint, token: string, role: string, opts: { entityAlias: string; policies: string[]; period: string; meta: Record<string, string> }): Promise<TokenResponse & { auth: { entity_id: string } }> {
  const { json } = await call(endpoint, "POST", `auth/token/create/${encodeURIComponent(role)}`, {
    token,
    body: { display_name: `token-${opts.entityAlias}`, entity_alias: opts.entityAlias, policies: opts.policies, period: opts.period, ttl: opts.period, renewable: true, meta: opts.meta },
  });
  return json;
}

/** The entity's aliases with their ids (by entity name). */
export async function readEntityAliases(endpoint: StoreEndpoint, adminToken: string, name: string): Promise<{ id: string; name: string; mountAccessor: string }[] | undefined> {
  const { status, json } = await call(endpoint, "GET", `identity/entity/name/${encodeURIComponent(name)}`, { token: adminToken, accept: [404] });
  if (status === 404 || !json?.data) return undefined;
  return (json.data.aliases ?? []).map((a: any) => ({ id: a.id, name: a.name, mountAccessor: a.mount_accessor }));
}

export async function deleteEntityAlias(endpoint: StoreEndpoint, adminToken: string, id: string): Promise<void> {
  await call(endpoint, "DELETE", `identity/entity-alias/id/${encodeURIComponent(id)}`, { token: adminToken, accept: [404] });
}
