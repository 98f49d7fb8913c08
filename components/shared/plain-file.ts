// Dynamic resource: a non-secret file (the CA certificate, a readiness file) written atomically.
// A file that vanished or was altered on disk is written again by the next `up`. Logic: ./plain-file.provider.ts.
import * as pulumi from "./pulumi";
import { ThinResource, thinProvider } from "./dynamic-resource";

export interface PlainFileInputs {
  path: pulumi.Input<string>;
  content: pulumi.Input<string>;
  mode?: pulumi.Input<number>;
  /** Mode of the folder holding the file when this creates it (default 0700). */
  dirMode?: pulumi.Input<number>;
  uid?: pulumi.Input<number>;
  gid?: pulumi.Input<number>;
  /** true: delete also removes the file's folder when that leaves it empty (a folder only this file uses). */
  removeEmptyDir?: pulumi.Input<boolean>;
}

export type PlainFilePlain = pulumi.Unwrap<PlainFileInputs>;

export interface PlainFileOutputs extends PlainFilePlain {
  onDisk?: "intact" | "missing" | "changed";
}

export class PlainFile extends ThinResource {
  declare readonly path: pulumi.Output<string>;
  declare readonly content: pulumi.Output<string>;

  constructor(name: string, args: PlainFileInputs, opts?: pulumi.CustomResourceOptions) {
    // Same path for old and new: always delete before replacing, also on `up --replace`.
    super(thinProvider("shared/plain-file"), name, { ...args, onDisk: undefined }, pulumi.mergeOptions(opts, { deleteBeforeReplace: true }), "edge-security", "PlainFile");
  }
}
