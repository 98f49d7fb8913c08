// The gateway's set-up in Kong, one function per step the Kong resources take: a route (service + route + its
// auth plugins), the gateway certificate with its SNIs, a user (consumer + ACL groups + credentials). No Pulumi in
// here. Everything this makes carries the stack's owner tag and a deterministic id or endpoint key, so a second run
// upserts the same entities; delete removes only entities carrying the tag. Providers call these at run time,
// also from older provider code stored in a stack's state: change signatures only compatibly.
import { createHash } from "node:crypto";
import type { Route } from "../routes";
import { bindSnis, deleteEntity, deterministicId, getEntity, KongEndpoint, KongError, kongPath, listAll, ownerTag, putEntity } from "./kong-admin";

export type RouteAuthKind = "jwt" | "oauth2" | "none";

/** A route of the mapping (components/gateway/routes.ts) as Kong is set up for it; `groups` are its ACL groups. */
export interface KongRouteSpec extends Pick<Route, "name" | "path" | "protocol" | "host" | "port" | "upstreamPath" | "groups"> {
  stack: string;
  /** Kong's major version (GET /): how the path is written. */
  major: number;
  auth: RouteAuthKind;
  jwtMaximumExpirationSeconds: number;
  oauth2TokenExpirationSeconds: number;
}

const PLUGINS = ["jwt", "oauth2", "acl"] as const;

export function pluginId(stack: string, route: string, plugin: string): string {
  return deterministicId(stack, `route:${route}:plugin:${plugin}`);
}

/** The plugins a route should carry, by name, with the config fields this project sets. */
function desiredPlugins(spec: KongRouteSpec): Record<string, Record<string, unknown>> {
  if (spec.auth === "none") return {};
  const auth: Record<string, Record<string, unknown>> =
    spec.auth === "jwt"
      ? // exp is always checked (EdgeX never set claims_to_verify, so Kong did not check expiry at all).
        { jwt: { claims_to_verify: ["exp"], maximum_expiration: spec.jwtMaximumExpirationSeconds, key_claim_name: "iss", secret_is_base64: false } }
      : { oauth2: { enable_client_credentials: true, token_expiration: spec.oauth2TokenExpirationSeconds, mandatory_scope: false, global_credentials: true } };
  return { ...auth, acl: { allow: spec.groups, hide_groups_header: true } };
}

function routeBody(spec: KongRouteSpec, serviceId: string, tags: string[]) {
  // Kong's file requires these route fields in a request; they are Kong's defaults except preserve_host.
  return { name: spec.name, service: { id: serviceId }, paths: [kongPath(spec.path, spec.major)], strip_path: true, preserve_host: false, protocols: ["http", "https"], https_redirect_status_code: 426, request_buffering: true, response_buffering: true, tags };
}

function serviceBody(spec: KongRouteSpec, tags: string[]) {
  return { name: spec.name, protocol: spec.protocol, host: spec.host, port: spec.port, path: spec.upstreamPath, enabled: true, tags };
}

function owned(entity: any, stack: string): boolean {
  return Array.isArray(entity?.tags) && entity.tags.includes(ownerTag(stack));
}

/** Refuses to take over an entity of that name that this stack did not make. */
async function ensureNotForeign(endpoint: KongEndpoint, stack: string, kind: string, ...segments: string[]): Promise<void> {
  const existing = await getEntity(endpoint, ...segments);
  if (existing && !owned(existing, stack)) {
    throw new KongError(`Kong already has a ${kind} ${JSON.stringify(segments[segments.length - 1])} that this stack did not make (it lacks the tag ${ownerTag(stack)}); rename the route or remove that ${kind} in Kong`);
  }
}

/** Creates or repairs the route's service, route and plugins; removes the auth plugins it no longer needs. */
export async function applyRoute(endpoint: KongEndpoint, spec: KongRouteSpec, opts: { adopt: boolean }): Promise<void> {
  const tags = [ownerTag(spec.stack)];
  if (!opts.adopt) {
    await ensureNotForeign(endpoint, spec.stack, "service", "services", spec.name);
    await ensureNotForeign(endpoint, spec.stack, "route", "routes", spec.name);
  }
  const service = await putEntity(endpoint, serviceBody(spec, tags), "services", spec.name);
  const route = await putEntity(endpoint, routeBody(spec, service.id, tags), "routes", spec.name);
  const desired = desiredPlugins(spec);
  // Stale ones first: JWT and OAuth2 are never both on a route, even for a moment.
  for (const name of PLUGINS) if (!desired[name]) await deleteEntity(endpoint, "plugins", pluginId(spec.stack, spec.name, name));
  for (const [name, config] of Object.entries(desired)) await putEntity(endpoint, { name, route: { id: route.id }, config, enabled: true, tags }, "plugins", pluginId(spec.stack, spec.name, name));
}

