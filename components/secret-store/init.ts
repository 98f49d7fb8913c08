// Dynamic resource: the secret store's initialization and the custody of its init response.
// create: initializes a new store and persists the response (unseal keys, initial root token) encrypted and
// fsynced BEFORE anything else; then unseals and revokes the initial root token. An already-initialized store
// is adopted only when this stack's custody file holds its keys; otherwise create fails and changes nothing.
// The store is never initialized over existing data, and destroy never deletes the custody file. A store that
// answers "not initialized" while the stack holds keys for it is refused unless `reinitialize` is set: its data
// may only be missing for now (a volume not mounted at boot), and new keys would brick it when it comes back.
// Custody files are never overwritten with other keys: the old one is kept aside, dated.
import * as pulumi from "@pulumi/pulumi";

export interface SecretStoreInitInputs {
  address: pulumi.Input<string>;
  caPem: pulumi.Input<string>;
  connectTimeoutSeconds: pulumi.Input<number>;
  shares: pulumi.Input<number>;
  threshold: pulumi.Input<number>;
  custodyFile: pulumi.Input<string>;
  /** A secret: the custody file's encryption secret. */
  custodySecret: pulumi.Input<string>;
  /** Start over with a new store when the one the stack knows answers "not initialized" (explicit, one run). */
  reinitialize?: pulumi.Input<boolean>;
}

interface Inputs {
  address: string;
  caPem: string;
  connectTimeoutSeconds: number;
  shares: number;
  threshold: number;
  custodyFile: string;
  custodySecret: string;
  /** Absent in states written before it existed: false. */
  reinitialize?: boolean;
}

interface Outputs extends Inputs {
  unsealKeys: string[];
  /** What the last read saw: is the store initialized, does the custody file still hold the keys. */
  initialized: boolean;
  custody: "intact" | "missing" | "changed";
}

/** Test hook: stop right after the init response is persisted, so a test can kill the run there. */
async function pauseIfAsked(): Promise<void> {
  const marker = process.env.EDGE_TEST_PAUSE_AFTER_INIT;
  if (!marker) return;
  // The provider host runs in a process group of its own: the test needs its pid to kill it with the run.
  require("node:fs").writeFileSync(marker, `${process.pid}\n`);
  await new Promise((resolve) => setTimeout(resolve, 600_000));
}

function custodyStateOf(props: Outputs): Outputs["custody"] {
  const custody: typeof import("@edge-security/clients/custody") = require("@edge-security/clients/custody");
  try {
    const record = custody.readCustody(props.custodyFile, props.custodySecret);
    if (!record) return "missing";
    return JSON.stringify(record.keys) === JSON.stringify(props.unsealKeys) ? "intact" : "changed";
  } catch {
    return "changed";
  }
}

