// The shared short-lived root token of withRootToken against a real OpenBao: admin steps of one process that
// overlap share one token (one generate-root flow), the last to end revokes it, the next step makes a new one,
// other keys never get it, and a token the store no longer knows is not handed on.
// Tokens are compared as booleans, so a failure prints none (even revoked ones).
// Generations are counted at the HTTP client (undici's `request`, wrapped below): the store does not audit the
// unauthenticated generate-root endpoints, and the product counts nothing.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readCustody } from "../../components/secret-store/custody";
import { kvRead, lookupSelf, revokeSelf, withRootToken, type StoreEndpoint } from "../../components/secret-store/client";
import { expectOk, TestNode } from "../support/harness";
import { OpenBaoServer } from "../support/openbao-server";

const generations = vi.hoisted(() => ({ count: 0 }));
vi.mock("undici", async (importOriginal) => {
  const undici = await importOriginal<typeof import("undici")>();
  return {
    ...undici,
    request: ((url: URL, options: { method?: string }) => {
      if (options?.method === "PUT" && new URL(url).pathname === "/v1/sys/generate-root/attempt") generations.count++;
      return (undici.request as (...args: unknown[]) => unknown)(url, options);
    }) as typeof undici.request,
  };
});

const CUSTODY_SECRET = "integration-custody-secret-0123456789-abcdefghij";

/** Resolves once `n` callers have arrived, or after `ms` (so a step that never gets company does not hang the test). */
function gathering(n: number, ms = 10_000): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  const timer = setTimeout(release, ms);
  return () => {
    if (++arrived === n) {
      clearTimeout(timer);
      release();
    }
    return all;
  };
}

describe("withRootToken's shared root token on a real OpenBao", { timeout: 600_000 }, () => {
  const node = new TestNode("roottoken");
  let server: OpenBaoServer;
  let keys: string[];
  let endpoint: StoreEndpoint;

  beforeAll(async () => {
    server = await OpenBaoServer.create(node);
    const custodyDir = join(node.root, "custody");
    node.configure(
      {
        services: [{ name: "secretstore", hostnames: ["secretstore"], includeLocalhost: false, extraSans: ["127.0.0.1"] }, { name: "svc-a" }],
        secretStore: { address: server.address, custodyDir, connectTimeoutSeconds: 120, shares: 3, threshold: 2 },
      },
      { secretStoreCustodySecret: CUSTODY_SECRET },
    );
    server.start();
    expectOk(await node.run("up"));
    keys = readCustody(join(custodyDir, `${node.stack}.secret-store.custody`), CUSTODY_SECRET)!.keys;
    endpoint = { address: server.address, caPem: readFileSync(join(node.secretsRoot, "ca.pem"), "utf8") };
  }, 600_000);

  afterAll(() => {
    server?.stop();
    node.cleanup();
  });

  it("concurrent steps share one generated token, valid for all of them, and it is revoked when the last ends", async () => {
    const before = generations.count;
    const arrive = gathering(5);
    const seen = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        withRootToken(endpoint, keys, async (token) => {
          await arrive();
          // Steps end at different times: the token must stay valid until the last one is done.
          await new Promise((resolve) => setTimeout(resolve, 50 * i));
          return { token, self: await lookupSelf(endpoint, token) };
        }),
      ),
    );
    expect(generations.count - before).toBe(1);
    expect(new Set(seen.map((s) => s.token)).size).toBe(1);
    for (const { self } of seen) {
      expect(self?.policies).toContain("root");
      expect(self!.ttl).toBeGreaterThan(0);
      expect(self!.ttl).toBeLessThanOrEqual(15 * 60);
    }
    expect(await lookupSelf(endpoint, seen[0].token)).toBeUndefined();
  });

  it("a step after the last one ended generates a new token; each is revoked when its step ends", async () => {
    const before = generations.count;
    const first = await withRootToken(endpoint, keys, async (token) => token);
    expect(await lookupSelf(endpoint, first)).toBeUndefined();
    const second = await withRootToken(endpoint, keys, async (token) => {
      expect(await lookupSelf(endpoint, token)).toBeDefined();
      return token;
    });
    expect(second === first).toBe(false);
    expect(await lookupSelf(endpoint, second)).toBeUndefined();
    expect(generations.count - before).toBe(2);
  });

  it("keys other than the holder's never get its token: the same keys in another order make their own, wrong keys are refused", async () => {
    const before = generations.count;
    const { held, other } = await withRootToken(endpoint, keys, async (held) => {
      const other = await withRootToken(endpoint, [...keys].reverse(), async (token) => token);
      await expect(withRootToken(endpoint, keys.map(() => Buffer.alloc(32, 7).toString("hex")), async (token) => token)).rejects.toThrow(
        /^the unseal keys this stack holds are not accepted by the secret store at https:\/\/127\.0\.0\.1:\d+ /,
      );
      expect(await lookupSelf(endpoint, held)).toBeDefined();
      return { held, other };
    });
    expect(other === held).toBe(false);
    // The holder's, the reordered keys' and the refused attempt.
    expect(generations.count - before).toBe(3);
    expect(await lookupSelf(endpoint, held)).toBeUndefined();
    expect(await lookupSelf(endpoint, other)).toBeUndefined();
  });

  it("a shared token the store no longer knows fails its step with the store's 403, and the next step gets a new token", async () => {
    const before = generations.count;
    const outcome = await withRootToken(endpoint, keys, async (held) => {
      // Another step of the run joins it, and the token dies under it (as one revoked or expired would).
      const failed = await withRootToken(endpoint, keys, async (token) => {
        expect(token === held).toBe(true);
        expect(await revokeSelf(endpoint, token)).toBe(true);
        return kvRead(endpoint, token, "secret", "anything");
      }).catch((err: Error) => err);
      const next = await withRootToken(endpoint, keys, async (token) => ({ token, self: await lookupSelf(endpoint, token) }));
      return { held, failed, next };
    });
    expect(outcome.failed).toBeInstanceOf(Error);
    expect((outcome.failed as Error).message).toMatch(/^the secret store at https:\/\/127\.0\.0\.1:\d+ refused GET \/v1\/secret\/data\/anything \(403: permission denied\)$/);
    expect(outcome.next.token === outcome.held).toBe(false);
    expect(outcome.next.self?.policies).toContain("root");
    expect(generations.count - before).toBe(2);
    expect(await lookupSelf(endpoint, outcome.next.token)).toBeUndefined();
  });
});