function differs(live: Record<string, any> | undefined, want: Record<string, unknown>): boolean {
  if (!live) return true;
  return Object.entries(want).some(([k, v]) => JSON.stringify(live[k] ?? null) !== JSON.stringify(v ?? null));
}

/** What differs between Kong and the spec (empty: in place), e.g. ["route missing", "plugin jwt changed"]. */
export async function routeDrift(endpoint: KongEndpoint, spec: KongRouteSpec): Promise<string[]> {
  const drift: string[] = [];
  const tags = [ownerTag(spec.stack)];
  const service = await getEntity(endpoint, "services", spec.name);
  if (!service) drift.push("service missing");
  else if (differs(service, serviceBody(spec, tags))) drift.push("service changed");
  const route = await getEntity(endpoint, "routes", spec.name);
  if (!route) drift.push("route missing");
  else {
    const { service: _service, ...want } = routeBody(spec, "", tags);
    if (differs(route, want) || route.service?.id !== service?.id) drift.push("route changed");
  }
  const desired = desiredPlugins(spec);
  for (const name of PLUGINS) {
    const plugin = await getEntity(endpoint, "plugins", pluginId(spec.stack, spec.name, name));
    if (!desired[name]) {
      if (plugin) drift.push(`plugin ${name} present`);
    } else if (!plugin) drift.push(`plugin ${name} missing`);
    else if (plugin.name !== name || plugin.enabled === false || plugin.route?.id !== route?.id || differs(plugin.config, desired[name])) drift.push(`plugin ${name} changed`);
  }
  return drift;
}

/** Deletes the route's plugins, route and service, those this stack made. */
export async function deleteRoute(endpoint: KongEndpoint, spec: Pick<KongRouteSpec, "stack" | "name">): Promise<void> {
  for (const name of PLUGINS) await deleteEntity(endpoint, "plugins", pluginId(spec.stack, spec.name, name));
  const route = await getEntity(endpoint, "routes", spec.name);
  if (route && owned(route, spec.stack)) await deleteEntity(endpoint, "routes", route.id);
  const service = await getEntity(endpoint, "services", spec.name);
  if (service && owned(service, spec.stack)) await deleteEntity(endpoint, "services", service.id);
}

/**
 * Kong routes that serve one of `paths` and are not this stack's (a path served twice is ambiguous). Reads every
 * page of Kong's route list.
 */
export async function foreignRoutesOnPaths(endpoint: KongEndpoint, stack: string, paths: { name: string; path: string }[], major: number): Promise<string[]> {
  const wanted = new Map(paths.map((p) => [kongPath(p.path, major), p.name]));
  const clashes: string[] = [];
  for (const route of await listAll(endpoint, "routes")) {
    if (owned(route, stack)) continue;
    for (const path of route.paths ?? []) {
      const ours = wanted.get(path);
      if (ours) clashes.push(`gateway route ${JSON.stringify(ours)}: Kong route ${JSON.stringify(route.name ?? route.id)} (not made by this stack) already serves ${path}`);
    }
  }
  return clashes;
}

export function certificateSha256(pem: string): string {
  return createHash("sha256").update(pem).digest("hex");
}

/** Puts the certificate (by its deterministic id) and binds its SNIs; unbinds SNIs of ours no longer wanted. */
export async function applyCertificate(endpoint: KongEndpoint, stack: string, id: string, cert: string, key: string, snis: string[], previousSnis: string[] = []): Promise<void> {
  const tags = [ownerTag(stack)];
  // Checked before the certificate changes: an SNI bound elsewhere fails the step with nothing changed.
  for (const name of snis) {
    const bound = (await getEntity(endpoint, "snis", name))?.certificate?.id;
    if (bound && bound !== id) throw new KongError(`Kong's SNI ${JSON.stringify(name)} is bound to certificate ${bound}, which this stack does not own (its certificate is ${id}); remove that SNI in Kong or drop the name from the gateway's certificate`);
  }
  await putEntity(endpoint, { cert, key, tags }, "certificates", id);
  await bindSnis(endpoint, id, snis, tags);
  for (const name of previousSnis.filter((n) => !snis.includes(n))) {
    const sni = await getEntity(endpoint, "snis", name);
    if (sni?.certificate?.id === id) await deleteEntity(endpoint, "snis", sni.id);
  }
}

