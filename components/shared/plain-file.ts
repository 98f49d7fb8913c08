// Dynamic resource: a non-secret file (the CA certificate, a readiness file) written atomically.
// A file that vanished or was altered on disk is written again by the next `up`.
import * as pulumi from "@pulumi/pulumi";

export interface PlainFileInputs {
  path: pulumi.Input<string>;
  content: pulumi.Input<string>;
  mode?: pulumi.Input<number>;
  /** Mode of the folder holding the file when this creates it (default 0700). */
  dirMode?: pulumi.Input<number>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
}

interface State {
  path: string;
  content: string;
  mode?: number;
  dirMode?: number;
  uid?: number;
  gid?: number;
  onDisk?: "intact" | "missing" | "changed";
}

const DEFAULT_MODE = 0o644;

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: State) {
    const files: typeof import("@edge-security/clients/files") = require("@edge-security/clients/files");
    await files.writeFileAtomically(inputs.path, inputs.content, inputs.mode ?? DEFAULT_MODE, { uid: inputs.uid, gid: inputs.gid }, inputs.dirMode);
    return { id: inputs.path, outs: { ...inputs, onDisk: "intact" } };
  },

  async read(id: string, props: State) {
    const files: typeof import("@edge-security/clients/files") = require("@edge-security/clients/files");
    return { id, props: { ...props, onDisk: files.fileState(props.path, props.content) } };
  },

  async diff(_id: string, olds: State, news: State) {
    const files: typeof import("@edge-security/clients/files") = require("@edge-security/clients/files");
    const replaces: string[] = (["path", "content", "mode", "dirMode", "uid", "gid"] as const).filter((k) => (olds[k] ?? null) !== (news[k] ?? null));
    if (files.fileState(olds.path, olds.content) !== "intact") replaces.push("onDisk");
    // Same path: the old file goes first, so a reader never mistakes it for the new one.
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: olds.path === news.path };
  },

  async delete(_id: string, props: State) {
    const files: typeof import("@edge-security/clients/files") = require("@edge-security/clients/files");
    // Only the content this resource wrote: a newer file at the same path is left alone.
    if (files.readIfExists(props.path) === props.content) files.removeFile(props.path);
  },
};

export class PlainFile extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;
  declare readonly content: pulumi.Output<string>;

  constructor(name: string, args: PlainFileInputs, opts?: pulumi.CustomResourceOptions) {
    // Same path for old and new: always delete before replacing, also on `up --replace`.
    super(provider, name, { ...args, onDisk: undefined }, pulumi.mergeOptions(opts, { deleteBeforeReplace: true }), "edge-security", "PlainFile");
  }
}
