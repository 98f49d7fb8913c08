// KongUser's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../../shared/dynamic-resource";
import * as admin from "./kong-admin";
import * as gateway from "./kong-gateway";
import * as files from "./kong-user-files";
import * as crypto from "node:crypto";
import type { KongUserInputs } from "./kong-user";

type Inputs = pulumi.Unwrap<KongUserInputs>;

interface Outputs extends Inputs {
  jwtKey?: string;
  publicKeyPem?: string;
  clientId?: string;
  /** A secret (additionalSecretOutputs). */
  clientSecret?: string;
  drift: string[];
}

async function apply(inputs: Inputs, olds: Partial<Outputs>, adopt: boolean): Promise<Outputs> {
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

function spec(props: Outputs): import("./kong-gateway").KongUserSpec {
  return {
    stack: props.stack,
    username: props.username,
    groups: props.groups,
    ...(props.jwt && props.jwtKey && props.publicKeyPem ? { jwt: { key: props.jwtKey, algorithm: props.jwt.algorithm, publicKeyPem: props.publicKeyPem } } : {}),
    ...(props.oauth2 && props.clientId && props.clientSecret ? { oauth2: { clientId: props.clientId, clientSecret: props.clientSecret } } : {}),
  };
}

const FIELDS = ["adminUrl", "adminCaPem", "adminCredentials", "requestTimeoutSeconds", "stack", "username", "groups", "dir", "uid", "gid", "jwt", "oauth2"] as const;

export const provider = implement<Inputs, Outputs>({
  async create(inputs) {
    return { id: inputs.username, outs: await apply(inputs, {}, false) };
  },

  async read(id, props) {
    const drift = await gateway.userDrift(admin.endpointOf(props), spec(props));
    if (props.jwt && files.jwtPublicKey(props.dir) !== props.publicKeyPem) drift.push("private key file missing or changed");
    return { id, props: { ...props, drift } };
  },

  async diff(_id, olds, news) {
    const changed: string[] = changedKeys(olds, news, FIELDS);
    if ((olds.drift ?? []).length > 0) changed.push("drift");
    return { changes: changed.length > 0, replaces: changedKeys(olds, news, ["username", "stack"]).length > 0 ? ["username"] : [] };
  },

  async update(_id, olds, news) {
    return { outs: await apply(news, olds, true) };
  },

  async delete(_id, props) {
    await gateway.deleteUser(admin.endpointOf(props), props.stack, props.username);
    files.removeUserFiles(props.dir);
  },
});
