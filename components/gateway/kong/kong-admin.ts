// Kong's Admin API (OSS, 2.x and 3.x), as the Kong resources use it. No Pulumi in here. Providers call these at
// run time, also from older provider code stored in a stack's state: change signatures only compatibly.
//
// What Kong promises and this relies on (../shared/contracts: Kong's OpenAPI file and notes from its source):
// PUT /<entities>/<endpoint key or id> inserts or replaces (200); DELETE answers 204, also for a missing entity;
// GET of a missing entity 404; a unique violation 409; a schema violation 400 (an SNI bound to another
// certificate); lists are paged (`next`). No credential ever appears in an error message.
import { ExponentialBackoff, handleWhen, retry, timeout, TimeoutStrategy, wrap } from "cockatiel";
import { Agent, request } from "undici";
import { EdgeError } from "../../shared/errors";

export interface KongEndpoint {
  /** e.g. http://127.0.0.1:8001 */
  adminUrl: string;
  /** PEM of the CA that vouches for an https:// Admin API. */
  caPem?: string;
  /** When the Admin API sits behind the gateway: the header and value it expects. */
  credentials?: { header: string; value: string };
  /** How long one request may take. Default 30. */
  requestTimeoutSeconds?: number;
}

/** The endpoint from a Kong resource's inputs (the field names the providers use). */
export function endpointOf(inputs: { adminUrl: string; adminCaPem?: string; adminCredentials?: { header: string; value: string }; requestTimeoutSeconds?: number }): KongEndpoint {
  return { adminUrl: inputs.adminUrl, caPem: inputs.adminCaPem, credentials: inputs.adminCredentials, requestTimeoutSeconds: inputs.requestTimeoutSeconds };
}

/** A failure a user can act on: one sentence, no secret in it (an EdgeError: printed as one line, no stack). */
export class KongError extends EdgeError {
  constructor(message: string) {
    super(message);
    this.name = "KongError";
  }
}

export interface Answer {
  status: number;
  json: any;
}

// Recorded provider code calls `deterministicId` through this module.
export { deterministicId } from "./kong-ids";

/** The tag every entity this project makes carries: delete and adoption look at it. */
export function ownerTag(stack: string): string {
  return `edge-security.${stack}`.replace(/[^A-Za-z0-9._~-]/g, "_").slice(0, 128);
}

const agents = new Map<string, Agent>();

function agentFor(endpoint: KongEndpoint): Agent {
  const key = `${endpoint.adminUrl}\n${endpoint.caPem ?? ""}\n${endpoint.requestTimeoutSeconds ?? 30}`;
  let agent = agents.get(key);
  if (!agent) {
    const ms = (endpoint.requestTimeoutSeconds ?? 30) * 1000;
    agent = new Agent({ connect: { ...(endpoint.caPem ? { ca: endpoint.caPem } : {}), timeout: ms }, headersTimeout: ms, bodyTimeout: ms, keepAliveTimeout: 4_000 });
    agents.set(key, agent);
  }
  return agent;
}

function errorCode(err: unknown): string | undefined {
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === "string") return e.code;
  }
  return undefined;
}

class Unreachable extends KongError {}

function describe(json: any, text: string): string {
  const message = typeof json?.message === "string" ? json.message : text.slice(0, 200);
  const fields = json?.fields && typeof json.fields === "object" ? ` ${JSON.stringify(json.fields)}` : "";
  return `${message}${fields}`.replace(/\s+/g, " ").trim();
}

/** One Admin API call. Throws KongError naming the address, method, path and Kong's own message. */
export async function call(endpoint: KongEndpoint, method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE", path: string, options: { body?: unknown; accept?: number[] } = {}): Promise<Answer> {
  const url = new URL(path, endpoint.adminUrl);
  const headers: Record<string, string> = { accept: "application/json" };
  if (endpoint.credentials) headers[endpoint.credentials.header.toLowerCase()] = endpoint.credentials.value;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await request(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), dispatcher: agentFor(endpoint) });
  } catch (err) {
    throw new Unreachable(`Kong's Admin API at ${endpoint.adminUrl} is not reachable (${errorCode(err) ?? (err as Error).message})`);
  }
  const text = await res.body.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw new KongError(`Kong's Admin API at ${endpoint.adminUrl} refused ${method} ${path} (${res.statusCode}: ${describe(json, text)}); check gateway.kong.adminCredentials`);
  }
  if (res.statusCode >= 400 && !(options.accept ?? []).includes(res.statusCode)) {
    throw new KongError(`Kong's Admin API at ${endpoint.adminUrl} refused ${method} ${path} (${res.statusCode}: ${describe(json, text)})`);
  }
  return { status: res.statusCode, json };
}

