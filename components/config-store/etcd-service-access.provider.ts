// EtcdServiceAccess's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import * as curve from "./curve-keys";
import * as access from "./etcd-access";
import * as files from "./etcd-client-cert";
import * as connection from "./etcd-connection";
import * as kv from "./etcd-keys-client";
import * as names from "./etcd-names";
import * as pki from "../pki/client";
import * as serviceDir from "../pki/service-dir";
import type { EtcdServiceAccessInputs } from "./etcd-service-access";

type Inputs = pulumi.Unwrap<EtcdServiceAccessInputs>;

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

const REPLACE_ON = ["endpoint", "prefix", "service", "user", "dir", "uid", "gid", "keyType", "lifetimeDays", "caCertPem", "certFile", "keyFile", "curveKeys"] as const;

/** States written before these inputs existed have neither: the default names, and keys. */
const fileNames = (s: Inputs) => ({ cert: s.certFile, key: s.keyFile });
const withKeys = (s: Inputs) => s.curveKeys !== false;

function layout(inputs: Inputs) {
  const grant: import("./etcd-access").ServiceGrant = {
    user: inputs.user,
    readwrite: [`${inputs.prefix}/${inputs.service}/`],
    read: [`${inputs.prefix}/Publickeys/`, `${inputs.prefix}/GlobalEnv/`],
  };
  return { access, grant, publicKeyPath: `${inputs.prefix}/Publickeys/${inputs.service}`, secretKeyPath: `${inputs.prefix}/${inputs.service}/private_key` };
}

const target = (s: Inputs) => ({ endpoint: s.endpoint, caCertPem: s.caCertPem, caKeyPem: s.caKeyPem, waitTimeoutSeconds: s.waitTimeoutSeconds });

async function issueClientCertificate(inputs: Inputs) {
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
  const paths = await files.writeEtcdClientCertificate(inputs.dir, issued, { uid: inputs.uid, gid: inputs.gid }, fileNames(inputs));
  return { ...paths, certPem: issued.certPem, serialNumber: issued.serialNumber, keyFingerprint: serviceDir.publicKeyFingerprint(issued.keyPem) };
}

/** The user, role and both CURVE keys, made exactly as they should be. */
async function applyInEtcd(inputs: Inputs, keys: { curvePublicKey: string; curveSecretKey: string }) {
  const { access, grant, publicKeyPath, secretKeyPath } = layout(inputs);
  await connection.withEtcd(target(inputs), undefined, async (client) => {
    await access.applyServiceAccess(client, grant);
    if (withKeys(inputs)) await kv.writeKeys(client, { [publicKeyPath]: keys.curvePublicKey, [secretKeyPath]: keys.curveSecretKey });
  });
  return { role: grant.user, publicKeyPath, secretKeyPath };
}

/** "intact", or which of user/role, public key and secret key are missing or changed. */
async function inspectInEtcd(props: Outputs): Promise<string> {
  const { access, grant, publicKeyPath, secretKeyPath } = layout(props);
  return connection.withEtcd(target(props), undefined, async (client) => {
    const problems: string[] = [];
    const user = await access.inspectServiceAccess(client, grant);
    if (user !== "intact") problems.push(`user ${user}`);
    if (!withKeys(props)) return problems.length === 0 ? "intact" : problems.join(", ");
    const live = await kv.readKeys(client, [publicKeyPath, secretKeyPath]);
    if (live[publicKeyPath] !== props.curvePublicKey) problems.push(`public key ${live[publicKeyPath] === undefined ? "missing" : "changed"}`);
    if (live[secretKeyPath] !== props.curveSecretKey) problems.push(`secret key ${live[secretKeyPath] === undefined ? "missing" : "changed"}`);
    return problems.length === 0 ? "intact" : problems.join(", ");
  });
}

function filesState(props: Outputs): string {
  return files.inspectEtcdClientCertificate(props.dir, props, fileNames(props));
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (typeof news.dir !== "string" || !news.dir.startsWith("/")) failures.push({ property: "dir", reason: "must be an absolute path" });
    if (typeof news.prefix !== "string" || (news.prefix !== "" && (!news.prefix.startsWith("/") || news.prefix.endsWith("/")))) failures.push({ property: "prefix", reason: 'must be empty or start with "/" and not end with "/"' });
    if (news.user === names.ROOT_USER || news.user === names.ADMIN_CLIENT_CN) failures.push({ property: "user", reason: `${JSON.stringify(news.user)} is an etcd administrator` });
    return { inputs: news, failures };
  },

  async create(inputs) {
    const cert = await issueClientCertificate(inputs);
    const pair = withKeys(inputs) ? curve.generateCurveKeyPair() : { publicKey: "", secretKey: "" };
    const keys = { curvePublicKey: pair.publicKey, curveSecretKey: pair.secretKey };
    const inEtcd = await applyInEtcd(inputs, keys);
    const outs: Outputs = { ...inputs, ...cert, ...inEtcd, ...keys, files: "intact", etcd: "intact" };
    return { id: `${inputs.service}:${cert.serialNumber}`, outs };
  },

  async read(id, props) {
    return { id, props: { ...props, files: filesState(props), etcd: await inspectInEtcd(props) } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = changedKeys(olds, news, REPLACE_ON);
    const credentials = (changedKeys(olds, news, ["caKeyPem", "waitTimeoutSeconds"]).length > 0);
    const drift = filesState(olds) !== "intact" || olds.etcd !== "intact";
    // Same user name, paths and keys for old and new: the old ones go first.
    return { changes: replaces.length > 0 || credentials || drift, replaces, deleteBeforeReplace: true };
  },

  // Restores what drifted, keeping the CURVE keys; a certificate missing or altered on disk is reissued.
  async update(_id, olds, news) {
    const cert = filesState(olds) === "intact" ? { certPath: olds.certPath, keyPath: olds.keyPath, certPem: olds.certPem, serialNumber: olds.serialNumber, keyFingerprint: olds.keyFingerprint } : await issueClientCertificate(news);
    const keys = { curvePublicKey: olds.curvePublicKey, curveSecretKey: olds.curveSecretKey };
    const inEtcd = await applyInEtcd(news, keys);
    const outs: Outputs = { ...news, ...cert, ...inEtcd, ...keys, files: "intact", etcd: "intact" };
    return { outs };
  },

  async delete(_id, props) {
    const { access, publicKeyPath, secretKeyPath } = layout(props);
    await connection.withEtcd(target(props), undefined, async (client) => {
      await access.removeServiceAccess(client, props.user);
      await kv.deleteKeys(client, [publicKeyPath, secretKeyPath]);
    });
    files.removeEtcdClientCertificate(props.dir, props.certPem, fileNames(props));
  },
});
