// A stand-in for Kong's Admin API, for tests only (Kong cannot run on these machines). It keeps entities in
// memory and reproduces the documented semantics the provider relies on (../shared/contracts): PUT upsert by
// endpoint key or id, 409 on a unique violation (a second plugin of a name in one scope, a name taken), 400 for
// a schema or foreign-key violation (an SNI bound to another certificate, a route of a missing service), 404,
// 204 on delete (also of a missing entity), pages of `pageSize` with `offset`/`next`, 401 without the admin
// credential. Every request and every answer is checked against Kong's OpenAPI file (KongContract); the
// problems are collected in `violations` for the tests to assert on.
import { randomUUID } from "node:crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { KongContract } from "./contract";

type Entity = Record<string, any>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Collections, their endpoint keys (undefined: id only) and defaults Kong fills in. */
const COLLECTIONS: Record<string, { key?: string; defaults: () => Entity }> = {
  services: { key: "name", defaults: () => ({ protocol: "http", port: 80, path: null, retries: 5, connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, enabled: true, tags: null, tls_verify: null, ca_certificates: null, client_certificate: null }) },
  routes: { key: "name", defaults: () => ({ protocols: ["http", "https"], methods: null, hosts: null, paths: null, headers: null, strip_path: true, preserve_host: false, regex_priority: 0, path_handling: "v0", https_redirect_status_code: 426, request_buffering: true, response_buffering: true, snis: null, sources: null, destinations: null, tags: null }) },
  plugins: { defaults: () => ({ enabled: true, protocols: ["grpc", "grpcs", "http", "https"], route: null, service: null, consumer: null, tags: null, config: {} }) },
  certificates: { defaults: () => ({ tags: null, cert_alt: null, key_alt: null }) },
  snis: { key: "name", defaults: () => ({ tags: null }) },
  consumers: { key: "username", defaults: () => ({ custom_id: null, tags: null }) },
};
/** A consumer's credentials (Kong's bundled plugins' DAOs): endpoint keys and defaults. */
const CREDENTIALS: Record<string, { key?: string; defaults: () => Entity }> = {
  acls: { defaults: () => ({ tags: null }) },
  jwt: { key: "key", defaults: () => ({ algorithm: "HS256", rsa_public_key: null, secret: randomUUID().replace(/-/g, ""), tags: null }) },
  oauth2: { key: "client_id", defaults: () => ({ client_id: randomUUID().replace(/-/g, ""), client_secret: randomUUID().replace(/-/g, ""), hash_secret: false, redirect_uris: null, client_type: "confidential", tags: null }) },
};

class Refusal {
  constructor(
    readonly status: number,
    readonly body: Entity,
  ) {}
}

const schemaViolation = (fields: Entity) => new Refusal(400, { code: 2, name: "schema violation", message: `schema violation (${Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join("; ")})`, fields });
const uniqueViolation = (what: string) => new Refusal(409, { code: 5, name: "unique constraint violation", message: `UNIQUE violation detected on '${what}'`, fields: {} });
const foreignKeyViolation = (message: string) => new Refusal(400, { code: 4, name: "foreign key violation", message, fields: {} });
const NOT_FOUND = () => new Refusal(404, { message: "Not found" });

export interface StandInOptions {
  version?: string;
  pageSize?: number;
  /** When set, every request needs header `apikey` with this value (the Admin API behind key-auth). */
  adminKey?: string;
}

export class KongStandIn {
  readonly store: Record<string, Map<string, Entity>> = Object.fromEntries([...Object.keys(COLLECTIONS), ...Object.keys(CREDENTIALS)].map((c) => [c, new Map()]));
  readonly violations: string[] = [];
  readonly log: { method: string; path: string; status: number }[] = [];
  private server?: Server;
  private port = 0;
  private clock = 1_700_000_000;

  private constructor(
    private readonly contract: KongContract,
    readonly options: Required<Omit<StandInOptions, "adminKey">> & { adminKey?: string },
  ) {}

  static async start(options: StandInOptions = {}, port = 0): Promise<KongStandIn> {
    const standIn = new KongStandIn(await KongContract.load(), { version: "3.9.1", pageSize: 7, ...options });
    await standIn.listen(port);
    return standIn;
  }

