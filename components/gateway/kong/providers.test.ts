// The Kong route and user providers' methods, taken from their serialized form as the dynamic-provider host
// gets them, called against the Kong stand-in (every request and answer checked against Kong's OpenAPI file).
import { mkdtempSync, rmSync, statSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadProvider, serializedProviderMocks } from "../../../test/fixtures/provider-code";
import { KONG_OPENAPI } from "../../../test/kong/contract";
import { KongStandIn } from "../../../test/kong/stand-in";

const { register } = Module.createRequire(__filename)("tsx/cjs/api") as { register(): () => void };
type Provider = Required<pulumi.dynamic.ResourceProvider>;
const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value));

const loadSerializedProvider = (code: string) => loadProvider(code) as Provider;

const providers = {} as { KongRoute: Provider; KongUser: Provider };
let unregisterTsx: () => void;
let kong: KongStandIn;
let tmp: string;

beforeAll(async () => {
  unregisterTsx = register();
  tmp = mkdtempSync(join(tmpdir(), "edge-unit-kong-"));
  kong = await KongStandIn.start();
  const serialized = await serializedProviderMocks("unit");
  const { KongRoute } = await import("./kong-route");
  const { KongUser } = await import("./kong-user");
  const endpoint = { adminUrl: "http://x", requestTimeoutSeconds: 5, stack: "s" };
  new KongRoute("r", { ...endpoint, major: 3, name: "r", path: "/r", protocol: "http", host: "h", port: 1, upstreamPath: "/", auth: "jwt", groups: ["g"], jwtMaximumExpirationSeconds: 60, oauth2TokenExpirationSeconds: 60 });
  new KongUser("u", { ...endpoint, username: "u", groups: ["g"], dir: "/nowhere" });
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  for (const name of ["KongRoute", "KongUser"] as const) providers[name] = loadSerializedProvider(serialized[`pulumi-nodejs:dynamic/edge-security:${name}`]);
}, 120_000);

afterEach(() => {
  expect(kong.violations).toEqual([]);
});

afterAll(async () => {
  unregisterTsx?.();
  await kong?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const route = (overrides: Record<string, unknown> = {}) => ({ adminUrl: kong.url, requestTimeoutSeconds: 5, stack: "unit", major: 3, name: "core-data", path: "/core-data", protocol: "http", host: "127.0.0.1", port: 59880, upstreamPath: "/", auth: "jwt", groups: ["gateway-users"], jwtMaximumExpirationSeconds: 3600, oauth2TokenExpirationSeconds: 7200, ...overrides });

describe.skipIf(!KONG_OPENAPI)("KongRoute provider", { timeout: 120_000 }, () => {
  it("creates, reads no drift, sees an out-of-band change, repairs it, switches auth, deletes only its own", async () => {
    const p = providers.KongRoute;
    expect((await p.check({}, route({ auth: "basic" }))).failures).toEqual([{ property: "auth", reason: `must be "jwt", "oauth2" or "none"` }]);
    const { id, outs } = await p.create(route());
    expect((await p.read(id, stored(outs))).props.drift).toEqual([]);
    const plugins = () => kong.all("plugins").filter((x) => x.route?.id === kong.find("routes", "core-data")!.id);
    // A plugin's config changed out of band, the service's port too.
    plugins().find((x) => x.name === "jwt")!.config.claims_to_verify = null;
    kong.find("services", "core-data")!.port = 1;
    const drifted = (await p.read(id, stored(outs))).props;
    expect(drifted.drift).toEqual(["service changed", "plugin jwt changed"]);
    expect((await p.diff(id, stored(drifted), route())).changes).toBe(true);
    await p.update(id, stored(drifted), route());
    expect((await p.read(id, stored(outs))).props.drift).toEqual([]);
    // JWT -> OAuth2: the jwt plugin is gone, oauth2 is there.
    expect(await p.diff(id, stored(outs), route({ auth: "oauth2" }))).toMatchObject({ changes: true, replaces: [] });
    const { outs: oauth } = await p.update(id, stored(outs), route({ auth: "oauth2" }));
    expect(plugins().map((x) => x.name).sort()).toEqual(["acl", "oauth2"]);
    expect((await p.diff(id, stored(oauth), route({ auth: "oauth2" }))).changes).toBe(false);
    // Public: no plugins at all.
    await p.update(id, stored(oauth), route({ auth: "none" }));
    expect(plugins()).toEqual([]);
    await p.delete(id, stored({ ...oauth, auth: "none" }));
    expect(kong.find("routes", "core-data")).toBeUndefined();
    expect(kong.find("services", "core-data")).toBeUndefined();
  });

  it("refuses to take over a route of that name that the stack did not make", async () => {
    const p = providers.KongRoute;
    await fetch(`${kong.url}/services/theirs`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ protocol: "http", host: "h", port: 1, enabled: true }) });
    const err = await p.create(route({ name: "theirs", path: "/theirs" })).catch((e) => e);
    expect(err.message).toBe(`Kong already has a service "theirs" that this stack did not make (it lacks the tag edge-security.unit); rename the route or remove that service in Kong`);
    await p.delete("theirs", stored(route({ name: "theirs", path: "/theirs" })));
    expect(kong.find("services", "theirs")).toBeDefined();
  });
});

