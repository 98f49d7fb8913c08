// The resource graph of an EdgeNode, registered against Pulumi mocks (no engine, nothing written to disk).
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import type { ImportedCa } from "./pki/ca-import";
import type { NodeConfig } from "./node-config";
import { isSecretOnWire, lookups, recordingMocks, SECRET_SIG, SIG_KEY, valueOf, waitForRegistrations } from "../test/support/recording-mocks";

const T = {
  node: "edge-security:node:EdgeNode",
  pki: "edge-security:pki:Pki",
  ca: "pulumi-nodejs:dynamic/edge-security:CertificateAuthority",
  file: "pulumi-nodejs:dynamic/edge-security:PlainFile",
  cert: "pulumi-nodejs:dynamic/edge-security:ServiceCertificate",
};
const STORE = {
  component: "edge-security:secretstore:SecretStore",
  init: "pulumi-nodejs:dynamic/edge-security:SecretStoreInit",
  unseal: "pulumi-nodejs:dynamic/edge-security:SecretStoreUnseal",
  kv: "pulumi-nodejs:dynamic/edge-security:SecretStoreKvMount",
  token: "pulumi-nodejs:dynamic/edge-security:ServiceSecretToken",
  credentials: "pulumi-nodejs:dynamic/edge-security:ServiceDbCredentials",
  tls: "pulumi-nodejs:dynamic/edge-security:SecretStoreCertificate",
  identityEngine: "pulumi-nodejs:dynamic/edge-security:SecretStoreIdentityEngine",
  identity: "pulumi-nodejs:dynamic/edge-security:ServiceIdentity",
  recovery: "pulumi-nodejs:dynamic/edge-security:TokenRecovery",
  known: "pulumi-nodejs:dynamic/edge-security:KnownSecret",
};

/** Fake outputs of the PKI's resources, derived from their names and inputs. */
const pkiOutputs = (args: pulumi.runtime.MockResourceArgs): Record<string, unknown> => ({
  certPem: `cert of ${args.name}`,
  keyPem: `key of ${args.name}`,
  trustBundlePem: `bundle of ${args.name}`,
  serialNumber: `serial-${args.name}`,
  fingerprint: `fp-${args.name}`,
  dir: args.inputs.dir,
  certPath: args.inputs.dir && join(args.inputs.dir, "cert.pem"),
  keyPath: args.inputs.dir && join(args.inputs.dir, "key.pem"),
  path: args.inputs.path,
});

async function buildNode(config: NodeConfig, importedCa?: ImportedCa, custodySecret?: pulumi.Input<string>) {
  const registrations = await recordingMocks(pkiOutputs);
  // The modules that create resources are loaded after the mocks are in place.
  const { EdgeNode } = await import("./edge-node");
  const node = new EdgeNode("node", { config, importedCa, custodySecret });
  const services = await valueOf(node.outputs.services);
  const caCertPath = await valueOf(node.outputs.caCertPath);
  await waitForRegistrations();
  const { find, count } = lookups(registrations);
  return { node, registrations, services, caCertPath, count, find };
}

