// Dynamic resource: one service's access to the config store, all of what its identity there is made of:
//   - an etcd client certificate (CN = its etcd user, clientAuth) in the service's own folder; its private key
//     is generated here and lives only in that folder;
//   - an etcd user without a password and a role of the same name: readwrite on <prefix>/<service>/, read on
//     <prefix>/Publickeys/ and <prefix>/GlobalEnv/;
//   - a ZeroMQ CURVE key pair: the public key at <prefix>/Publickeys/<service>, the secret key at
//     <prefix>/<service>/private_key (and in the state only as a secret).
// etcd is administered as the stack's admin user (client certificate); the component orders this after EtcdAuth.
// Replacing it (`up --replace`) rotates all of them. A folder wiped by a reboot (seen on every diff) reissues
// the certificate; a user, role or key changed in etcd (seen by refresh) is restored with the same keys.
import * as pulumi from "@pulumi/pulumi";

export interface EtcdServiceAccessInputs {
  endpoint: pulumi.Input<string>;
  prefix: pulumi.Input<string>;
  service: pulumi.Input<string>;
  user: pulumi.Input<string>;
  dir: pulumi.Input<string>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
  keyType: pulumi.Input<string>;
  lifetimeDays: pulumi.Input<number>;
  caCertPem: pulumi.Input<string>;
  /** Secret: issues the client certificate and the admin connection's. */
  caKeyPem: pulumi.Input<string>;
  waitTimeoutSeconds: pulumi.Input<number>;
}

interface Inputs {
  endpoint: string;
  prefix: string;
  service: string;
  user: string;
  dir: string;
  uid?: number;
  gid?: number;
  keyType: string;
  lifetimeDays: number;
  caCertPem: string;
  caKeyPem: string;
  waitTimeoutSeconds: number;
}

interface Outputs extends Inputs {
  role: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  serialNumber: string;
  keyFingerprint: string;
  publicKeyPath: string;
  secretKeyPath: string;
  curvePublicKey: string;
  curveSecretKey: string;
  /** On disk: "intact", "missing" or "changed" (checked on every diff). */
  files: string;
  /** In etcd, as last seen: "intact", or what is missing or changed (refresh). */
  etcd: string;
}

const REPLACE_ON = ["endpoint", "prefix", "service", "user", "dir", "uid", "gid", "keyType", "lifetimeDays", "caCertPem"] as const;

function layout(inputs: Inputs) {
  const access: typeof import("@edge-security/clients/etcd-access") = require("@edge-security/clients/etcd-access");
  const grant: import("@edge-security/clients/etcd-access").ServiceGrant = {
    user: inputs.user,
    readwrite: [`${inputs.prefix}/${inputs.service}/`],
    read: [`${inputs.prefix}/Publickeys/`, `${inputs.prefix}/GlobalEnv/`],
  };
  return { access, grant, publicKeyPath: `${inputs.prefix}/Publickeys/${inputs.service}`, secretKeyPath: `${inputs.prefix}/${inputs.service}/private_key` };
}

const target = (s: Inputs) => ({ endpoint: s.endpoint, caCertPem: s.caCertPem, caKeyPem: s.caKeyPem, waitTimeoutSeconds: s.waitTimeoutSeconds });

async function issueClientCertificate(inputs: Inputs) {
  const pki: typeof import("@edge-security/clients/pki") = require("@edge-security/clients/pki");
  const files: typeof import("@edge-security/clients/etcd-client-cert") = require("@edge-security/clients/etcd-client-cert");
  const serviceDir: typeof import("@edge-security/clients/service-dir") = require("@edge-security/clients/service-dir");
  const issued = await pki.issueServiceCertificate({
    caCertPem: inputs.caCertPem,
    caKeyPem: inputs.caKeyPem,
    commonName: inputs.user,
    dnsNames: [],
    ipAddresses: [],
    keyType: inputs.keyType as never,
    lifetimeDays: inputs.lifetimeDays,
    usage: "client",
  });
  const paths = await files.writeEtcdClientCertificate(inputs.dir, issued, { uid: inputs.uid, gid: inputs.gid });
  return { ...paths, certPem: issued.certPem, serialNumber: issued.serialNumber, keyFingerprint: serviceDir.publicKeyFingerprint(issued.keyPem) };
}

/** The user, role and both CURVE keys, made exactly as they should be. */
async function applyInEtcd(inputs: Inputs, keys: { curvePublicKey: string; curveSecretKey: string }) {
  const connection: typeof import("@edge-security/clients/etcd-connection") = require("@edge-security/clients/etcd-connection");
  const kv: typeof import("@edge-security/clients/etcd-keys") = require("@edge-security/clients/etcd-keys");
  const { access, grant, publicKeyPath, secretKeyPath } = layout(inputs);
  await connection.withEtcd(target(inputs), undefined, async (client) => {
    await access.applyServiceAccess(client, grant);
    await kv.writeKeys(client, { [publicKeyPath]: keys.curvePublicKey, [secretKeyPath]: keys.curveSecretKey });
  });
  return { role: grant.user, publicKeyPath, secretKeyPath };
}