describe.skipIf(!KONG_OPENAPI)("KongUser provider", { timeout: 120_000 }, () => {
  const user = (dir: string, overrides: Record<string, unknown> = {}) => ({ adminUrl: kong.url, requestTimeoutSeconds: 5, stack: "unit", username: "alice", groups: ["gateway-users", "operators"], dir, jwt: { algorithm: "ES256", maximumExpirationSeconds: 3600 }, ...overrides });

  it("makes consumer, groups and a JWT credential with the public key; keeps the key on a second run; follows group changes", async () => {
    const p = providers.KongUser;
    const dir = join(tmp, "users", "alice");
    const { id, outs } = await p.create(user(dir));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "jwt-private.pem")).mode & 0o777).toBe(0o600);
    expect(outs.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(JSON.stringify(outs)).not.toMatch(/PRIVATE KEY/);
    const consumer = kong.find("consumers", "alice")!;
    expect(kong.all("jwt").filter((c) => c.consumer.id === consumer.id).map((c) => c.rsa_public_key)).toEqual([outs.publicKeyPem]);
    const again = await p.update(id, stored(outs), user(dir));
    expect(again.outs.publicKeyPem).toBe(outs.publicKeyPem);
    // A group dropped from the config is removed from Kong; a credential deleted out of band is drift.
    const { outs: fewer } = await p.update(id, stored(outs), user(dir, { groups: ["gateway-users"] }));
    expect(kong.all("acls").filter((a) => a.consumer.id === consumer.id).map((a) => a.group)).toEqual(["gateway-users"]);
    const cred = kong.all("jwt").find((c) => c.consumer.id === consumer.id)!;
    await fetch(`${kong.url}/consumers/alice/jwt/${cred.id}`, { method: "DELETE" });
    expect((await p.read(id, stored(fewer))).props.drift).toEqual(["jwt credential missing"]);
    // OAuth2 instead of JWT: the secret is kept across updates; JWT credential and key file go.
    const { outs: o1 } = await p.update(id, stored(fewer), user(dir, { groups: ["gateway-users"], jwt: undefined, oauth2: { tokenPath: "/r/oauth2/token" } }));
    const { outs: o2 } = await p.update(id, stored(o1), user(dir, { groups: ["gateway-users"], jwt: undefined, oauth2: { tokenPath: "/r/oauth2/token" } }));
    expect(o2.clientSecret).toBe(o1.clientSecret);
    expect(kong.all("jwt").filter((c) => c.consumer.id === consumer.id)).toEqual([]);
    expect(kong.all("oauth2").filter((c) => c.consumer.id === consumer.id).map((c) => c.client_secret)).toEqual([o1.clientSecret]);
    await p.delete(id, stored(o2));
    expect(kong.find("consumers", "alice")).toBeUndefined();
    expect(kong.all("oauth2")).toEqual([]);
  });
});
