// Rotation generations and renewal windows as the node config resolves them, the client decisions behind the
// providers' diffs (renewalDue, tokenRenewalDue), and the one-line errors for bad input.
import { describe, expect, it } from "vitest";
import { ConfigError, parseNodeConfig } from "../node-config";
import { defaultRenewBeforeDays, renewalDue, renewalMessage } from "../pki/client";
import { durationSeconds, tokenHealthMessage, tokenRenewalDue } from "../secret-store/client";
import { generationInput, serviceRotation } from "./config";

const DAY_MS = 24 * 60 * 60 * 1000;
const services = [{ name: "secretstore" }, { name: "svc-a" }, { name: "svc-b" }];

function errorOf(raw: Record<string, unknown>): string {
  try {
    parseNodeConfig({ services, ...raw });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toMatch(/\n/);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("rotation config", () => {
  it("leaves services without rotation (and their resources' inputs unchanged) when the section is absent", () => {
    for (const s of parseNodeConfig({ services }).services) {
      expect(s.rotation).toBeUndefined();
      expect(s.renewBeforeDays).toBeUndefined();
    }
    expect(generationInput(undefined)).toBeUndefined();
    expect(generationInput(0)).toBeUndefined();
    expect(generationInput(3)).toBe(3);
  });

  it("adds the node's and the service's counters per kind of credential", () => {
    const config = parseNodeConfig({ services, rotation: { all: 1, tokens: 2, services: { "svc-a": { token: 1, password: 4 }, "svc-b": { all: 1 } } } });
    const by = Object.fromEntries(config.services.map((s) => [s.name, s.rotation]));
    expect(by["svc-a"]).toEqual({ certificate: 1, token: 4, password: 5 });
    expect(by["svc-b"]).toEqual({ certificate: 2, token: 4, password: 2 });
    expect(by.secretstore).toEqual({ certificate: 1, token: 3, password: 1 });
    expect(serviceRotation(undefined, "svc-a")).toEqual({ certificate: 0, token: 0, password: 0 });
  });

  it("refuses unknown services, unknown kinds and negative or fractional counters, naming the key", () => {
    expect(errorOf({ rotation: { services: { nope: { token: 1 } } } })).toBe("edge-security:rotation.services.nope: is not in services");
    expect(errorOf({ rotation: { keys: 1 } })).toBe("edge-security:rotation.keys: is not a known setting");
    expect(errorOf({ rotation: { tokens: -1 } })).toBe("edge-security:rotation.tokens: must be 0 or more");
    expect(errorOf({ rotation: { services: { "svc-a": { certificate: 1.5 } } } })).toBe("edge-security:rotation.services.svc-a.certificate: must be a whole number");
  });
});

describe("certificate renewal window", () => {
  it("is a third of the lifetime unless configured; a configured window reaches the service", () => {
    expect(defaultRenewBeforeDays(365)).toBeCloseTo(121.667, 3);
    const config = parseNodeConfig({ services: [{ name: "svc-a", renewBeforeDays: 10 }, { name: "svc-b" }], pki: { serviceDefaults: { renewBeforeDays: 30 } } });
    expect(config.services.map((s) => s.renewBeforeDays)).toEqual([10, 30]);
  });

  it("is due from renewBeforeDays before expiry on, never with a window of 0, never when capped by the CA", () => {
    const now = Date.parse("2026-11-23T12:00:00Z");
    const inDays = (d: number) => new Date(now + d * DAY_MS).toISOString();
    expect(renewalDue(inDays(31), 30, now)).toBe(false);
    expect(renewalDue(inDays(30), 30, now)).toBe(true);
    expect(renewalDue(inDays(2), 30, now)).toBe(true);
    expect(renewalDue(inDays(-1), 30, now)).toBe(true); // expired: certainly renew
    expect(renewalDue(inDays(1), 0, now)).toBe(false);
    // The certificate already ends with its CA: a new one would too, so renewing would repeat on every run.
    expect(renewalDue(inDays(5), 30, now, inDays(5))).toBe(false);
    expect(renewalDue(inDays(5), 30, now, inDays(400))).toBe(true);
  });

  it("says which service, when it expires and the window", () => {
    expect(renewalMessage("svc-a", "2026-12-01T00:00:00.000Z", 1 / 3)).toBe("svc-a: certificate expires 2026-12-01T00:00:00.000Z, inside its renewal window (0.3333 days before expiry): a new key and certificate replace it");
  });

  it("refuses a window as long as the lifetime, naming the key that set it", () => {
    expect(errorOf({ services: [{ name: "svc-a", lifetimeDays: 10, renewBeforeDays: 10 }] })).toBe(
      'edge-security:services[0].renewBeforeDays: must be less than the certificate\'s lifetime (10 days for service "svc-a"), or it would be renewed on every run',
    );
    expect(errorOf({ pki: { serviceDefaults: { renewBeforeDays: 400 } } })).toMatch(/^edge-security:pki\.serviceDefaults\.renewBeforeDays: must be less than the certificate's lifetime \(365 days for service "secretstore"\)/);
    expect(errorOf({ pki: { serviceDefaults: { renewBeforeDays: -1 } } })).toBe("edge-security:pki.serviceDefaults.renewBeforeDays: must be 0 or more days");
  });
});

describe("token renewal window", () => {
  it("reads the config's durations", () => {
    expect(durationSeconds("24h")).toBe(86_400);
    expect(durationSeconds("90m")).toBe(5400);
    expect(durationSeconds("3600s")).toBe(3600);
    expect(() => durationSeconds("1d")).toThrow('"1d" is not a duration such as 24h, 90m or 3600s');
  });

  it("is the last third of the period unless configured; 0s turns it off", () => {
    expect(tokenRenewalDue(8 * 3600 + 1, "24h")).toBe(false);
    expect(tokenRenewalDue(8 * 3600, "24h")).toBe(true);
    expect(tokenRenewalDue(3599, "24h", "1h")).toBe(true);
    expect(tokenRenewalDue(3601, "24h", "1h")).toBe(false);
    expect(tokenRenewalDue(1, "24h", "0s")).toBe(false);
  });

  it("is checked against the period, naming the key", () => {
    expect(parseNodeConfig({ services, secretStore: { tokenRenewBefore: "2h" } }).secretStore?.tokenRenewBefore).toBe("2h");
    expect(errorOf({ secretStore: { tokenPeriod: "1h", tokenRenewBefore: "60m" } })).toBe("edge-security:secretStore.tokenRenewBefore: must be shorter than secretStore.tokenPeriod (1h), or every token would be renewed on every run");
    expect(errorOf({ secretStore: { tokenRenewBefore: "1d" } })).toBe("edge-security:secretStore.tokenRenewBefore: must be a duration such as 8h, 90m or 3600s");
  });

  it("tells what up will do with the expiry date, never the token", () => {
    expect(tokenHealthMessage("svc-a", { state: "valid", expireTime: "2026-11-24T00:00:00Z" }, "24h")).toBeUndefined();
    expect(tokenHealthMessage("svc-a", { state: "renewal-due", expireTime: "2026-11-24T00:00:00Z" }, "24h")).toBe(
      "svc-a: its secret-store token expires 2026-11-24T00:00:00Z, inside its renewal window (a third of its period 24h): it is renewed (same token, TTL back to 24h)",
    );
    expect(tokenHealthMessage("svc-a", { state: "invalid" }, "24h", "1h")).toBe("svc-a: its secret-store token expired or was revoked: a new token replaces it (its token file is rewritten)");
  });
});