describe("EdgeNode resource graph (Pulumi mocks)", { timeout: 120_000 }, () => {
  const config = async (raw: Record<string, unknown>) => (await import("./node-config")).parseNodeConfig(raw);
  const SERVICES = [
    { name: "svc-a", hostnames: ["edgex-svc-a"], owner: { uid: 4242, gid: 4343 } },
    { name: "svc-b", keyType: "ec-p384", lifetimeDays: 30 },
    { name: "svc-c", keyType: "rsa-3072", extraSans: ["10.1.2.3"], includeLocalhost: false },
  ];

  it("registers one CA, the CA file, and one certificate and one readiness file per service", async () => {
    const root = "/run/unit/secrets";
    const { registrations, services, caCertPath, count, find } = await buildNode(await config({ secretsRoot: root, services: SERVICES }));

    expect(count(T.node)).toBe(1);
    expect(count(T.pki)).toBe(1);
    expect(count(T.ca)).toBe(1);
    expect(count(T.cert)).toBe(3);
    expect(count(T.file)).toBe(4);
    expect(registrations).toHaveLength(1 + 1 + 1 + 3 + 4);
    expect(new Set(registrations.map((r) => r.type))).toEqual(new Set(Object.values(T)));

    // the CA file at the secrets root, holding the CA's trust bundle, in a shared (0755) folder
    const caFile = find(T.file, "pki-ca-cert");
    expect(caFile.inputs).toMatchObject({ path: join(root, "ca.pem"), content: "bundle of pki-ca", dirMode: 0o755 });
    expect(caCertPath).toBe(join(root, "ca.pem"));

    const ca = find(T.ca, "pki-ca");
    expect(ca.inputs).toMatchObject({ source: "self-signed", commonName: "edge-security node CA", keyType: "ec-p384", lifetimeDays: 3650 });
    expect(ca.inputs).not.toHaveProperty("importedKeyPem");

    for (const s of SERVICES) {
      const cert = find(T.cert, `${s.name}-cert`);
      expect(cert.inputs.dir).toBe(join(root, s.name));
      expect(cert.inputs).toMatchObject({ service: s.name, caCertPem: "cert of pki-ca", caKeyPem: { [SIG_KEY]: SECRET_SIG, value: "key of pki-ca" }, trustBundlePem: "bundle of pki-ca" });
      const ready = find(T.file, `${s.name}-ready`);
      expect(ready.inputs.path).toBe(join(root, s.name, "ready"));
      expect(ready.inputs.mode).toBe(0o600);
      // the readiness file names the certificate it vouches for
      expect(JSON.parse(ready.inputs.content)).toEqual({ service: s.name, certificateSerial: `serial-${s.name}-cert` });
      expect(ready.inputs.content.endsWith("\n")).toBe(true);
    }

    const [a, b, c] = SERVICES.map((s) => find(T.cert, `${s.name}-cert`).inputs);
    expect(a).toMatchObject({ dnsNames: ["edgex-svc-a", "localhost"], ipAddresses: ["127.0.0.1"], keyType: "ec-p256", lifetimeDays: 365, uid: 4242, gid: 4343 });
    expect(b).toMatchObject({ dnsNames: ["svc-b", "localhost"], keyType: "ec-p384", lifetimeDays: 30 });
    expect(b).not.toHaveProperty("uid");
    expect(c).toMatchObject({ dnsNames: ["svc-c"], ipAddresses: ["10.1.2.3"], keyType: "rsa-3072" });
    expect(find(T.file, "svc-a-ready").inputs).toMatchObject({ uid: 4242, gid: 4343 });

    expect(Object.keys(services).sort()).toEqual(["svc-a", "svc-b", "svc-c"]);
    for (const s of SERVICES) {
      expect(services[s.name]).toEqual({ dir: join(root, s.name), certPath: join(root, s.name, "cert.pem"), keyPath: join(root, s.name, "key.pem") });
    }
  });

  it("nests the PKI under the node and the certificates under the PKI; the ready files under the node", async () => {
    const { find } = await buildNode(await config({ services: SERVICES }));
    const node = find(T.node, "node");
    const pki = find(T.pki, "pki");
    expect(pki.parent).toBe(node.urn);
    expect(find(T.ca, "pki-ca").parent).toBe(pki.urn);
    expect(find(T.file, "pki-ca-cert").parent).toBe(pki.urn);
    for (const s of SERVICES) {
      expect(find(T.cert, `${s.name}-cert`).parent).toBe(pki.urn);
      expect(find(T.file, `${s.name}-ready`).parent).toBe(node.urn);
    }
  });

  it("orders each readiness file after its certificate, and each certificate after the CA", async () => {
    const { find } = await buildNode(await config({ services: SERVICES }));
    const caUrn = find(T.ca, "pki-ca").urn!;
    expect(find(T.file, "pki-ca-cert").propertyDependencies.content).toEqual([caUrn]);
    for (const s of SERVICES) {
      const cert = find(T.cert, `${s.name}-cert`);
      for (const key of ["caCertPem", "caKeyPem", "trustBundlePem"]) expect(cert.propertyDependencies[key], key).toEqual([caUrn]);
      expect(find(T.file, `${s.name}-ready`).propertyDependencies.content).toEqual([cert.urn]);
    }
  });

  it("marks the CA key a secret output, and the CA key reaches every certificate as a secret", async () => {
    const { find } = await buildNode(await config({ services: SERVICES }));
    expect(find(T.ca, "pki-ca").additionalSecretOutputs).toContain("keyPem");
    for (const s of SERVICES) {
      const cert = find(T.cert, `${s.name}-cert`);
      expect(isSecretOnWire(cert.wire.caKeyPem), `${s.name} caKeyPem`).toBe(true);
      expect(isSecretOnWire(cert.inputs.caKeyPem), `${s.name} caKeyPem as the mock sees it`).toBe(true);
      expect(isSecretOnWire(cert.wire.caCertPem)).toBe(false);
      expect(cert.additionalSecretOutputs).toEqual([]);
      expect(isSecretOnWire(find(T.file, `${s.name}-ready`).wire.content)).toBe(false);
    }
    expect(isSecretOnWire(find(T.file, "pki-ca-cert").wire.content)).toBe(false);
  });

  it("asks for delete-before-replace on the same-path resources", async () => {
    const { registrations } = await buildNode(await config({ services: SERVICES }));
    for (const r of registrations.filter((r) => r.type === T.file || r.type === T.cert)) expect(r.deleteBeforeReplace, r.name).toBe(true);
  });

  it("passes an imported CA to the CA resource with its key as a secret input", async () => {
    const imported = { certPem: "IMPORTED CERT", keyPem: "IMPORTED KEY", chainPem: "CHAIN" };
    const { find } = await buildNode(await config({ pki: { ca: { source: "import", importDir: "/etc/ca" } }, services: SERVICES.slice(0, 1) }), imported);
    const ca = find(T.ca, "pki-ca");
    expect(ca.inputs).toMatchObject({ source: "import", importedCertPem: "IMPORTED CERT", importedKeyPem: { [SIG_KEY]: SECRET_SIG, value: "IMPORTED KEY" }, importedChainPem: "CHAIN" });
    expect(isSecretOnWire(ca.wire.importedKeyPem)).toBe(true);
    expect(ca.wire.importedKeyPem.value).toBe("IMPORTED KEY");
    expect(isSecretOnWire(ca.wire.importedCertPem)).toBe(false);
  });

  it("serializes each dynamic provider into the __provider input", async () => {
    const { find } = await buildNode(await config({ services: SERVICES.slice(0, 1) }));
    expect(find(T.ca, "pki-ca").inputs.__provider).toMatch(/^exports\.handler = /);
    expect(find(T.cert, "svc-a-cert").inputs.__provider).toContain('"@edge-security/clients/providers/pki/service-certificate"');
    expect(find(T.file, "svc-a-ready").inputs.__provider).toContain('"@edge-security/clients/providers/shared/plain-file"');
  });

  it("scales to 200 services", async () => {
    const services = Array.from({ length: 200 }, (_, i) => ({ name: `svc-${String(i).padStart(3, "0")}` }));
    const started = Date.now();
    const { registrations, services: outputs, count } = await buildNode(await config({ services }));
    expect(count(T.ca)).toBe(1);
    expect(count(T.cert)).toBe(200);
    expect(count(T.file)).toBe(201);
    expect(registrations).toHaveLength(2 + 1 + 200 + 201);
    expect(Object.keys(outputs)).toHaveLength(200);
    expect(new Set(registrations.filter((r) => r.type === T.file).map((r) => r.inputs.path)).size).toBe(201);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("adds the secret store: init, unseal, KV mount; a token and credentials per client service; the gateway's certificate", async () => {
    const raw = { secretsRoot: "/run/u", services: [{ name: "secretstore" }, { name: "kong" }, ...SERVICES], secretStore: { custodyDir: "/var/lib/u" } };
    const { registrations, services, count, find } = await buildNode(await config(raw), undefined, pulumi.secret("custody-secret-custody-secret-custody"));
    expect(count(STORE.component)).toBe(1);
    expect(count(STORE.token)).toBe(4);
    expect(count(STORE.credentials)).toBe(4);
    expect(count(STORE.tls)).toBe(1);
    expect(find(STORE.init, "secret-store-init").inputs).toMatchObject({ address: "https://127.0.0.1:8200", shares: 5, threshold: 3, custodyFile: "/var/lib/u/unit.secret-store.custody" });
    expect(isSecretOnWire(find(STORE.init, "secret-store-init").wire.custodySecret)).toBe(true);
    expect(find(STORE.init, "secret-store-init").additionalSecretOutputs).toEqual(expect.arrayContaining(["unsealKeys", "custodySecret"]));
    for (const type of [STORE.unseal, STORE.kv, STORE.token, STORE.credentials, STORE.tls]) {
      for (const r of registrations.filter((r) => r.type === type)) expect(r.additionalSecretOutputs, r.name).toContain("unsealKeys");
    }
    expect(find(STORE.credentials, "svc-a-db-credentials").additionalSecretOutputs).toContain("password");
    expect(find(STORE.credentials, "svc-a-db-credentials").deleteBeforeReplace).toBe(true);
    expect(find(STORE.token, "svc-a-secret-token").additionalSecretOutputs).toEqual(expect.arrayContaining(["token", "tokenFileContent"]));

    // The store's own service gets no token (its ready file cannot wait for the store it starts).
    expect(registrations.some((r) => r.name === "secretstore-secret-token")).toBe(false);
    const unsealUrn = find(STORE.unseal, "secret-store-unseal").urn!;
    expect(find(STORE.kv, "secret-store-kv").dependencies).toContain(unsealUrn);
    const storeReady = find(T.file, "secretstore-ready");
    expect(storeReady.dependencies).toEqual([find(T.cert, "secretstore-cert").urn]);
    expect(find(STORE.init, "secret-store-init").dependencies).toContain(storeReady.urn);
    for (const s of ["kong", "svc-a"]) {
      const token = find(STORE.token, `${s}-secret-token`);
      expect(token.inputs).toMatchObject({ service: s, policyName: `edge-${s}`, tokenFile: `/run/u/${s}/secrets-token.json`, period: "24h", checkPath: `secret/data/edgex/${s}/db` });
      expect(token.inputs.policy).toContain(`path "secret/data/edgex/${s}/*"`);
      expect(token.inputs.policy).not.toMatch(/path "secret\/data\/edgex\/\*"/);
      expect(find(T.file, `${s}-ready`).dependencies).toEqual(expect.arrayContaining([token.urn, find(STORE.credentials, `${s}-db-credentials`).urn]));
      expect(services[s]).toMatchObject({ tokenPath: `/run/u/${s}/secrets-token.json`, secretPath: `secret/edgex/${s}` });
    }
    expect(find(STORE.credentials, "svc-a-db-credentials").inputs).toMatchObject({ path: "edgex/svc-a/db", username: "svc_a" });
    expect(find(T.file, "kong-ready").dependencies).toContain(find(STORE.tls, "kong-tls-secret").urn);
    expect(find(STORE.tls, "kong-tls-secret").inputs).toMatchObject({ path: "edgex/kong/tls", keyPath: "/run/u/kong/key.pem" });
    // No rotation configured: no generation and no window reaches any resource (existing stacks keep their inputs).
    for (const type of [T.cert, STORE.token, STORE.credentials]) {
      for (const r of registrations.filter((r) => r.type === type)) {
        expect(r.inputs, r.name).not.toHaveProperty("rotation");
        expect(r.inputs, r.name).not.toHaveProperty("renewBefore");
        expect(r.inputs, r.name).not.toHaveProperty("renewBeforeDays");
      }
    }
  });

  it("passes each credential's rotation generation and the renewal windows; readiness files carry token/password generations", async () => {
    const raw = {
      secretsRoot: "/run/u",
      services: [{ name: "secretstore" }, { name: "svc-a", renewBeforeDays: 20 }, { name: "svc-b" }],
      secretStore: { custodyDir: "/var/lib/u", tokenRenewBefore: "2h" },
      rotation: { tokens: 2, services: { "svc-a": { certificate: 1, password: 3 }, secretstore: { all: 1 } } },
    };
    const { find } = await buildNode(await config(raw), undefined, pulumi.secret("custody-secret-custody-secret-custody"));
    expect(find(T.cert, "svc-a-cert").inputs).toMatchObject({ rotation: 1, renewBeforeDays: 20 });
    expect(find(T.cert, "svc-b-cert").inputs).not.toHaveProperty("rotation");
    expect(find(T.cert, "secretstore-cert").inputs).toMatchObject({ rotation: 1 });
    expect(find(STORE.token, "svc-a-secret-token").inputs).toMatchObject({ rotation: 2, renewBefore: "2h" });
    expect(find(STORE.token, "svc-b-secret-token").inputs).toMatchObject({ rotation: 2, renewBefore: "2h" });
    expect(find(STORE.credentials, "svc-a-db-credentials").inputs).toMatchObject({ rotation: 3 });
    expect(find(STORE.credentials, "svc-b-db-credentials").inputs).not.toHaveProperty("rotation");
    expect(JSON.parse(find(T.file, "svc-a-ready").inputs.content)).toEqual({ service: "svc-a", certificateSerial: "serial-svc-a-cert", rotation: { token: 2, password: 3 } });
    expect(JSON.parse(find(T.file, "svc-b-ready").inputs.content)).toEqual({ service: "svc-b", certificateSerial: "serial-svc-b-cert", rotation: { token: 2 } });
    // The store's own service holds no token or password: its readiness file changes only with its certificate.
    expect(JSON.parse(find(T.file, "secretstore-ready").inputs.content)).toEqual({ service: "secretstore", certificateSerial: "serial-secretstore-cert" });
  });

  it("with layout edgex4: KV v1, one identity per client service (secrets marked, replaced old-first), known secrets, readiness after both", async () => {
    const raw = {
      layout: "edgex4",
      secretsRoot: "/run/u",
      services: [{ name: "secretstore" }, { name: "core-data", owner: { uid: 2002, gid: 2001 } }, { name: "core-command" }],
      secretStore: { custodyDir: "/var/lib/u" },
      rotation: { tokens: 2, services: { "core-data": { password: 3 } } },
    };
    const { find, count, registrations, services } = await buildNode(await config(raw), undefined, pulumi.secret("custody-secret-custody-secret-custody"));
    expect(count(STORE.token)).toBe(0);
    expect(count(STORE.credentials)).toBe(0);
    expect(count(STORE.identity)).toBe(2);
    expect(find(STORE.kv, "secret-store-kv").inputs).toMatchObject({ mount: "secret", version: "1" });
    expect(find(STORE.identityEngine, "secret-store-identity").inputs).toMatchObject({ userpassPath: "userpass", keyName: "edgex-identity", algorithm: "ES384", issuerClaim: "/v1/identity/oidc" });
    const identity = find(STORE.identity, "core-data-store-identity");
    expect(identity.inputs).toMatchObject({ service: "core-data", policyName: "edgex-service-core-data", period: "1h", tokenFile: "/run/u/core-data/secrets-token.json", uid: 2002, gid: 2001, rotation: 2, oidcKey: "edgex-identity", oidcClientId: "edgex", oidcTtlSeconds: 900, tokenRole: true });
    expect(identity.additionalSecretOutputs).toEqual(expect.arrayContaining(["unsealKeys", "password", "token", "tokenFileContent"]));
    expect(identity.deleteBeforeReplace).toBe(true);
    const postgres = find(STORE.known, "core-data-postgres-secret");
    expect(postgres.inputs).toMatchObject({ kvVersion: "1", username: "core_data", rotation: 3, paths: ["edgex/core-data/postgres", "edgex/security-bootstrapper-postgres/core-data/postgres"] });
    expect(postgres.additionalSecretOutputs).toEqual(expect.arrayContaining(["unsealKeys", "password"]));
    const bus = find(STORE.known, "message-bus-secret");
    expect(bus.inputs.paths).toEqual(["edgex/core-command/message-bus", "edgex/core-data/message-bus", "edgex/security-bootstrapper-messagebus/message-bus"]);
    expect(find(T.file, "core-data-ready").dependencies).toEqual(expect.arrayContaining([identity.urn, postgres.urn, bus.urn]));
    expect(find(T.file, "core-command-ready").dependencies).not.toContain(postgres.urn);
    expect(registrations.some((r) => r.name === "secretstore-store-identity")).toBe(false);
    expect(services["core-data"]).toMatchObject({ secretPath: "secret/edgex/core-data", dbCredentials: { entry: "postgres" } });
    expect(services["core-command"].dbCredentials).toBeUndefined();
  });

  it("with layout edgex4 and edgex.tokenRecovery: one TokenRecovery for the identities (after them), its secret id and settings marked secret", async () => {
    const raw = {
      layout: "edgex4",
      secretsRoot: "/run/u",
      services: [{ name: "secretstore" }, { name: "core-data", owner: { uid: 2002, gid: 2001 } }, { name: "core-command" }],
      secretStore: { custodyDir: "/var/lib/u" },
      edgex: { tokenRecovery: { port: 59999 } },
    };
    const { find, count } = await buildNode(await config(raw), undefined, pulumi.secret("custody-secret-custody-secret-custody"));
    expect(count(STORE.recovery)).toBe(1);
    const recovery = find(STORE.recovery, "secret-store-token-recovery");
    expect(recovery.inputs).toMatchObject({ appRolePath: "approle", roleName: "security-secretstore-setup", policyName: "edgex-token-recovery", boundCidrs: ["127.0.0.1/32"], tokenPeriod: "1h", listenHost: "127.0.0.1", port: 59999, configFile: "/run/u/security-secretstore-setup/token-recovery.json" });
    expect(recovery.inputs.services.map((s: { name: string }) => s.name)).toEqual(["core-data", "core-command"]);
    expect(recovery.inputs.services[0]).toMatchObject({ policies: ["edgex-service-core-data"], tokenFile: "/run/u/core-data/secrets-token.json", uid: 2002, gid: 2001 });
    expect(recovery.additionalSecretOutputs).toEqual(expect.arrayContaining(["unsealKeys", "secretId", "configContent"]));
    expect(recovery.dependencies).toEqual(expect.arrayContaining([find(STORE.identity, "core-data-store-identity").urn, find(STORE.identity, "core-command-store-identity").urn]));
    // Each service's env file names it (go-mod-bootstrap's client of security-secretstore-setup).
    expect(find(T.file, "core-data-edgex-env").inputs.content).toContain("CLIENTS_SECURITY_SECRETSTORE_SETUP_HOST=127.0.0.1\nCLIENTS_SECURITY_SECRETSTORE_SETUP_PORT=59999\n");
    const without = await buildNode(await config({ ...raw, edgex: {} }), undefined, pulumi.secret("custody-secret-custody-secret-custody"));
    expect(without.count(STORE.recovery)).toBe(0);
    expect(without.find(T.file, "core-data-edgex-env").inputs.content).not.toContain("CLIENTS_");
  });
});
