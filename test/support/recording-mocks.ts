// Pulumi mocks that record every resource registration (type, parent, inputs as sent on the wire and as the
// mock sees them, secret outputs, dependencies), for the unit tests of the EdgeNode graph.
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { expect } from "vitest";

// How the Node SDK marks a secret value on the wire: its own constants, not copies.
export const SIG_KEY = specialSigKey;
export const SECRET_SIG = specialSecretSig;
export const isSecretOnWire = (v: unknown) => typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;

export interface Registration {
  type: string;
  name: string;
  parent: string;
  urn?: string;
  /** Inputs as the mock's newResource sees them (a secret arrives as { [SIG_KEY]: SECRET_SIG, value }). */
  inputs: Record<string, any>;
  /** The request's property object as sent on the wire (secrets still wrapped). */
  wire: Record<string, any>;
  additionalSecretOutputs: string[];
  deleteBeforeReplace: boolean;
  propertyDependencies: Record<string, string[]>;
  dependencies: string[];
}

/**
 * Installs fresh mocks that record every registration. `fakeOutputs` adds outputs to a resource's inputs
 * (undefined values are left out); like the engine, the outputs named in additionalSecretOutputs come back as secrets.
 */
export async function recordingMocks(fakeOutputs: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>): Promise<Registration[]> {
  const registrations: Registration[] = [];
  const pending = new Map<string, Registration>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const reg = pending.get(`${args.type}::${args.name}`)!;
        reg.inputs = args.inputs;
        const state: Record<string, unknown> = { ...args.inputs, ...Object.fromEntries(Object.entries(fakeOutputs(args)).filter(([, v]) => v !== undefined)) };
        for (const key of reg.additionalSecretOutputs) if (key in state) state[key] = pulumi.secret(state[key]);
        return { id: `${args.name}_id`, state };
      },
      call: (args) => args.inputs,
    },
    "edge-security",
    "unit",
    false,
  );
  const monitor = (pulumi.runtime as unknown as { getMonitor(): any }).getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, res: any) => void) => {
    const deps: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v: any, k: string) => (deps[k] = v.getUrnsList()));
    const reg: Registration = {
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent(),
      inputs: {},
      wire: req.getObject()?.toJavaScript() ?? {},
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      propertyDependencies: deps,
      dependencies: req.getDependenciesList(),
    };
    registrations.push(reg);
    pending.set(`${reg.type}::${reg.name}`, reg);
    return register(req, (err: any, res: any) => {
      if (res) reg.urn = res.getUrn();
      callback(err, res);
    });
  };
  return registrations;
}

export const waitForRegistrations = () => (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
export const valueOf = <V>(output: pulumi.Output<V>) => new Promise<V>((resolve) => output.apply(resolve));

/** `find` (exactly one registration of that type and name) and `count` over the recorded registrations. */
export function lookups(registrations: Registration[]) {
  const find = (type: string, name: string) => {
    const found = registrations.filter((r) => r.type === type && r.name === name);
    expect(found, `${type} ${name}`).toHaveLength(1);
    return found[0];
  };
  return { find, count: (type: string) => registrations.filter((r) => r.type === type).length };
}
