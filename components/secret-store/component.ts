// The node's secret store (Vault API): initialized once with its keys in custody, unsealed, a KV v2 mount, and
// per service a policy + periodic token (token file in the service's folder) and database credentials; the
// gateway's certificate stored under the gateway's path. Every admin step runs on a short-lived root token
// made from the unseal keys, shared by overlapping steps and revoked when the last of them ends (see
// components/secret-store/client.ts withRootToken).
import { join } from "node:path";
import * as pulumi from "../shared/pulumi";
import { custodyFilePath, defaultDbUsername, SecretStoreConfig, ServiceAccess } from "./config";
import type { ServiceConfig } from "../node-config";
import { SecretStoreCertificate } from "./stored-certificate";
import { SecretStoreInit } from "./init";
import { SecretStoreKvMount } from "./kv-mount";
import { SecretStoreUnseal } from "./unseal";
import { ServiceDbCredentials } from "./service-db-credentials";
import { ServiceSecretToken } from "./service-secret-token";
import { SecretStoreIdentityEngine } from "./identity-engine";
import { ServiceIdentity } from "./service-identity";
import { KnownSecret } from "./known-secret";
import { TokenRecovery } from "./token-recovery";
import type { ServiceCertificate } from "../pki/service-certificate";
import { generationInput } from "../lifecycle/config";

/** The token file in each service's folder: the store's token-create response as it returned it. */
export const TOKEN_FILE_NAME = "secrets-token.json";
/** Where in the service's KV path its database credentials are, and what their keys are called. */
export const DB_CREDENTIALS_ENTRY = "db";
export const DB_CREDENTIAL_KEYS = { username: "username", password: "password" } as const;
export const TLS_ENTRY = "tls";

export interface SecretStoreArgs {
  readonly config: SecretStoreConfig;
  readonly secretsRoot: string;
  /** The services that get a token and credentials (the store's own service excluded by the caller). */
  readonly services: readonly ServiceConfig[];
  /** PEM bundle that vouches for the store's certificate (the node CA). */
  readonly caPem: pulumi.Input<string>;
  readonly caCertPath: pulumi.Input<string>;
  readonly custodySecret: pulumi.Input<string>;
  /** What the store's server waits for before it starts (its service's readiness file): init comes after. */
  readonly serverReady: pulumi.Resource[];
  /** The gateway service's certificate, stored under the gateway's path. */
  readonly gatewayCertificate?: ServiceCertificate;
}

export interface SecretStoreServiceOutputs {
  tokenPath: string;
  /** KV path of the service's secrets, e.g. secret/edgex/core-data */
  secretPath: string;
  /** Entry (under secretPath) holding the database credentials, and the keys inside it (a layout's: only services with a database). */
  dbCredentials?: { entry: string; usernameKey: string; passwordKey: string };
}

export class SecretStore extends pulumi.ComponentResource {
  /** The store's address, once it is unsealed (so a failed run leaves the previous output in place). */
  readonly address: pulumi.Output<string>;
  readonly caCertPath: pulumi.Output<string>;
  readonly services: Record<string, SecretStoreServiceOutputs> = {};
  readonly credentials: Record<string, { username: pulumi.Output<string>; password: pulumi.Output<string> }> = {};
  /** A layout's known secrets by id ({username, password}; e.g. a message bus's users). */
  readonly knownSecrets: Record<string, { username: pulumi.Output<string>; password: pulumi.Output<string> }> = {};
  /** What must exist before each service's readiness file. */
  readonly serviceResources: Record<string, pulumi.Resource[]> = {};
  readonly gatewayTlsPath?: string;
  /** What a resource needs to act on the store as admin (short-lived root tokens from the unseal keys). */
  readonly adminAccess: { address: string; caPem: pulumi.Input<string>; connectTimeoutSeconds: number; unsealKeys: pulumi.Output<string[]> };
  /** The stored gateway certificate: KV mount and path, and the resource that writes it. */
  readonly gatewayTls?: { mount: pulumi.Output<string>; path: string; resource: SecretStoreCertificate };
  /** A layout's identity engine (userpass mount, OIDC key), when config.access is set: the gateway's users join it. */
  identityEngine?: SecretStoreIdentityEngine;

