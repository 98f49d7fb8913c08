// SecretStoreInit's provider logic, loaded by name in the provider host (see components/shared/dynamic-resource.ts).
import { writeFileSync } from "node:fs";
import type * as pulumi from "@pulumi/pulumi";
import { changedKeys, implement } from "../shared/dynamic-resource";
import { holding } from "../shared/provider-host/end-with-parent";
import * as custody from "./custody";
import * as store from "./client";
import type { SecretStoreInitInputs } from "./init";

type Inputs = pulumi.Unwrap<SecretStoreInitInputs>;

interface Outputs extends Inputs {
  unsealKeys: string[];
  /** What the last read saw: is the store initialized, does the custody file still hold the keys. */
  initialized: boolean;
  custody: "intact" | "missing" | "changed";
}

/**
 * Test hooks: EDGE_TEST_PAUSE_AFTER_INIT stops right after the init response is persisted, so a test can kill the
 * run there; EDGE_TEST_PAUSE_BEFORE_CUSTODY waits 3 s between the response and its custody file, so a test can kill
 * the CLI there. The marker file gets this process's pid (the provider host runs in a process group of its own).
 */
async function pauseIfAsked(variable: "EDGE_TEST_PAUSE_AFTER_INIT" | "EDGE_TEST_PAUSE_BEFORE_CUSTODY", ms: number): Promise<void> {
  const marker = process.env[variable];
  if (!marker) return;
  writeFileSync(marker, `${process.pid}\n`);
  await new Promise((resolve) => setTimeout(resolve, ms));
}

function custodyStateOf(props: Outputs): Outputs["custody"] {
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
  return new store.SecretStoreError(
    `the secret store at ${inputs.address} answers "not initialized", but this stack holds unseal keys for it (${where}): ` +
      "its data may be missing (a data volume not mounted, a server started on an empty folder) or the address may point at another server. " +
      "Nothing was changed: bring the store's data back and run again; to start over with a new, empty store on purpose, " +
      "set edge-security:secretStore.reinitialize to true for one run (the old custody file is kept, dated)",
  );
}

export const provider = implement<Inputs, Outputs>({
  async check(_olds, news) {
    const failures = [];
    if (!Number.isInteger(news.shares) || news.shares < 1 || news.shares > 255) failures.push({ property: "shares", reason: "must be a whole number from 1 to 255" });
    if (!Number.isInteger(news.threshold) || news.threshold < 1 || news.threshold > news.shares) failures.push({ property: "threshold", reason: `must be a whole number from 1 to shares (${news.shares})` });
    if (news.shares > 1 && news.threshold === 1) failures.push({ property: "threshold", reason: "must be at least 2 when there are several shares" });
    return { inputs: news, failures };
  },

  async create(inputs) {
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
      // The store returns its keys once: from the request to the fsynced custody file nothing may cut this run
      // short (a hold: the provider host finishes it even when its CLI or runner is killed), and the slow part of
      // the encryption (scrypt) is done before the request, leaving only a SIGKILL of this very process (or a
      // power loss) inside those milliseconds; the note below names that case on the next run.
      const seal = custody.custodySealer(inputs.custodySecret);
      await custody.markInitStarted(inputs.custodyFile, inputs.address);
      record = await holding(`initializing the secret store at ${inputs.address}`, async () => {
        const response = await store.initialize(inputs, inputs.shares, inputs.threshold);
        const initialized = { address: inputs.address, initializedAt: new Date().toISOString(), shares: inputs.shares, threshold: inputs.threshold, keys: response.keys, rootToken: response.root_token };
        await pauseIfAsked("EDGE_TEST_PAUSE_BEFORE_CUSTODY", 3_000);
        await custody.writeCustody(inputs.custodyFile, inputs.custodySecret, initialized, seal);
        custody.clearInitStarted(inputs.custodyFile);
        return initialized;
      });
      await pauseIfAsked("EDGE_TEST_PAUSE_AFTER_INIT", 600_000);
    } else if (unreadable) {
      throw unreadable;
    } else if (!record) {
      const started = custody.initStarted(inputs.custodyFile);
      if (started?.address === inputs.address) {
        throw new store.SecretStoreError(
          `the secret store at ${inputs.address} was initialized during a run of this stack (started at ${started.startedAt}) that never wrote its unseal keys to ${inputs.custodyFile} ` +
            "(its provider host was killed outright, the machine lost power, or the init request failed with no answer): the store returns those keys once, so they are lost; " +
            "the store was never unsealed and holds no data: empty its storage (its data folder or volume) and run up again",
        );
      }
      throw new store.SecretStoreError(
        `the secret store at ${inputs.address} is already initialized and this stack holds no keys for it (no custody file at ${inputs.custodyFile}); ` +
          "it is not re-initialized and not adopted: restore the custody file, or point the stack at a new store",
      );
    } else {
      // Keys in custody: a note left by a run killed after writing them (before removing it) says nothing more.
      custody.clearInitStarted(inputs.custodyFile);
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

  async read(id, props) {
    const status = await store.sealStatus(props);
    return { id, props: { ...props, initialized: status.initialized, custody: custodyStateOf(props) } };
  },

  async diff(_id, olds, news) {
    if (changedKeys(olds, news, ["shares", "threshold"]).length > 0) {
      throw new store.SecretStoreError(
        `the secret store is initialized with ${olds.shares} shares and threshold ${olds.threshold}; changing them needs a rekey (bao operator rekey), not a new init: set secretStore.shares/threshold back`,
      );
    }
    const changed: string[] = changedKeys(olds, news, ["address", "caPem", "connectTimeoutSeconds", "custodyFile", "custodySecret"]);
    const status = await store.sealStatus(news);
    // A store the stack holds keys for is started over only when asked (its old keys are kept aside).
    if (!status.initialized) {
      if (!news.reinitialize) throw storeDataMissing(news, `in its state${custodyStateOf(olds) === "intact" ? ` and in ${olds.custodyFile}` : ""}`);
      return { changes: true, replaces: ["initialized"], deleteBeforeReplace: true };
    }
    if (custodyStateOf(olds) !== "intact") changed.push("custody");
    return { changes: changed.length > 0 };
  },

  async update(_id, olds, news) {
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
});
