// The NGINX gateway's configuration: rendered from the route mapping, checked with `nginx -t`, written
// atomically, then the running NGINX (if any) reloaded. No Pulumi in here. Providers call these at run time,
// also from older provider code stored in a stack's state: change signatures only compatibly.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import type { Route } from "../routes";
import { EdgeError } from "../../shared/errors";
import { ensureDir, readIfExists, removeFile, writeFileAtomically, PUBLIC_FILE_MODE, SECRET_FILE_MODE } from "../../shared/files";

const run = promisify(execFile);

export class NginxError extends EdgeError {
  constructor(message: string) {
    super(message);
    this.name = "NginxError";
  }
}

/** A route as the configuration needs it: the mapping's fields (components/gateway/routes.ts), without where it was declared. */
export type NginxRoute = Pick<Route, "name" | "path" | "protocol" | "host" | "port" | "upstreamPath" | "public" | "groups">;

export interface NginxSite {
  configDir: string;
  /** "127.0.0.1:8443" */
  listen: string;
  /** The auth service's "address:port". */
  authListen: string;
  /** The secret store's address (https://...), whose login and token endpoints are passed through. */
  storeAddress: string;
  /** The name NGINX checks in the store's certificate (NGINX matches DNS names only, not IP addresses). */
  storeTlsName: string;
  userpassPath: string;
  routes: NginxRoute[];
  /** Logins through the gateway, per client address (NGINX limit_req): e.g. { rate: "10r/m", burst: 5 }. Unset: none. */
  loginLimit?: { rate: string; burst: number };
}

/** The files the stack keeps in the config folder. */
export const NGINX_FILES = { conf: "nginx.conf", candidate: "nginx.conf.candidate", tlsDir: "tls", storeCa: "store-ca.pem", auth: "auth.json", runDir: "run", pid: "nginx.pid", authPid: "auth.pid" } as const;

export const STORE_PASSTHROUGH_PATH = "/vault";
export const AUTH_LOCATION = "/_edge_auth";

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The TLS file names carry the certificate's hash, so a candidate never overwrites what the running NGINX uses. */
export function tlsFiles(configDir: string, certPem: string): { cert: string; key: string } {
  const tag = sha256(certPem).slice(0, 16);
  return { cert: join(configDir, NGINX_FILES.tlsDir, `cert-${tag}.pem`), key: join(configDir, NGINX_FILES.tlsDir, `key-${tag}.pem`) };
}