  constructor(name: string, args: SecretStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edge-security:secretstore:SecretStore", name, {}, opts);
    const { config } = args;
    const endpoint = { address: config.address, caPem: args.caPem, connectTimeoutSeconds: config.connectTimeoutSeconds };

    const init = new SecretStoreInit(
      `${name}-init`,
      {
        ...endpoint,
        shares: config.shares,
        threshold: config.threshold,
        custodyFile: custodyFilePath(config.custodyDir, pulumi.getStack()),
        custodySecret: args.custodySecret,
        reinitialize: config.reinitialize,
      },
      { parent: this, dependsOn: args.serverReady },
    );
    const unseal = new SecretStoreUnseal(`${name}-unseal`, { ...endpoint, unsealKeys: init.unsealKeys }, { parent: this });
    // Every admin step waits for the unseal (dependsOn: its registration waits for the unseal to finish).
    const admin = { ...endpoint, unsealKeys: init.unsealKeys };
    this.adminAccess = admin;
    const access = config.access;
    const kv = new SecretStoreKvMount(`${name}-kv`, { ...admin, mount: config.kvMount, ...(access && access.kvVersion !== "2" ? { version: access.kvVersion } : {}) }, { parent: this, dependsOn: [unseal] });

    if (access) this.provideServiceIdentities(name, args, access, admin, kv);
    for (const service of access ? [] : args.services) {
      const base = `${config.pathPrefix}/${service.name}`;
      const token = new ServiceSecretToken(
        `${service.name}-secret-token`,
        {
          ...admin,
          service: service.name,
          policyName: `edge-${service.name}`,
          policy: servicePolicy(config.kvMount, base),
          checkPath: `${config.kvMount}/data/${base}/${DB_CREDENTIALS_ENTRY}`,
          period: config.tokenPeriod,
          tokenFile: join(args.secretsRoot, service.name, TOKEN_FILE_NAME),
          uid: service.owner.uid,
          gid: service.owner.gid,
          rotation: generationInput(service.rotation?.token),
          renewBefore: config.tokenRenewBefore,
        },
        { parent: this, dependsOn: [kv] },
      );
      const credentials = new ServiceDbCredentials(
        `${service.name}-db-credentials`,
        { ...admin, mount: kv.mount, path: `${base}/${DB_CREDENTIALS_ENTRY}`, username: config.dbUsernames[service.name] ?? defaultDbUsername(service.name), rotation: generationInput(service.rotation?.password) },
        { parent: this },
      );
      this.credentials[service.name] = { username: credentials.username, password: credentials.password };
      this.services[service.name] = {
        tokenPath: join(args.secretsRoot, service.name, TOKEN_FILE_NAME),
        secretPath: `${config.kvMount}/${base}`,
        dbCredentials: { entry: DB_CREDENTIALS_ENTRY, usernameKey: DB_CREDENTIAL_KEYS.username, passwordKey: DB_CREDENTIAL_KEYS.password },
      };
      this.serviceResources[service.name] = [token, credentials];
    }

    if (config.gatewayService && args.gatewayCertificate) {
      const cert = args.gatewayCertificate;
      this.gatewayTlsPath = `${config.kvMount}/${config.pathPrefix}/${config.gatewayService}/${TLS_ENTRY}`;
      const tls = new SecretStoreCertificate(
        `${config.gatewayService}-tls-secret`,
        { ...admin, mount: kv.mount, path: `${config.pathPrefix}/${config.gatewayService}/${TLS_ENTRY}`, certPem: cert.certPem, keyPath: cert.keyPath },
        { parent: this },
      );
      (this.serviceResources[config.gatewayService] ??= []).push(tls);
      this.gatewayTls = { mount: kv.mount, path: `${config.pathPrefix}/${config.gatewayService}/${TLS_ENTRY}`, resource: tls };
    }

    this.address = unseal.address;
    this.caCertPath = pulumi.output(args.caCertPath);
    this.registerOutputs({ address: this.address, caCertPath: this.caCertPath, services: this.services });
  }

