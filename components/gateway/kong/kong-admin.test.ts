// The Kong Admin API client against the stand-in, whose every request and answer is checked against Kong's
// OpenAPI file (test/kong/contract.ts). Also checks that the contract check itself catches bad traffic.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindSnis, deleteEntity, deterministicId, getEntity, KongError, kongPath, listAll, putEntity, waitForAdmin } from "./kong-admin";
import { KONG_OPENAPI, KongContract } from "../../../test/kong/contract";
import { KongStandIn } from "../../../test/kong/stand-in";
import { freePort } from "../../../test/support/harness";

/** What Kong's file requires in a route request (Kong itself has defaults for them). */
const ROUTE_REQUIRED = { protocols: ["http", "https"], https_redirect_status_code: 426, preserve_host: false, request_buffering: true, response_buffering: true };

describe.skipIf(!KONG_OPENAPI)("Kong Admin API client against the stand-in", { timeout: 60_000 }, () => {
  let kong: KongStandIn;
  const endpoint = () => ({ adminUrl: kong.url });

  beforeAll(async () => {
    kong = await KongStandIn.start({ pageSize: 3 });
  });
  afterAll(async () => {
    await kong?.stop();
  });

  it("reads the version and major from GET /", async () => {
    expect(await waitForAdmin(endpoint(), 5)).toEqual({ version: "3.9.1", major: 3 });
  });

  it("upserts by endpoint key: a second PUT replaces, keeps the id", async () => {
    const first = await putEntity(endpoint(), { name: "svc", protocol: "http", host: "127.0.0.1", port: 1, enabled: true }, "services", "svc");
    const second = await putEntity(endpoint(), { name: "svc", protocol: "http", host: "127.0.0.1", port: 2, enabled: true }, "services", "svc");
    expect(second.id).toBe(first.id);
    expect((await getEntity(endpoint(), "services", "svc")).port).toBe(2);
    expect(await getEntity(endpoint(), "services", "nope")).toBeUndefined();
    await deleteEntity(endpoint(), "services", "svc");
    await deleteEntity(endpoint(), "services", "svc");
    expect(await getEntity(endpoint(), "services", "svc")).toBeUndefined();
  });

  it("follows next to the end of a list (pages of 3)", async () => {
    for (let i = 0; i < 11; i++) await putEntity(endpoint(), { name: `s${i}`, protocol: "http", host: "127.0.0.1", port: 80, enabled: true }, "services", `s${i}`);
    const all = await listAll(endpoint(), "services");
    expect(all.map((s) => s.name).sort()).toEqual(Array.from({ length: 11 }, (_, i) => `s${i}`).sort());
    expect(kong.log.filter((l) => l.path.startsWith("/services?offset=")).length).toBe(3);
  });

  it("a second plugin of a name in one scope is Kong's 409, reported as one line", async () => {
    const service = await getEntity(endpoint(), "services", "s0");
    await putEntity(endpoint(), { name: "r", service: { id: service.id }, paths: ["/r"], ...ROUTE_REQUIRED }, "routes", "r");
    await putEntity(endpoint(), { name: "acl", route: { name: "r" }, config: { allow: ["g"] } }, "plugins", deterministicId("t", "a"));
    const err = await putEntity(endpoint(), { name: "acl", route: { name: "r" }, config: { allow: ["g"] } }, "plugins", deterministicId("t", "b")).catch((e) => e);
    expect(err).toBeInstanceOf(KongError);
    expect(err.message).toMatch(/^Kong's Admin API at http:\/\/127\.0\.0\.1:\d+ refused PUT \/plugins\/[0-9a-f-]+ \(409: UNIQUE violation/);
    expect(err.message).not.toContain("\n");
  });

  it("an SNI bound to a certificate we do not own is an error naming both, and nothing changes", async () => {
    const other = await putEntity(endpoint(), { cert: "C", key: "K" }, "certificates", "11111111-1111-4111-8111-111111111111");
    await putEntity(endpoint(), { name: "gw.example", certificate: { id: other.id } }, "snis", "gw.example");
    const ours = deterministicId("t", "gateway-tls");
    await putEntity(endpoint(), { cert: "C2", key: "K2" }, "certificates", ours);
    const err = await bindSnis(endpoint(), ours, ["free.example", "gw.example"], []).catch((e) => e);
    expect(err.message).toBe(`Kong's SNI "gw.example" is bound to certificate ${other.id}, which this stack does not own (its certificate is ${ours}); remove that SNI in Kong or drop the name from the gateway's certificate`);
    expect(await getEntity(endpoint(), "snis", "free.example")).toBeUndefined();
    expect((await getEntity(endpoint(), "snis", "gw.example")).certificate.id).toBe(other.id);
    await bindSnis(endpoint(), ours, ["free.example"], []);
    await bindSnis(endpoint(), ours, ["free.example"], []);
    expect((await getEntity(endpoint(), "snis", "free.example")).certificate.id).toBe(ours);
  });

  it("deterministic ids are UUIDs, stable per stack and purpose", () => {
    expect(deterministicId("s", "gateway-tls")).toBe(deterministicId("s", "gateway-tls"));
    expect(deterministicId("s", "gateway-tls")).not.toBe(deterministicId("s2", "gateway-tls"));
    expect(deterministicId("s", "x")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("writes paths as a plain prefix on 3.x and escapes regex characters on 2.x", () => {
    expect(kongPath("/core.data", 3)).toBe("/core.data");
    expect(kongPath("/core.data", 2)).toBe("/core\\.data");
  });

  it("every request and answer so far followed Kong's OpenAPI file", () => {
    expect(kong.violations).toEqual([]);
    expect(kong.log.length).toBeGreaterThan(20);
  });
});

describe.skipIf(!KONG_OPENAPI)("Kong Admin API client: refusals and an absent Admin API", { timeout: 60_000 }, () => {
  it("a 401 is one line naming the Admin API and the credentials setting, without the credential", async () => {
    const kong = await KongStandIn.start({ adminKey: "right-key" });
    try {
      const err = await waitForAdmin({ adminUrl: kong.url, credentials: { header: "apikey", value: "wrong-key-value" } }, 5).catch((e) => e);
      expect(err.message).toBe(`Kong's Admin API at ${kong.url} refused GET / (401: Unauthorized); check gateway.kong.adminCredentials`);
      expect(await waitForAdmin({ adminUrl: kong.url, credentials: { header: "apikey", value: "right-key" } }, 5)).toMatchObject({ major: 3 });
      expect(kong.violations).toEqual([]);
    } finally {
      await kong.stop();
    }
  });

  it("waits, bounded, for an Admin API that is not there, then says so in one line", async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await waitForAdmin({ adminUrl: `http://127.0.0.1:${port}` }, 2).catch((e) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(err.message).toBe(`Kong's Admin API at http://127.0.0.1:${port} did not answer within 2 s (gateway.kong.adminWaitSeconds): is not reachable (ECONNREFUSED)`);
  });

  it("waits for an Admin API that comes up during the wait", async () => {
    const port = await freePort();
    const waiting = waitForAdmin({ adminUrl: `http://127.0.0.1:${port}` }, 30);
    const kong = await new Promise<KongStandIn>((done) => setTimeout(() => void KongStandIn.start({ version: "2.8.4" }, port).then(done), 700));
    try {
      expect(await waiting).toEqual({ version: "2.8.4", major: 2 });
    } finally {
      await kong.stop();
    }
  });
});

describe.skipIf(!KONG_OPENAPI)("the contract check itself", () => {
  it("flags a request no operation matches, a bad body, an undocumented status and a bad answer", async () => {
    const contract = await KongContract.load();
    expect(contract.check({ method: "PUT", path: "/services/x", body: { name: "x", protocol: "http", host: "h", port: 80, enabled: true }, status: 200, answer: { id: "a", name: "x", port: 80 } })).toEqual([]);
    expect(contract.check({ method: "GET", path: "/nothing/here/at/all", status: 200, answer: {} })[0]).toMatch(/no operation/);
    expect(contract.check({ method: "PUT", path: "/services/x", body: { port: "eighty" }, status: 200, answer: {} }).join()).toMatch(/request/);
    expect(contract.check({ method: "PUT", path: "/services/x", body: {}, status: 418, answer: {} }).join()).toMatch(/status 418 is not documented/);
    expect(contract.check({ method: "GET", path: "/services/x", status: 200, answer: { port: "eighty" } }).join()).toMatch(/answer/);
    expect(contract.check({ method: "PUT", path: "/consumers/u/jwt/k", body: { key: "k", algorithm: "XX256" }, status: 200, answer: {} }).join()).toMatch(/request/);
  });
});
