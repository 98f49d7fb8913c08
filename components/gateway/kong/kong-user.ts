// Dynamic resource: one gateway user in Kong: a consumer, its ACL groups, and its credentials: a JWT credential
// holding the user's PUBLIC key (the private key is made here and written only to the user's own 0700 folder)
// and/or an OAuth2 client-credentials credential whose secret is a Pulumi secret (and in the user's folder).
import * as pulumi from "@pulumi/pulumi";
import type { KongEndpointArgs, KongEndpointInputs } from "./kong-endpoint";

export interface KongUserInputs extends KongEndpointArgs {
  username: pulumi.Input<string>;
  groups: pulumi.Input<string[]>;
  /** The user's folder (0700): private key, JWT settings, OAuth2 client file. */
  dir: pulumi.Input<string>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
  /** Set when some route uses JWT. */
  jwt?: pulumi.Input<{ algorithm: string; maximumExpirationSeconds: number }>;
  /** Set when some route uses OAuth2: where the user asks for a token (a route's path + /oauth2/token). */
  oauth2?: pulumi.Input<{ tokenPath: string }>;
}

interface Inputs extends KongEndpointInputs {
  username: string;
  groups: string[];
  dir: string;
  uid?: number;
  gid?: number;
  jwt?: { algorithm: string; maximumExpirationSeconds: number };
  oauth2?: { tokenPath: string };
}

interface Outputs extends Inputs {
  jwtKey?: string;
  publicKeyPem?: string;
  clientId?: string;
  /** A secret (additionalSecretOutputs). */
  clientSecret?: string;
  drift: string[];
}

async function apply(inputs: Inputs, olds: Partial<Outputs>, adopt: boolean): Promise<Outputs> {
  const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
  const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
  const files: typeof import("@edge-security/clients/kong-user-files") = require("@edge-security/clients/kong-user-files");
  const crypto: typeof import("node:crypto") = require("node:crypto");
  const owner = { uid: inputs.uid, gid: inputs.gid };
  const outs: Outputs = { ...inputs, drift: [] };
  if (inputs.jwt) {
    outs.jwtKey = admin.deterministicId(inputs.stack, `user:${inputs.username}:jwt`);
    outs.publicKeyPem = await files.ensureJwtKey(inputs.dir, inputs.jwt.algorithm, { key: outs.jwtKey, algorithm: inputs.jwt.algorithm, maximumExpirationSeconds: inputs.jwt.maximumExpirationSeconds }, owner);
  } else files.removeUserFiles(inputs.dir, ["jwtKey", "jwtSettings"]);
  if (inputs.oauth2) {
    outs.clientId = admin.deterministicId(inputs.stack, `user:${inputs.username}:oauth2`);
    outs.clientSecret = olds.clientSecret ?? crypto.randomBytes(32).toString("base64url");
    await files.writeOAuth2Client(inputs.dir, { clientId: outs.clientId, clientSecret: outs.clientSecret, tokenPath: inputs.oauth2.tokenPath }, owner);
  } else files.removeUserFiles(inputs.dir, ["oauth2"]);
  await gateway.applyUser(admin.endpointOf(inputs), spec(outs), { adopt });
  return outs;
}

function spec(props: Outputs): import("@edge-security/clients/kong-gateway").KongUserSpec {
  return {
    stack: props.stack,
    username: props.username,
    groups: props.groups,
    ...(props.jwt && props.jwtKey && props.publicKeyPem ? { jwt: { key: props.jwtKey, algorithm: props.jwt.algorithm, publicKeyPem: props.publicKeyPem } } : {}),
    ...(props.oauth2 && props.clientId && props.clientSecret ? { oauth2: { clientId: props.clientId, clientSecret: props.clientSecret } } : {}),
  };
}

const FIELDS = ["adminUrl", "adminCaPem", "adminCredentials", "requestTimeoutSeconds", "stack", "username", "groups", "dir", "uid", "gid", "jwt", "oauth2"] as const;

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    return { id: inputs.username, outs: await apply(inputs, {}, false) };
  },

  async read(id: string, props: Outputs) {
    const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
    const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
    const files: typeof import("@edge-security/clients/kong-user-files") = require("@edge-security/clients/kong-user-files");
    const drift = await gateway.userDrift(admin.endpointOf(props), spec(props));
    if (props.jwt && files.jwtPublicKey(props.dir) !== props.publicKeyPem) drift.push("private key file missing or changed");
    return { id, props: { ...props, drift } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const changed: string[] = FIELDS.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    if ((olds.drift ?? []).length > 0) changed.push("drift");
    return { changes: changed.length > 0, replaces: olds.username !== news.username || olds.stack !== news.stack ? ["username"] : [] };
  },

  async update(_id: string, olds: Outputs, news: Inputs) {
    return { outs: await apply(news, olds, true) };
  },

  async delete(_id: string, props: Outputs) {
    const admin: typeof import("@edge-security/clients/kong-admin") = require("@edge-security/clients/kong-admin");
    const gateway: typeof import("@edge-security/clients/kong-gateway") = require("@edge-security/clients/kong-gateway");
    const files: typeof import("@edge-security/clients/kong-user-files") = require("@edge-security/clients/kong-user-files");
    await gateway.deleteUser(admin.endpointOf(props), props.stack, props.username);
    files.removeUserFiles(props.dir);
  },
};

export class KongUser extends pulumi.dynamic.Resource {
  declare readonly jwtKey: pulumi.Output<string | undefined>;
  declare readonly clientId: pulumi.Output<string | undefined>;

  constructor(name: string, args: KongUserInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, jwtKey: undefined, publicKeyPem: undefined, clientId: undefined, clientSecret: undefined, drift: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["adminCredentials", "clientSecret"] }), "edge-security", "KongUser");
  }
}