/** What differs between Kong and the certificate we applied. */
export async function certificateDrift(endpoint: KongEndpoint, id: string, certSha256: string, snis: string[]): Promise<string[]> {
  const live = await getEntity(endpoint, "certificates", id);
  if (!live) return ["certificate missing"];
  const drift = certificateSha256(live.cert ?? "") === certSha256 ? [] : ["certificate changed"];
  for (const name of snis) if ((await getEntity(endpoint, "snis", name))?.certificate?.id !== id) drift.push(`sni ${name} not bound`);
  return drift;
}

export async function deleteCertificate(endpoint: KongEndpoint, id: string): Promise<void> {
  // Its SNIs go with it (Kong cascades); the id is this stack's own.
  await deleteEntity(endpoint, "certificates", id);
}

export interface KongUserSpec {
  stack: string;
  username: string;
  groups: string[];
  /** The JWT credential: its key (the token's iss), algorithm and public key. */
  jwt?: { key: string; algorithm: string; publicKeyPem: string };
  /** The OAuth2 credential (client credentials grant). */
  oauth2?: { clientId: string; clientSecret: string };
}

export function aclId(stack: string, user: string, group: string): string {
  return deterministicId(stack, `user:${user}:acl:${group}`);
}

/** Creates or repairs the consumer, its ACL groups and credentials; removes this stack's ones no longer wanted. */
export async function applyUser(endpoint: KongEndpoint, spec: KongUserSpec, opts: { adopt: boolean }): Promise<void> {
  const tags = [ownerTag(spec.stack)];
  if (!opts.adopt) await ensureNotForeign(endpoint, spec.stack, "consumer", "consumers", spec.username);
  await putEntity(endpoint, { username: spec.username, custom_id: spec.username, tags }, "consumers", spec.username);
  for (const group of spec.groups) await putEntity(endpoint, { group, tags }, "consumers", spec.username, "acls", aclId(spec.stack, spec.username, group));
  for (const acl of await listAll(endpoint, "consumers", spec.username, "acls")) {
    if (owned(acl, spec.stack) && !spec.groups.includes(acl.group)) await deleteEntity(endpoint, "consumers", spec.username, "acls", acl.id);
  }
  if (spec.jwt) await putEntity(endpoint, { key: spec.jwt.key, algorithm: spec.jwt.algorithm, rsa_public_key: spec.jwt.publicKeyPem, tags }, "consumers", spec.username, "jwt", spec.jwt.key);
  for (const cred of await listAll(endpoint, "consumers", spec.username, "jwt")) {
    if (owned(cred, spec.stack) && cred.key !== spec.jwt?.key) await deleteEntity(endpoint, "consumers", spec.username, "jwt", cred.id);
  }
  if (spec.oauth2) await putEntity(endpoint, { name: spec.username, client_id: spec.oauth2.clientId, client_secret: spec.oauth2.clientSecret, hash_secret: false, client_type: "confidential", tags }, "consumers", spec.username, "oauth2", spec.oauth2.clientId);
  for (const cred of await listAll(endpoint, "consumers", spec.username, "oauth2")) {
    if (owned(cred, spec.stack) && cred.client_id !== spec.oauth2?.clientId) await deleteEntity(endpoint, "consumers", spec.username, "oauth2", cred.id);
  }
}

export async function userDrift(endpoint: KongEndpoint, spec: KongUserSpec): Promise<string[]> {
  const consumer = await getEntity(endpoint, "consumers", spec.username);
  if (!consumer) return ["consumer missing"];
  const drift: string[] = [];
  const groups = new Set((await listAll(endpoint, "consumers", spec.username, "acls")).map((a) => a.group));
  for (const group of spec.groups) if (!groups.has(group)) drift.push(`group ${group} missing`);
  if (spec.jwt) {
    const cred = await getEntity(endpoint, "consumers", spec.username, "jwt", spec.jwt.key);
    if (!cred) drift.push("jwt credential missing");
    else if (cred.algorithm !== spec.jwt.algorithm || cred.rsa_public_key !== spec.jwt.publicKeyPem) drift.push("jwt credential changed");
  }
  if (spec.oauth2) {
    const cred = await getEntity(endpoint, "consumers", spec.username, "oauth2", spec.oauth2.clientId);
    if (!cred) drift.push("oauth2 credential missing");
    else if (cred.client_secret !== spec.oauth2.clientSecret) drift.push("oauth2 credential changed");
  }
  return drift;
}

/** Deletes the consumer (Kong deletes its groups and credentials with it) when this stack made it. */
export async function deleteUser(endpoint: KongEndpoint, stack: string, username: string): Promise<void> {
  const consumer = await getEntity(endpoint, "consumers", username);
  if (consumer && owned(consumer, stack)) await deleteEntity(endpoint, "consumers", consumer.id);
}
