// The gateway's auth service (EdgeX 3/4's security-proxy-auth): NGINX asks it about every request to a route that
// is not public (`auth_request`). It verifies the bearer token, a JWT from the secret store's identity engine:
// signature against the keys the store publishes (.well-known/keys, cached; fetched again on an unknown key id),
// `exp`, `iss` and `aud`, with jose; a route's groups (X-Edge-Groups) must meet the token's `groups` claim.
// With `introspect` in its settings (the EdgeX layout) it asks the store instead (POST identity/oidc/introspect, as
// EdgeX's security-proxy-auth does) with the gateway service's own token, for every request, so a removed user's
// token is refused at once; the groups are then read from the token the store called active.
// Answers 200, 401 (no or bad token) or 403 (not in the route's groups). One log line per refusal, never the token.
//
//   tsx components/gateway/auth-service/server.ts <auth.json>     (the stack writes auth.json; SIGHUP re-reads it)
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { createRemoteJWKSet, customFetch, decodeJwt, errors, jwtVerify, JWTVerifyGetKey } from "jose";
import { Agent, fetch } from "undici";
import type { AuthServiceConfig } from "../nginx/nginx";

/** Verified tokens, by hash, until they expire: a client reuses its token, and a signature check is the costly part. */
const CACHE_LIMIT = 10_000;

interface Verified {
  exp: number;
  groups: string[];
}

interface State {
  config: AuthServiceConfig;
  keys: JWTVerifyGetKey;
  cache: Map<string, Verified>;
  dispatcher: Agent;
  /** The store token introspection is asked with (from config.introspect.tokenFile). */
  storeToken?: string;
}

function readStoreToken(file: string): string {
  const parsed = JSON.parse(readFileSync(file, "utf8"));
  const token = parsed?.auth?.client_token ?? parsed?.root_token;
  if (typeof token !== "string" || token === "") throw new Error(`${file} holds no auth.client_token`);
  return token;
}

function load(file: string): State {
  const config: AuthServiceConfig = JSON.parse(readFileSync(file, "utf8"));
  const dispatcher = new Agent({ connect: { ca: readFileSync(config.caFile, "utf8") }, keepAliveTimeout: 60_000 });
  const keys = createRemoteJWKSet(new URL(config.jwksUrl), {
    cooldownDuration: 5_000,
    [customFetch]: ((url: string, options: RequestInit) => fetch(url, { ...(options as object), dispatcher })) as never,
  });
  return { config, keys, cache: new Map(), dispatcher, ...(config.introspect ? { storeToken: readStoreToken(config.introspect.tokenFile) } : {}) };
}

/** The store's answer about a token: active or not (its reason). A refused store token is read again once from its file. */
async function introspect(state: State, token: string): Promise<{ active: boolean; reason?: string }> {
  const { url, tokenFile } = state.config.introspect!;
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { method: "POST", dispatcher: state.dispatcher, headers: { "x-vault-token": state.storeToken!, "content-type": "application/json" }, body: JSON.stringify({ token, client_id: state.config.audience }) });
    const body = (await res.json().catch(() => ({}))) as { active?: boolean; error?: string; errors?: string[] };
    if (res.status === 200) return body.active === true ? { active: true } : { active: false, reason: body.error ?? "not active" };
    // Our own store token was refused (renewed or rewritten by `up`): read the file again, once.
    if (res.status === 403 && attempt === 0) {
      state.storeToken = readStoreToken(tokenFile);
      continue;
    }
    if (res.status === 400) return { active: false, reason: (body.errors ?? []).join("; ") || "malformed token" };
    throw new Error(`the store answered ${res.status} to introspection: ${(body.errors ?? []).join("; ")}`);
  }
}

/** Keeps the store token alive (periodic, like every EdgeX service's): renew-self every `everyMs`. */
function renewStoreToken(state: () => State, everyMs: number): void {
  setInterval(() => {
    const s = state();
    if (!s.config.introspect) return;
    fetch(new URL("/v1/auth/token/renew-self", s.config.introspect.url), { method: "POST", dispatcher: s.dispatcher, headers: { "x-vault-token": s.storeToken! }, body: "{}" }).then(
      async (res) => {
        await res.body?.cancel();
        if (res.status !== 200) s.storeToken = readStoreToken(s.config.introspect!.tokenFile);
      },
      (err: Error) => console.error(`gateway-auth: renewing its store token failed: ${err.message}`),
    );
  }, everyMs).unref();
}