  private listen(port: number): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    return new Promise((done) => this.server!.listen(port, "127.0.0.1", () => {
      this.port = (this.server!.address() as { port: number }).port;
      done();
    }));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }

  /** Stops answering (connections refused) and starts again on the same port, keeping the entities. */
  async restart(): Promise<void> {
    const port = this.port;
    await this.stop();
    await this.listen(port);
  }

  all(collection: string): Entity[] {
    return [...this.store[collection].values()];
  }

  find(collection: string, key: string): Entity | undefined {
    const map = this.store[collection];
    const byId = map.get(key);
    if (byId) return byId;
    const keyField = (COLLECTIONS[collection] ?? CREDENTIALS[collection]).key;
    return keyField ? [...map.values()].find((e) => e[keyField] === key) : undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    let body: any;
    let status: number;
    let answer: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
      if (this.options.adminKey !== undefined && req.headers.apikey !== this.options.adminKey) throw new Refusal(401, { message: "Unauthorized", status: 401 });
      [status, answer] = this.route(method, url, body);
    } catch (err) {
      if (!(err instanceof Refusal)) {
        status = 500;
        answer = { message: `stand-in failure: ${(err as Error).message}` };
        this.violations.push(`${method} ${url}: the stand-in failed: ${(err as Error).stack}`);
      } else {
        status = err.status;
        answer = err.body;
      }
    }
    this.log.push({ method, path: url, status });
    this.violations.push(...this.contract.check({ method, path: url, body, status, answer: status === 204 ? undefined : answer }));
    res.writeHead(status, status === 204 ? {} : { "content-type": "application/json; charset=utf-8" });
    res.end(status === 204 ? undefined : JSON.stringify(answer));
  }

  private route(method: string, url: string, body: any): [number, any] {
    const [path, search = ""] = url.split("?");
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    const query = new URLSearchParams(search);
    if (parts.length === 0 && method === "GET") return [200, this.info()];
    const [collection, key, sub, subKey] = parts;
    if (collection === "consumers" && sub !== undefined && CREDENTIALS[sub]) {
      const consumer = this.find("consumers", key);
      if (!consumer) throw NOT_FOUND();
      if (subKey === undefined && method === "GET") return [200, this.page(sub, query, (e) => e.consumer.id === consumer.id, `/consumers/${encodeURIComponent(key)}/${sub}`)];
      if (subKey !== undefined) return this.entity(sub, method, subKey, body, CREDENTIALS[sub], consumer);
    }
    if (COLLECTIONS[collection] && sub === undefined) {
      if (key === undefined && method === "GET") return [200, this.page(collection, query, () => true, `/${collection}`)];
      if (key !== undefined) return this.entity(collection, method, key, body, COLLECTIONS[collection]);
    }
    throw new Refusal(404, { message: "Not found" });
  }

  private info(): Entity {
    return {
      version: this.options.version,
      edition: "community",
      tagline: "Welcome to kong",
      node_id: "a74d7c4f-ef83-4bbe-a5e7-3f5409f4a0b9",
      hostname: "stand-in",
      plugins: { available_on_server: { jwt: { version: this.options.version, priority: 1450 }, acl: { version: this.options.version, priority: 950 }, oauth2: { version: this.options.version, priority: 1400 } }, enabled_in_cluster: [...new Set(this.all("plugins").map((p) => p.name))] },
      configuration: { database: "postgres", admin_listen: ["127.0.0.1:8001"] },
    };
  }

  private page(collection: string, query: URLSearchParams, filter: (e: Entity) => boolean, base: string): Entity {
    const size = Number(query.get("size") ?? this.options.pageSize);
    if (!Number.isInteger(size) || size < 1 || size > 1000) throw schemaViolation({ size: "must be an integer from 1 to 1000" });
    const start = query.get("offset") ? Number(Buffer.from(query.get("offset")!, "base64url").toString()) : 0;
    const items = this.all(collection).filter(filter);
    const data = items.slice(start, start + size).map((e) => this.view(collection, e));
    const more = start + size < items.length;
    const offset = Buffer.from(String(start + size)).toString("base64url");
    return { data, next: more ? `${base}?offset=${offset}${query.get("size") ? `&size=${size}` : ""}` : null, ...(more ? { offset } : {}) };
  }

  /**
   * What the stand-in answers for an entity: Kong itself answers `null` for unset fields, but Kong's file does
   * not declare most of them nullable, so the stand-in leaves unset fields out (the provider must read both alike).
   */
  private view(_collection: string, entity: Entity): Entity {
    return Object.fromEntries(Object.entries(structuredClone(entity)).filter(([, v]) => v !== null));
  }

  private entity(collection: string, method: string, key: string, body: any, spec: { key?: string; defaults: () => Entity }, consumer?: Entity): [number, any] {
    const owned = (e: Entity | undefined) => (e && (!consumer || e.consumer?.id === consumer.id) ? e : undefined);
    const existing = owned(UUID.test(key) ? this.store[collection].get(key) : spec.key ? this.find(collection, key) : undefined);
    if (method === "GET") {
      if (!existing) throw NOT_FOUND();
      return [200, this.view(collection, existing)];
    }
    if (method === "DELETE") {
      if (existing) this.remove(collection, existing);
      return [204, undefined];
    }
    if (method !== "PUT") throw new Refusal(405, { message: "Method not allowed" });
    if (typeof body !== "object" || body === null) throw schemaViolation({ "@entity": "expected a record" });
    if (!UUID.test(key) && !spec.key) throw schemaViolation({ id: "expected a valid UUID" });
    const id = existing?.id ?? (UUID.test(key) ? key : randomUUID());
    const entity: Entity = { ...spec.defaults(), ...body, id, created_at: existing?.created_at ?? this.clock++ };
    if (!UUID.test(key) && spec.key) entity[spec.key] = key;
    if (consumer) entity.consumer = { id: consumer.id };
    if (collection === "routes" || collection === "services" || collection === "plugins" || collection === "snis" || collection === "certificates") entity.updated_at = this.clock++;
    this.checkEntity(collection, entity);
    this.store[collection].set(id, entity);
    if (collection === "certificates" && Array.isArray(body.snis)) {
      for (const name of body.snis) this.store.snis.set(this.find("snis", name)?.id ?? randomUUID(), { ...(this.find("snis", name) ?? { id: randomUUID(), created_at: this.clock++, tags: null }), name, certificate: { id } });
      delete entity.snis;
    }
    return [200, this.view(collection, entity)];
  }

  private reference(collection: string, ref: any, field: string): Entity | undefined {
    if (ref === null || ref === undefined) return undefined;
    const key = ref.id ?? ref.name ?? ref.username;
    const target = key === undefined ? undefined : this.find(collection, key);
    if (!target) throw foreignKeyViolation(`the foreign key '${JSON.stringify(ref)}' does not reference an existing '${collection}' entity (${field})`);
    return target;
  }

  private checkEntity(collection: string, e: Entity): void {
    const keyField = (COLLECTIONS[collection] ?? CREDENTIALS[collection]).key;
    if (keyField && e[keyField] !== undefined) {
      const clash = this.all(collection).find((o) => o.id !== e.id && o[keyField] === e[keyField]);
      if (clash) throw uniqueViolation(`${keyField}: ${e[keyField]}`);
    }
    if (collection === "services") {
      if (!e.host) throw schemaViolation({ host: "required field missing" });
    }
    if (collection === "routes") {
      e.service = this.reference("services", e.service, "service") && { id: this.reference("services", e.service, "service")!.id };
      if (!e.paths && !e.hosts && !e.methods) throw schemaViolation({ "@entity": "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'https'" });
      for (const p of e.paths ?? []) if (typeof p !== "string" || !(p.startsWith("/") || p.startsWith("~/"))) throw schemaViolation({ paths: `should start with: / (fixed path) or ~/ (regex path)` });
    }
    if (collection === "plugins") {
      if (!["jwt", "acl", "oauth2"].includes(e.name)) throw schemaViolation({ name: `plugin '${e.name}' not enabled; add it to the 'plugins' configuration property` });
      for (const f of ["route", "service", "consumer"] as const) e[f] = e[f] ? { id: this.reference(`${f}s`, e[f], f)!.id } : null;
      const clash = this.all("plugins").find((o) => o.id !== e.id && o.name === e.name && ["route", "service", "consumer"].every((f) => (o[f]?.id ?? null) === (e[f]?.id ?? null)));
      if (clash) throw uniqueViolation(`cache_key: plugins:${e.name}:${e.route?.id ?? ""}:${e.service?.id ?? ""}:${e.consumer?.id ?? ""}`);
      e.config = this.pluginConfig(e.name, e.config ?? {});
    }
    if (collection === "snis") e.certificate = { id: this.reference("certificates", e.certificate, "certificate")!.id };
    if (collection === "certificates") {
      if (!e.cert || !e.key) throw schemaViolation({ cert: "required field missing" });
      for (const name of e.snis ?? []) {
        const sni = this.find("snis", name);
        if (sni && sni.certificate.id !== e.id) throw schemaViolation({ snis: `${name} already associated with existing certificate '${sni.certificate.id}'` });
      }
    }
    if (collection === "acls") {
      const clash = this.all("acls").find((o) => o.id !== e.id && o.consumer.id === e.consumer.id && o.group === e.group);
      if (clash) throw uniqueViolation(`cache_key: acls:${e.consumer.id}:${e.group}`);
    }
    if (collection === "jwt" && ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"].includes(e.algorithm) && !e.rsa_public_key) {
      throw schemaViolation({ rsa_public_key: `required when algorithm is ${e.algorithm}` });
    }
  }

  /** The plugin schemas' checks and defaults the provider relies on (kong-notes.md). */
  private pluginConfig(name: string, config: Entity): Entity {
    if (name === "jwt") {
      const c: Entity = { uri_param_names: ["jwt"], cookie_names: [], header_names: ["authorization"], key_claim_name: "iss", secret_is_base64: false, claims_to_verify: null, maximum_expiration: 0, anonymous: null, run_on_preflight: true, realm: null, ...config };
      if (!(Number.isInteger(c.maximum_expiration) && c.maximum_expiration >= 0 && c.maximum_expiration <= 31536000)) throw schemaViolation({ config: { maximum_expiration: "value should be between 0 and 31536000" } });
      if (c.maximum_expiration > 0 && !(c.claims_to_verify ?? []).includes("exp")) throw schemaViolation({ "@entity": "expected to contain: exp (when maximum_expiration is set)" });
      if ((c.claims_to_verify ?? []).some((x: string) => x !== "exp" && x !== "nbf")) throw schemaViolation({ config: { claims_to_verify: "expected one of: exp, nbf" } });
      return c;
    }
    if (name === "acl") {
      const c: Entity = { hide_groups_header: false, ...config };
      if (this.options.version.startsWith("3") && ("whitelist" in c || "blacklist" in c)) throw schemaViolation({ config: { whitelist: "unknown field" } });
      if ((c.allow === undefined) === (c.deny === undefined)) throw schemaViolation({ config: "exactly one of these fields must be non-empty: 'config.allow', 'config.deny'" });
      return c;
    }
    const c: Entity = { scopes: null, mandatory_scope: false, provision_key: randomUUID().replace(/-/g, ""), token_expiration: 7200, enable_authorization_code: false, enable_implicit_grant: false, enable_client_credentials: false, enable_password_grant: false, global_credentials: false, refresh_token_ttl: 1209600, pkce: "lax", hide_credentials: false, accept_http_if_already_terminated: false, anonymous: null, realm: null, ...config };
    if (!c.enable_authorization_code && !c.enable_implicit_grant && !c.enable_client_credentials && !c.enable_password_grant) throw schemaViolation({ "@entity": "at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, enable_client_credentials, enable_password_grant" });
    return c;
  }

  private remove(collection: string, e: Entity): void {
    if (collection === "services" && this.all("routes").some((r) => r.service?.id === e.id)) throw foreignKeyViolation(`an existing 'routes' entity references this 'services' entity`);
    this.store[collection].delete(e.id);
    // Kong's cascades: a route's or consumer's plugins, a certificate's SNIs, a consumer's credentials.
    for (const p of this.all("plugins")) if (p.route?.id === e.id || p.service?.id === e.id || p.consumer?.id === e.id) this.store.plugins.delete(p.id);
    if (collection === "certificates") for (const s of this.all("snis")) if (s.certificate.id === e.id) this.store.snis.delete(s.id);
    if (collection === "consumers") for (const c of Object.keys(CREDENTIALS)) for (const x of this.all(c)) if (x.consumer.id === e.id) this.store[c].delete(x.id);
  }
}
