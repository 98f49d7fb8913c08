// withRootToken's lease rules that a real store cannot show quickly (the 5-minute join window), against a stand-in
// for the store's HTTP API (undici's `request`). test/integration/secret-store-root-token.test.ts covers the rest
// on a real OpenBao.
import { afterEach, describe, expect, it, vi } from "vitest";

const store = vi.hoisted(() => ({ generated: 0, issued: [] as string[], revoked: [] as string[] }));
vi.mock("undici", async (importOriginal) => {
  const undici = await importOriginal<typeof import("undici")>();
  const otp = "o".repeat(12);
  const answer = (statusCode: number, json?: unknown) => ({ statusCode, body: { text: async () => (json === undefined ? "" : JSON.stringify(json)) } });
  return {
    ...undici,
    request: async (url: URL, options: { method: string; headers: Record<string, string> }) => {
      const path = `${options.method} ${new URL(url).pathname.replace(/^\/v1\//, "")}`;
      switch (path) {
        case "GET sys/generate-root/attempt":
          return answer(200, { started: false });
        case "PUT sys/generate-root/attempt":
          return answer(200, { nonce: "n", otp });
        case "PUT sys/generate-root/update": {
          const root = `root-${String(++store.generated).padStart(7, "0")}`;
          return answer(200, { complete: true, encoded_token: Buffer.from([...Buffer.from(root)].map((b, i) => b ^ otp.charCodeAt(i))).toString("base64") });
        }
        case "POST auth/token/create-orphan":
          store.issued.push(`short-${store.issued.length + 1}`);
          return answer(200, { auth: { client_token: store.issued.at(-1) } });
        case "POST auth/token/revoke-self":
          store.revoked.push(options.headers["x-vault-token"]);
          return answer(204);
        default:
          return answer(404, { errors: [`no ${path} in this stand-in`] });
      }
    },
  };
});

import { withRootToken } from "./client";

const endpoint = { address: "https://127.0.0.1:8200", caPem: "ca" };
const shortTokensRevoked = () => store.revoked.filter((t) => t.startsWith("short-"));

describe("withRootToken's shared token", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is joined only in its first 5 minutes: a later step makes a new one, and the old one ends with its last holder", async () => {
    const start = Date.now();
    const now = vi.spyOn(Date, "now").mockReturnValue(start);
    let endFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (endFirst = resolve));
    const first = withRootToken(endpoint, ["k"], async (token) => {
      await firstHeld;
      return token;
    });
    const joined = await withRootToken(endpoint, ["k"], async (token) => token);
    now.mockReturnValue(start + 5 * 60_000 + 1);
    const later = await withRootToken(endpoint, ["k"], async (token) => {
      // The old token is still held by the first step, so it is not revoked yet.
      expect(shortTokensRevoked()).not.toContain(joined);
      return token;
    });
    expect(later).not.toBe(joined);
    expect(shortTokensRevoked()).toEqual([later]);
    endFirst();
    expect(await first).toBe(joined);
    expect(shortTokensRevoked()).toEqual([later, joined]);
    expect(store.generated).toBe(2);
    // Every generated root token was revoked at once (after making its short-lived one).
    expect(store.revoked.filter((t) => t.startsWith("root-"))).toHaveLength(2);
  });
});