/** A quoted NGINX string (the values here are checked names and paths; quoting keeps them one token). */
function q(value: string): string {
  return `"${value.replace(/(["\\$])/g, "\\$1")}"`;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** A location's request headers (NGINX drops the inherited ones as soon as a location sets one, so all are here). */
function headers(host: string): string[] {
  return [
    `      proxy_set_header Host ${q(host)};`,
    // Keep-alive to the upstream (the upstream block's keepalive needs HTTP/1.1 without "Connection: close").
    '      proxy_set_header Connection "";',
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_set_header X-Forwarded-Proto https;",
  ];
}

/** nginx.conf for the site, TLS 1.3 only, one location per route, `auth_request` unless the route is public. */
export function renderNginxConf(site: NginxSite, certPem: string): string {
  const dir = site.configDir;
  const runDir = join(dir, NGINX_FILES.runDir);
  const tls = tlsFiles(dir, certPem);
  const store = new URL(site.storeAddress);
  const storeCa = join(dir, NGINX_FILES.storeCa);
  const lines: string[] = [
    "# Written by edge-security (the node stack): edits are seen by `refresh` and undone by `up`.",
    "worker_processes auto;",
    `pid ${q(join(runDir, NGINX_FILES.pid))};`,
    `error_log ${q(join(runDir, "error.log"))} warn;`,
    "events { worker_connections 4096; }",
    "http {",
    "  access_log off;",
    "  server_tokens off;",
    // Bodies and responses stay in memory: the workers' user cannot reach folders inside the service's 0700 folder.
    "  client_max_body_size 16m;",
    "  client_body_buffer_size 16m;",
    "  proxy_max_temp_file_size 0;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${q(join(runDir, `${t}_temp`))};`),
    `  upstream edge_auth { server ${site.authListen}; keepalive 64; }`,
    ...(site.loginLimit ? [`  limit_req_zone $binary_remote_addr zone=edge_login:1m rate=${site.loginLimit.rate};`, "  limit_req_status 429;"] : []),
    ...site.routes.map((r, i) => `  upstream edge_route_${i} { server ${hostPort(r.host, r.port)}; keepalive 32; }`),
    "  server {",
    `    listen ${site.listen} ssl;`,
    `    ssl_certificate ${q(tls.cert)};`,
    `    ssl_certificate_key ${q(tls.key)};`,
    "    ssl_protocols TLSv1.3;",
    "    ssl_session_cache shared:edge_tls:1m;",
    "    proxy_http_version 1.1;",
    "    location / { return 404; }",
    // The store's userpass login and identity-token endpoints, so that a user gets a token through the gateway.
    ...[`v1/auth/${site.userpassPath}/login/`, "v1/identity/oidc/token/"].flatMap((p, i) => [
      `    location ${STORE_PASSTHROUGH_PATH}/${p} {`,
      // Password guesses are slowed per client address before the store sees them (its lockout is the last line).
      ...(i === 0 && site.loginLimit ? [`      limit_req zone=edge_login burst=${site.loginLimit.burst} nodelay;`] : []),
      `      proxy_pass ${store.protocol}//${store.host}/${p};`,
      ...headers(store.host),
      `      proxy_ssl_trusted_certificate ${q(storeCa)};`,
      "      proxy_ssl_verify on;",
      "      proxy_ssl_verify_depth 4;",
      `      proxy_ssl_name ${q(site.storeTlsName)};`,
      "      proxy_ssl_server_name on;",
      "    }",
    ]),
  ];
  site.routes.forEach((r, i) => {
    const upstreamDir = r.upstreamPath.endsWith("/") ? r.upstreamPath : `${r.upstreamPath}/`;
    const body = [
      ...(r.public ? [] : [`      auth_request ${AUTH_LOCATION}/${i};`]),
      ...headers(hostPort(r.host, r.port)),
      ...(r.protocol === "https" ? [`      proxy_ssl_trusted_certificate ${q(storeCa)};`, "      proxy_ssl_verify on;", "      proxy_ssl_verify_depth 4;", `      proxy_ssl_name ${q(r.host)};`, "      proxy_ssl_server_name on;"] : []),
    ];
    lines.push(
      `    # route ${r.name}${r.public ? " (public)" : ""}${r.groups.length ? ` (groups: ${r.groups.join(", ")})` : ""}`,
      `    location ${r.path}/ {`,
      ...body,
      `      proxy_pass ${r.protocol}://edge_route_${i}${upstreamDir};`,
      "    }",
      `    location = ${r.path} {`,
      ...body,
      `      proxy_pass ${r.protocol}://edge_route_${i}${r.upstreamPath};`,
      "    }",
    );
    if (!r.public) {
      lines.push(
        `    location = ${AUTH_LOCATION}/${i} {`,
        "      internal;",
        "      proxy_pass http://edge_auth/auth;",
        "      proxy_pass_request_body off;",
        '      proxy_set_header Content-Length "";',
        '      proxy_set_header Connection "";',
        "      proxy_set_header Authorization $http_authorization;",
        "      proxy_set_header X-Original-URI $request_uri;",
        "      proxy_set_header X-Original-Method $request_method;",
        "      proxy_set_header X-Real-IP $remote_addr;",
        `      proxy_set_header X-Edge-Route ${q(r.name)};`,
        `      proxy_set_header X-Edge-Groups ${q(r.groups.join(","))};`,
        "    }",
      );
    }
  });
  lines.push("  }", "}", "");
  return lines.join("\n");
}

export interface AuthServiceConfig {
  listen: string;
  jwksUrl: string;
  issuer: string;
  audience: string;
  algorithms: string[];
  caFile: string;
  pidFile: string;
  /**
   * Set: every token is asked about at the store (POST identity/oidc/introspect, as EdgeX's security-proxy-auth
   * does), with the token in `tokenFile` (a login response, auth.client_token), so a removed user's token is refused
   * at once; nothing is cached. Unset: local verification against the store's published keys (cached until `exp`).
   */
  introspect?: { url: string; tokenFile: string };
}

/** How the auth service checks tokens beyond the defaults: the `iss` the store puts in them, introspection. */
export interface AuthCheckOptions {
  /** The tokens' `iss` (default: the store's address + /v1/identity/oidc). */
  issuer?: string;
  /** Introspect at the store with this token file instead of verifying locally. */
  introspectTokenFile?: string;
}

export function authServiceConfig(site: NginxSite, audience: string, algorithm: string, options: AuthCheckOptions = {}): AuthServiceConfig {
  return {
    listen: site.authListen,
    jwksUrl: new URL("/v1/identity/oidc/.well-known/keys", site.storeAddress).toString(),
    issuer: options.issuer ?? `${site.storeAddress.replace(/\/+$/, "")}/v1/identity/oidc`,
    audience,
    algorithms: [algorithm],
    caFile: join(site.configDir, NGINX_FILES.storeCa),
    pidFile: join(site.configDir, NGINX_FILES.runDir, NGINX_FILES.authPid),
    ...(options.introspectTokenFile ? { introspect: { url: new URL("/v1/identity/oidc/introspect", site.storeAddress).toString(), tokenFile: options.introspectTokenFile } } : {}),
  };
}

/**
 * Runs `nginx -t` on a configuration file: undefined when it passes, else NGINX's own complaint (one line).
 * The prefix and early error log are the site's runtime folder, so nothing of the system's NGINX is touched.
 */
export async function testConfig(nginxBin: string, confFile: string, runDir: string): Promise<string | undefined> {
  try {
    await run(nginxBin, ["-t", "-q", "-p", `${runDir}/`, "-e", join(runDir, "error.log"), "-c", confFile], { encoding: "utf8" });
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new NginxError(`${nginxBin} is not installed (apt-get install nginx-light; npm run setup installs it)`);
    const line = (e.stderr ?? "").split("\n").find((l) => /\[(emerg|alert|crit|error)\]/.test(l)) ?? (e.stderr ?? e.message).trim().split("\n")[0];
    return line.replace(/^nginx: /, "").trim();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in a pid file when that process is alive. */
export function runningPid(pidFile: string): number | undefined {
  const pid = Number(readIfExists(pidFile)?.trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

function childrenOf(pid: number): Set<string> {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return new Set(tasks.flatMap((t) => (readIfExists(`/proc/${pid}/task/${t}/children`) ?? "").trim().split(/\s+/).filter(Boolean)));
}

/**
 * Reloads the running NGINX (SIGHUP to its master) and waits until the master has started workers with the new
 * configuration (a child that was not there before), bounded by `timeoutSeconds`. False when no NGINX runs.
 */
export async function reload(pidFile: string, timeoutSeconds = 30): Promise<boolean> {
  const pid = runningPid(pidFile);
  if (pid === undefined) return false;
  const before = childrenOf(pid);
  process.kill(pid, "SIGHUP");
  const started = Date.now();
  const policy = retry(handleWhen((e) => e instanceof NginxError && Date.now() - started < timeoutSeconds * 1000), { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new ExponentialBackoff({ initialDelay: 20, maxDelay: 500 }) });
  await policy.execute(() => {
    if (![...childrenOf(pid)].some((c) => !before.has(c))) throw new NginxError(`NGINX (pid ${pid}) did not start workers with the new configuration within ${timeoutSeconds} s; see its error log`);
  });
  return true;
}

export interface AppliedSite {
  confSha256: string;
  certSha256: string;
  authSha256: string;
  reloaded: boolean;
}

/**
 * Writes the site: the TLS files (0600, in a 0700 folder), the store's CA, the auth service's settings, then the
 * configuration: a candidate first, checked with `nginx -t`; only a passing one replaces nginx.conf (atomically),
 * and NGINX is reloaded when it runs. A failing candidate leaves every file NGINX uses as it was.
 */
export async function applySite(site: NginxSite, tls: { certPem: string; keyPem: string }, caPem: string, auth: AuthServiceConfig, nginxBin = "nginx"): Promise<AppliedSite> {
  const dir = site.configDir;
  ensureDir(dir, {}, 0o755);
  ensureDir(join(dir, NGINX_FILES.runDir), {}, 0o755);
  ensureDir(join(dir, NGINX_FILES.tlsDir));
  const files = tlsFiles(dir, tls.certPem);
  await writeFileAtomically(files.cert, tls.certPem, SECRET_FILE_MODE);
  await writeFileAtomically(files.key, tls.keyPem, SECRET_FILE_MODE);
  await writeFileAtomically(join(dir, NGINX_FILES.storeCa), caPem, PUBLIC_FILE_MODE, {}, 0o755);
  const conf = renderNginxConf(site, tls.certPem);
  const candidate = join(dir, NGINX_FILES.candidate);
  await writeFileAtomically(candidate, conf, SECRET_FILE_MODE, {}, 0o755);
  const problem = await testConfig(nginxBin, candidate, join(dir, NGINX_FILES.runDir));
  removeFile(candidate);
  if (problem !== undefined) {
    // Only what the running configuration does not use goes.
    if (!currentTlsFiles(dir).includes(files.cert)) for (const f of [files.cert, files.key]) removeFile(f);
    throw new NginxError(`the generated NGINX configuration fails nginx -t, so the running one is kept: ${problem}`);
  }
  await writeFileAtomically(join(dir, NGINX_FILES.conf), conf, SECRET_FILE_MODE, {}, 0o755);
  const authText = `${JSON.stringify(auth, null, 2)}\n`;
  const authChanged = readIfExists(join(dir, NGINX_FILES.auth)) !== authText;
  await writeFileAtomically(join(dir, NGINX_FILES.auth), authText, PUBLIC_FILE_MODE, {}, 0o755);
  const reloaded = await reload(join(dir, NGINX_FILES.runDir, NGINX_FILES.pid));
  // The auth service re-reads its settings on SIGHUP.
  const authPid = authChanged ? runningPid(auth.pidFile) : undefined;
  if (authPid !== undefined) process.kill(authPid, "SIGHUP");
  // Older certificates: the configuration in force names only the new files.
  for (const f of readdirSync(join(dir, NGINX_FILES.tlsDir))) {
    const path = join(dir, NGINX_FILES.tlsDir, f);
    if (path !== files.cert && path !== files.key) removeFile(path);
  }
  return { confSha256: sha256(conf), certSha256: sha256(tls.certPem), authSha256: sha256(authText), reloaded };
}

/** The TLS files the written nginx.conf names. */
function currentTlsFiles(dir: string): string[] {
  const conf = readIfExists(join(dir, NGINX_FILES.conf)) ?? "";
  return [...conf.matchAll(/ssl_certificate(?:_key)? "([^"]+)";/g)].map((m) => m[1]);
}

export type SiteState = "intact" | "missing" | "changed";

/** What is on disk compared with what was applied: the configuration, the TLS files it names, the auth settings. */
export function siteState(dir: string, applied: { confSha256: string; authSha256: string; certSha256: string }): SiteState {
  const conf = readIfExists(join(dir, NGINX_FILES.conf));
  const auth = readIfExists(join(dir, NGINX_FILES.auth));
  if (conf === undefined || auth === undefined) return "missing";
  if (sha256(conf) !== applied.confSha256 || sha256(auth) !== applied.authSha256) return "changed";
  const named = currentTlsFiles(dir);
  if (named.some((f) => !existsSync(f))) return "missing";
  const cert = named.find((f) => f.includes("/cert-"));
  return cert && sha256(readFileSync(cert, "utf8")) === applied.certSha256 ? "intact" : "changed";
}

/** Removes what applySite wrote (not the runtime folder: a running NGINX keeps its pid and log there). */
export function removeSite(dir: string): void {
  for (const f of [NGINX_FILES.conf, NGINX_FILES.candidate, NGINX_FILES.storeCa, NGINX_FILES.auth]) removeFile(join(dir, f));
  const tlsDir = join(dir, NGINX_FILES.tlsDir);
  if (existsSync(tlsDir)) for (const f of readdirSync(tlsDir)) removeFile(join(tlsDir, f));
}
