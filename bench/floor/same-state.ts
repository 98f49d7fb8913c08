// A second floor: the graph and state of a real node, replayed with providers that do nothing. Every resource of
// the node's exported state is registered again with its type, name, parent and dependencies; a dynamic resource
// takes the inputs it has there (secrets kept secret) and its create returns its outputs there; a component
// registers its outputs. So the CLI rewrites, after every step, the node's own state, value for value, in the
// node's own order. Against the plain floor this shows what the engine charges for the state and graph a node
// must keep; against the node, what the project's own code and servers add. Not replayed: the stack's outputs
// (written once, at the end) and properties' dependencies. The payload is read once per process from the file
// `floor:payload` names (bench/measure.ts writes it from `pulumi stack export --show-secrets`).
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";

/** One resource of the node, in the state's order (parents and dependencies first). */
export interface PayloadResource {
  urn: string;
  type: string;
  custom: boolean;
  parent?: string;
  dependencies: string[];
  /** Plain values, top-level keys in `secretInputs`/`secretOutputs` were secret. */
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  secretInputs: string[];
  secretOutputs: string[];
}

// The stored provider, one line like the node's own (components/shared/dynamic-resource.ts): the host evaluates
// it once per process and keeps the provider, so the payload file is parsed once.
const PROVIDER = `exports.handler = () => { let all; return { async create(i) { all ??= JSON.parse(require("fs").readFileSync(i.payloadFile, "utf8")); return { id: "floor", outs: all[i.payloadIndex].outputs }; }, async diff() { return { changes: false }; } }; };\n`;

/** A dynamic resource of the node's type (the same provider plugin) with the stored provider above. */
class Replayed extends pulumi.CustomResource {
  constructor(type: string, name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(type, name, inputs, opts);
  }
}

/** A component of the node's type that registers the outputs it had there. */
class ReplayedComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, outputs: pulumi.Inputs, opts: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs(outputs);
  }
}

function withSecrets(values: Record<string, unknown>, secretKeys: string[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = { ...values };
  for (const key of secretKeys) inputs[key] = pulumi.secret(inputs[key]);
  return inputs;
}

const payloadFile = new pulumi.Config("floor").require("payload");
const payload = JSON.parse(readFileSync(payloadFile, "utf8")) as PayloadResource[];
const registered = new Map<string, pulumi.Resource>();
payload.forEach((resource, payloadIndex) => {
  const name = resource.urn.slice(resource.urn.lastIndexOf("::") + 2);
  const parent = resource.parent ? registered.get(resource.parent) : undefined;
  const dependsOn = resource.dependencies.flatMap((urn) => registered.get(urn) ?? []);
  if (resource.custom) {
    const inputs = { ...withSecrets(resource.inputs, resource.secretInputs), payloadFile, payloadIndex, __provider: PROVIDER };
    registered.set(resource.urn, new Replayed(resource.type, name, inputs, { parent, dependsOn, additionalSecretOutputs: resource.secretOutputs }));
  } else {
    registered.set(resource.urn, new ReplayedComponent(resource.type, name, withSecrets(resource.outputs, resource.secretOutputs), { parent, dependsOn }));
  }
});