export interface KongInfo {
  version: string;
  /** 2 or 3 (or later): decides how route paths are written. */
  major: number;
}

/**
 * Waits (bounded) until the Admin API answers `GET /`, and returns Kong's version. Refused connections are
 * retried with backoff (Kong starting beside `up`); a refusal of the request itself (401) is not.
 */
export async function waitForAdmin(endpoint: KongEndpoint, waitSeconds: number): Promise<KongInfo> {
  const policy = wrap(timeout(waitSeconds * 1000, TimeoutStrategy.Aggressive), retry(handleWhen((err) => err instanceof Unreachable), { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 2_000 }) }));
  let last: Error | undefined;
  try {
    const { json } = await policy.execute(() =>
      call(endpoint, "GET", "/").catch((err) => {
        last = err;
        throw err;
      }),
    );
    const version = String(json?.version ?? "");
    const major = Number(/^(\d+)\./.exec(version)?.[1]);
    if (!Number.isInteger(major) || major < 2) throw new KongError(`Kong's Admin API at ${endpoint.adminUrl} reports version ${JSON.stringify(version)}; Kong 2.x or later is needed`);
    return { version, major };
  } catch (err) {
    if (err instanceof KongError && !(err instanceof Unreachable)) throw err;
    throw new KongError(`Kong's Admin API at ${endpoint.adminUrl} did not answer within ${waitSeconds} s (gateway.kong.adminWaitSeconds)${last ? `: ${last.message.replace(/^Kong's Admin API at \S+ /, "")}` : ""}`);
  }
}

/** A route path as Kong reads it: 3.x takes a path not starting with "~" as a plain prefix; 2.x reads every path as a regex. */
export function kongPath(path: string, major: number): string {
  return major >= 3 ? path : path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function entityPath(...segments: string[]): string {
  return `/${segments.map(encodeURIComponent).join("/")}`;
}

/** The entity at /<segments...>, or undefined when Kong answers 404. */
export async function getEntity(endpoint: KongEndpoint, ...segments: string[]): Promise<any | undefined> {
  const { status, json } = await call(endpoint, "GET", entityPath(...segments), { accept: [404] });
  return status === 404 ? undefined : json;
}

/** PUT /<segments...>: inserts or replaces the entity by its endpoint key or id. */
export async function putEntity(endpoint: KongEndpoint, body: Record<string, unknown>, ...segments: string[]): Promise<any> {
  return (await call(endpoint, "PUT", entityPath(...segments), { body })).json;
}

/** DELETE /<segments...> (Kong answers 204 also when it was missing). */
export async function deleteEntity(endpoint: KongEndpoint, ...segments: string[]): Promise<void> {
  await call(endpoint, "DELETE", entityPath(...segments), { accept: [404] });
}

/** Every entity of a list, following `next` to the end (Kong pages lists; default 100 a page). */
export async function listAll(endpoint: KongEndpoint, ...segments: string[]): Promise<any[]> {
  const all: any[] = [];
  let next: string | null = entityPath(...segments);
  for (let pages = 0; next; pages++) {
    if (pages > 100_000) throw new KongError(`Kong's Admin API at ${endpoint.adminUrl} kept answering a next page for ${entityPath(...segments)}`);
    const { json }: Answer = await call(endpoint, "GET", next);
    all.push(...(Array.isArray(json?.data) ? json.data : []));
    next = typeof json?.next === "string" && json.next ? json.next : null;
  }
  return all;
}

/**
 * Binds the SNI names to the certificate. Checks every name first: one bound to a certificate we do not own
 * is an error naming the SNI and that certificate's id, before anything changes (never a silent delete).
 */
export async function bindSnis(endpoint: KongEndpoint, certificateId: string, names: string[], tags: string[]): Promise<void> {
  for (const name of names) {
    const sni = await getEntity(endpoint, "snis", name);
    const boundTo = sni?.certificate?.id;
    if (boundTo && boundTo !== certificateId) {
      throw new KongError(`Kong's SNI ${JSON.stringify(name)} is bound to certificate ${boundTo}, which this stack does not own (its certificate is ${certificateId}); remove that SNI in Kong or drop the name from the gateway's certificate`);
    }
  }
  for (const name of names) await putEntity(endpoint, { name, certificate: { id: certificateId }, tags }, "snis", name);
}