function groupsOf(claim: unknown): string[] {
  return Array.isArray(claim) ? claim.filter((g): g is string => typeof g === "string") : [];
}

async function check(state: State, req: IncomingMessage): Promise<{ status: 200 | 401 | 403; reason?: string }> {
  const header = req.headers.authorization ?? "";
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header);
  if (!match) return { status: 401, reason: header ? "malformed Authorization header" : "no bearer token" };
  const token = match[1];
  if (state.config.introspect) {
    const answer = await introspect(state, token);
    if (!answer.active) return { status: 401, reason: `token refused by the store (${answer.reason})` };
    return groupCheck(req, groupsOf(decodeJwt(token).groups));
  }
  const id = createHash("sha256").update(token).digest("base64");
  const now = Math.floor(Date.now() / 1000);
  let verified = state.cache.get(id);
  if (verified && verified.exp <= now) {
    state.cache.delete(id);
    verified = undefined;
  }
  if (!verified) {
    try {
      const { payload } = await jwtVerify(token, state.keys, { issuer: state.config.issuer, audience: state.config.audience, algorithms: state.config.algorithms, requiredClaims: ["exp"] });
      verified = { exp: payload.exp!, groups: groupsOf(payload.groups) };
    } catch (err) {
      if (err instanceof errors.JOSEError) return { status: 401, reason: `token refused (${err.code})` };
      throw err;
    }
    if (state.cache.size >= CACHE_LIMIT) state.cache.delete(state.cache.keys().next().value!);
    state.cache.set(id, verified);
  }
  return groupCheck(req, verified.groups);
}

function groupCheck(req: IncomingMessage, groups: string[]): { status: 200 | 403; reason?: string } {
  const required = String(req.headers["x-edge-groups"] ?? "").split(",").filter(Boolean);
  if (required.length > 0 && !required.some((g) => groups.includes(g))) return { status: 403, reason: `not in the route's groups (${required.join(", ")})` };
  return { status: 200 };
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: server.ts <auth.json>");
    process.exit(2);
  }
  let state = load(file);
  // Half of EdgeX's shortest token period (1h) would do; every 10 min keeps a shorter period alive too.
  renewStoreToken(() => state, 10 * 60_000);
  process.on("SIGHUP", () => {
    try {
      state = load(file);
      console.log(`gateway-auth: settings re-read from ${file}`);
    } catch (err) {
      console.error(`gateway-auth: ${file} could not be re-read, the previous settings stay: ${(err as Error).message}`);
    }
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    check(state, req).then(
      ({ status, reason }) => {
        if (reason) {
          // The URI without its query (which could carry a credential); never the token.
          const uri = String(req.headers["x-original-uri"] ?? req.url ?? "").split("?")[0];
          console.log(`gateway-auth: refused ${status} ${req.headers["x-original-method"] ?? req.method} ${uri} route=${req.headers["x-edge-route"] ?? "-"} from ${req.headers["x-real-ip"] ?? req.socket.remoteAddress}: ${reason}`);
        }
        res.writeHead(status, { "content-length": "0" }).end();
      },
      (err: Error) => {
        console.error(`gateway-auth: cannot check a request: ${err.message}`);
        res.writeHead(500, { "content-length": "0" }).end();
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  const [host, port] = [state.config.listen.slice(0, state.config.listen.lastIndexOf(":")).replace(/^\[|\]$/g, ""), Number(state.config.listen.slice(state.config.listen.lastIndexOf(":") + 1))];
  const pidFile = state.config.pidFile;
  server.listen(port, host, () => {
    writeFileSync(pidFile, `${process.pid}\n`);
    console.log(`gateway-auth: listening on ${state.config.listen}`);
  });
  const stop = () => {
    rmSync(pidFile, { force: true });
    server.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