  /** Services' access as a layout describes it (config.access): identities, login tokens, known secrets. */
  private provideServiceIdentities(name: string, args: SecretStoreArgs, access: ServiceAccess, admin: SecretStore["adminAccess"], kv: SecretStoreKvMount): void {
    const { config } = args;
    const engine = (this.identityEngine = new SecretStoreIdentityEngine(
      `${name}-identity`,
      { ...admin, userpassPath: access.userpassPath, keyName: access.oidcKey.name, algorithm: access.oidcKey.algorithm, ...(access.issuerClaim !== undefined ? { issuerClaim: access.issuerClaim } : {}) },
      { parent: this, dependsOn: [kv] },
    ));
    const identities: { service: ServiceConfig; identity: ServiceIdentity; tokenFile: string; policyName: string }[] = [];
    for (const service of args.services) {
      const entry = access.services[service.name];
      if (!entry) continue;
      const tokenFile = join(args.secretsRoot, service.name, TOKEN_FILE_NAME);
      const identity = new ServiceIdentity(
        `${service.name}-store-identity`,
        {
          ...admin,
          service: service.name,
          policyName: entry.policyName,
          policy: entry.policy,
          checkPath: `${config.kvMount}/${entry.checkPath}`,
          userpassPath: access.userpassPath,
          userpassAccessor: engine.userpassAccessor,
          oidcKey: access.oidcKey.name,
          oidcClientId: entry.oidcRole.clientId,
          oidcTtlSeconds: entry.oidcRole.ttlSeconds,
          oidcTemplate: entry.oidcRole.template,
          tokenRole: entry.tokenRole,
          period: access.tokenPeriod,
          tokenFile,
          uid: service.owner.uid,
          gid: service.owner.gid,
          rotation: generationInput(service.rotation?.token),
          renewBefore: config.tokenRenewBefore,
        },
        { parent: this },
      );
      (this.serviceResources[service.name] ??= []).push(identity);
      if (entry.tokenRole) identities.push({ service, identity, tokenFile, policyName: entry.policyName });
      this.services[service.name] = {
        tokenPath: tokenFile,
        secretPath: `${config.kvMount}/${config.pathPrefix}/${service.name}`,
      };
    }
    if (access.tokenRecovery && identities.length > 0) this.provideTokenRecovery(name, args, access.tokenRecovery, admin, identities);
    for (const secret of access.knownSecrets) {
      const resource = new KnownSecret(
        secret.id,
        { ...admin, mount: kv.mount, kvVersion: access.kvVersion, paths: secret.paths, username: secret.username, ...(secret.rotation ? { rotation: secret.rotation } : {}), ...(secret.caCertKey ? { fields: { [secret.caCertKey]: args.caPem } } : {}) },
        { parent: this },
      );
      this.knownSecrets[secret.id] = { username: resource.username, password: resource.password };
      const owner = secret.dbCredentialsOf;
      if (owner !== undefined) {
        this.credentials[owner] = { username: resource.username, password: resource.password };
        const out = this.services[owner];
        if (out) out.dbCredentials = { entry: secret.paths[0].split("/").pop()!, usernameKey: DB_CREDENTIAL_KEYS.username, passwordKey: DB_CREDENTIAL_KEYS.password };
      }
      for (const service of args.services) {
        if (secret.paths.some((p) => p.startsWith(`${config.pathPrefix}/${service.name}/`))) (this.serviceResources[service.name] ??= []).push(resource);
      }
    }
  }

  /** The token recovery service's access and settings file (access.tokenRecovery; docs/edgex.md "Token recovery"). */
  private provideTokenRecovery(name: string, args: SecretStoreArgs, recovery: NonNullable<ServiceAccess["tokenRecovery"]>, admin: SecretStore["adminAccess"], identities: { service: ServiceConfig; identity: ServiceIdentity; tokenFile: string; policyName: string }[]): void {
    new TokenRecovery(
      `${name}-token-recovery`,
      {
        ...admin,
        appRolePath: recovery.appRolePath,
        roleName: recovery.roleName,
        policyName: recovery.policyName,
        boundCidrs: recovery.boundCidrs,
        tokenPeriod: args.config.access!.tokenPeriod,
        listenHost: recovery.listenHost,
        port: recovery.port,
        configFile: join(args.secretsRoot, recovery.folder, "token-recovery.json"),
        services: identities.map(({ service, identity, tokenFile, policyName }) => ({ name: service.name, entityId: identity.entityId, policies: [policyName], tokenFile, uid: service.owner.uid, gid: service.owner.gid })),
      },
      { parent: this, dependsOn: identities.map((i) => i.identity) },
    );
  }
}

/** Its own KV path only: read and write its secrets, list them, nothing else. */
export function servicePolicy(mount: string, base: string): string {
  return [
    `path "${mount}/data/${base}/*" {\n  capabilities = ["create", "read", "update", "delete", "list"]\n}`,
    `path "${mount}/metadata/${base}/*" {\n  capabilities = ["read", "list", "delete"]\n}`,
    `path "${mount}/metadata/${base}" {\n  capabilities = ["list"]\n}`,
  ].join("\n");
}