/** "intact", or which of user/role, public key and secret key are missing or changed. */
async function inspectInEtcd(props: Outputs): Promise<string> {
  const connection: typeof import("@edge-security/clients/etcd-connection") = require("@edge-security/clients/etcd-connection");
  const kv: typeof import("@edge-security/clients/etcd-keys") = require("@edge-security/clients/etcd-keys");
  const { access, grant, publicKeyPath, secretKeyPath } = layout(props);
  return connection.withEtcd(target(props), undefined, async (client) => {
    const problems: string[] = [];
    const user = await access.inspectServiceAccess(client, grant);
    if (user !== "intact") problems.push(`user ${user}`);
    const live = await kv.readKeys(client, [publicKeyPath, secretKeyPath]);
    if (live[publicKeyPath] !== props.curvePublicKey) problems.push(`public key ${live[publicKeyPath] === undefined ? "missing" : "changed"}`);
    if (live[secretKeyPath] !== props.curveSecretKey) problems.push(`secret key ${live[secretKeyPath] === undefined ? "missing" : "changed"}`);
    return problems.length === 0 ? "intact" : problems.join(", ");
  });
}

function filesState(props: Outputs): string {
  const files: typeof import("@edge-security/clients/etcd-client-cert") = require("@edge-security/clients/etcd-client-cert");
  return files.inspectEtcdClientCertificate(props.dir, props);
}

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Inputs, news: Inputs) {
    const failures = [];
    if (typeof news.dir !== "string" || !news.dir.startsWith("/")) failures.push({ property: "dir", reason: "must be an absolute path" });
    if (typeof news.prefix !== "string" || (news.prefix !== "" && (!news.prefix.startsWith("/") || news.prefix.endsWith("/")))) failures.push({ property: "prefix", reason: 'must be empty or start with "/" and not end with "/"' });
    const names: typeof import("@edge-security/clients/etcd-names") = require("@edge-security/clients/etcd-names");
    if (news.user === names.ROOT_USER || news.user === names.ADMIN_CLIENT_CN) failures.push({ property: "user", reason: `${JSON.stringify(news.user)} is an etcd administrator` });
    return { inputs: news, failures };
  },

  async create(inputs: Inputs) {
    const curve: typeof import("@edge-security/clients/curve-keys") = require("@edge-security/clients/curve-keys");
    const cert = await issueClientCertificate(inputs);
    const pair = curve.generateCurveKeyPair();
    const keys = { curvePublicKey: pair.publicKey, curveSecretKey: pair.secretKey };
    const inEtcd = await applyInEtcd(inputs, keys);
    const outs: Outputs = { ...inputs, ...cert, ...inEtcd, ...keys, files: "intact", etcd: "intact" };
    return { id: `${inputs.service}:${cert.serialNumber}`, outs };
  },

  async read(id: string, props: Outputs) {
    return { id, props: { ...props, files: filesState(props), etcd: await inspectInEtcd(props) } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const replaces: string[] = REPLACE_ON.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    const credentials = (["caKeyPem", "waitTimeoutSeconds"] as const).some((k) => olds[k] !== news[k]);
    const drift = filesState(olds) !== "intact" || olds.etcd !== "intact";
    // Same user name, paths and keys for old and new: the old ones go first.
    return { changes: replaces.length > 0 || credentials || drift, replaces, deleteBeforeReplace: true };
  },

  // Restores what drifted, keeping the CURVE keys; a certificate missing or altered on disk is reissued.
  async update(_id: string, olds: Outputs, news: Inputs) {
    const cert = filesState(olds) === "intact" ? { certPath: olds.certPath, keyPath: olds.keyPath, certPem: olds.certPem, serialNumber: olds.serialNumber, keyFingerprint: olds.keyFingerprint } : await issueClientCertificate(news);
    const keys = { curvePublicKey: olds.curvePublicKey, curveSecretKey: olds.curveSecretKey };
    const inEtcd = await applyInEtcd(news, keys);
    const outs: Outputs = { ...news, ...cert, ...inEtcd, ...keys, files: "intact", etcd: "intact" };
    return { outs };
  },

  async delete(_id: string, props: Outputs) {
    const connection: typeof import("@edge-security/clients/etcd-connection") = require("@edge-security/clients/etcd-connection");
    const kv: typeof import("@edge-security/clients/etcd-keys") = require("@edge-security/clients/etcd-keys");
    const files: typeof import("@edge-security/clients/etcd-client-cert") = require("@edge-security/clients/etcd-client-cert");
    const { access, publicKeyPath, secretKeyPath } = layout(props);
    await connection.withEtcd(target(props), undefined, async (client) => {
      await access.removeServiceAccess(client, props.user);
      await kv.deleteKeys(client, [publicKeyPath, secretKeyPath]);
    });
    files.removeEtcdClientCertificate(props.dir, props.certPem);
  },
};

export class EtcdServiceAccess extends pulumi.dynamic.Resource {
  declare readonly user: pulumi.Output<string>;
  declare readonly certPath: pulumi.Output<string>;
  declare readonly keyPath: pulumi.Output<string>;
  declare readonly curvePublicKey: pulumi.Output<string>;
  declare readonly curveSecretKey: pulumi.Output<string>;

  constructor(name: string, args: EtcdServiceAccessInputs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      role: undefined, certPath: undefined, keyPath: undefined, certPem: undefined, serialNumber: undefined, keyFingerprint: undefined,
      publicKeyPath: undefined, secretKeyPath: undefined, curvePublicKey: undefined, curveSecretKey: undefined, files: undefined, etcd: undefined,
    };
    super(
      provider,
      name,
      { ...args, ...outputs },
      // Same user, files and keys for old and new: always delete before replacing, also on `up --replace`.
      pulumi.mergeOptions(opts, { deleteBeforeReplace: true, additionalSecretOutputs: ["caKeyPem", "curveSecretKey"] }),
      "edge-security",
      "EtcdServiceAccess",
    );
  }
}