/** The one line that stops a run which would initialize a store the stack already holds keys for. */
function storeDataMissing(inputs: Inputs, where: string): Error {
  const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
  return new store.SecretStoreError(
    `the secret store at ${inputs.address} answers "not initialized", but this stack holds unseal keys for it (${where}): ` +
      "its data may be missing (a data volume not mounted, a server started on an empty folder) or the address may point at another server. " +
      "Nothing was changed: bring the store's data back and run again; to start over with a new, empty store on purpose, " +
      "set edge-security:secretStore.reinitialize to true for one run (the old custody file is kept, dated)",
  );
}

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Inputs, news: Inputs) {
    const failures = [];
    if (!Number.isInteger(news.shares) || news.shares < 1 || news.shares > 255) failures.push({ property: "shares", reason: "must be a whole number from 1 to 255" });
    if (!Number.isInteger(news.threshold) || news.threshold < 1 || news.threshold > news.shares) failures.push({ property: "threshold", reason: `must be a whole number from 1 to shares (${news.shares})` });
    if (news.shares > 1 && news.threshold === 1) failures.push({ property: "threshold", reason: "must be at least 2 when there are several shares" });
    return { inputs: news, failures };
  },

  async create(inputs: Inputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    const custody: typeof import("@edge-security/clients/custody") = require("@edge-security/clients/custody");
    const status = await store.sealStatus(inputs);
    let record;
    let unreadable: unknown;
    try {
      record = custody.readCustody(inputs.custodyFile, inputs.custodySecret);
    } catch (err) {
      if (!(err instanceof custody.CustodyError)) throw err;
      unreadable = err;
    }
    if (!status.initialized) {
      if (record && !inputs.reinitialize) throw storeDataMissing(inputs, `in ${inputs.custodyFile}`);
      if (unreadable && !inputs.reinitialize) throw storeDataMissing(inputs, `a custody file it cannot decrypt: ${inputs.custodyFile}`);
      // Keys of an earlier store (or a file that does not decrypt): kept aside, never overwritten.
      custody.keepCustodyAside(inputs.custodyFile, unreadable ? "damaged" : "superseded");
      const response = await store.initialize(inputs, inputs.shares, inputs.threshold);
      record = { address: inputs.address, initializedAt: new Date().toISOString(), shares: inputs.shares, threshold: inputs.threshold, keys: response.keys, rootToken: response.root_token };
      await custody.writeCustody(inputs.custodyFile, inputs.custodySecret, record);
      await pauseIfAsked();
    } else if (unreadable) {
      throw unreadable;
    } else if (!record) {
      throw new store.SecretStoreError(
        `the secret store at ${inputs.address} is already initialized and this stack holds no keys for it (no custody file at ${inputs.custodyFile}); ` +
          "it is not re-initialized and not adopted: restore the custody file, or point the stack at a new store",
      );
    }
    await store.unseal(inputs, record.keys);
    if (record.rootToken) {
      // The initial root token is never used for set-up: revoke it, then forget it.
      await store.revokeSelf(inputs, record.rootToken);
      const { rootToken: _revoked, ...rest } = record;
      await custody.writeCustody(inputs.custodyFile, inputs.custodySecret, rest);
    }
    const outs: Outputs = { ...inputs, shares: record.shares, threshold: record.threshold, unsealKeys: record.keys, initialized: true, custody: "intact" };
    return { id: inputs.address, outs };
  },

  async read(id: string, props: Outputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    const status = await store.sealStatus(props);
    return { id, props: { ...props, initialized: status.initialized, custody: custodyStateOf(props) } };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const store: typeof import("@edge-security/clients/secret-store") = require("@edge-security/clients/secret-store");
    if (olds.shares !== news.shares || olds.threshold !== news.threshold) {
      throw new store.SecretStoreError(
        `the secret store is initialized with ${olds.shares} shares and threshold ${olds.threshold}; changing them needs a rekey (bao operator rekey), not a new init: set secretStore.shares/threshold back`,
      );
    }
    const changed: string[] = (["address", "caPem", "connectTimeoutSeconds", "custodyFile", "custodySecret"] as const).filter((k) => olds[k] !== news[k]);
    const status = await store.sealStatus(news);
    // A store the stack holds keys for is started over only when asked (its old keys are kept aside).
    if (!status.initialized) {
      if (!news.reinitialize) throw storeDataMissing(news, `in its state${custodyStateOf(olds) === "intact" ? ` and in ${olds.custodyFile}` : ""}`);
      return { changes: true, replaces: ["initialized"], deleteBeforeReplace: true };
    }
    if (custodyStateOf(olds) !== "intact") changed.push("custody");
    return { changes: changed.length > 0 };
  },

  async update(_id: string, olds: Outputs, news: Inputs) {
    const custody: typeof import("@edge-security/clients/custody") = require("@edge-security/clients/custody");
    const outs: Outputs = { ...olds, ...news, custody: "intact" };
    // The custody file lost, damaged, moved, or its secret rotated: write it again from the keys in the state.
    const state = custodyStateOf(outs);
    if (state !== "intact") {
      // A file that does not decrypt (damage, tampering, an older custody secret) or holds other keys is kept.
      if (state === "changed") {
        let damaged = false;
        try {
          custody.readCustody(news.custodyFile, news.custodySecret);
        } catch {
          damaged = true;
        }
        custody.keepCustodyAside(news.custodyFile, damaged ? "damaged" : "replaced");
      }
      await custody.writeCustody(news.custodyFile, news.custodySecret, { address: news.address, initializedAt: new Date().toISOString(), shares: olds.shares, threshold: olds.threshold, keys: olds.unsealKeys });
    }
    return { outs };
  },

  async delete() {
    // Nothing: the store's data outlives the stack, and so must the keys that open it.
  },
};

export class SecretStoreInit extends pulumi.dynamic.Resource {
  declare readonly unsealKeys: pulumi.Output<string[]>;
  declare readonly address: pulumi.Output<string>;

  constructor(name: string, args: SecretStoreInitInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, unsealKeys: undefined, initialized: undefined, custody: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["unsealKeys", "custodySecret"] }),
      "edge-security",
      "SecretStoreInit",
    );
  }
}
