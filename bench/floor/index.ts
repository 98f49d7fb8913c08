// The floor of the benchmark: `floor:count` do-nothing dynamic resources (one shared provider whose create and
// diff do nothing), run through the same CLI, language host and tsx as the node program. What the node program
// costs above this is the project's own. `floor:inputBytes` (default 0) gives each resource an input of that many
// characters (base64 of a deterministic digest chain: as incompressible as PEM and ciphertext), for the state's
// size: bench/backend.ts uses 4 KB, about a service's share of a node's state.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async create() {
    return { id: "floor", outs: {} };
  },
  async diff() {
    return { changes: false };
  },
};

class Floor extends pulumi.dynamic.Resource {
  constructor(name: string, inputs: Record<string, string>) {
    super(provider, name, inputs, {});
  }
}

function payload(name: string, bytes: number): string {
  let out = "";
  for (let block = createHash("sha512").update(name).digest(); out.length < bytes; block = createHash("sha512").update(block).digest()) out += block.toString("base64");
  return out.slice(0, bytes);
}

const config = new pulumi.Config("floor");
const count = config.requireNumber("count");
const inputBytes = config.getNumber("inputBytes") ?? 0;
for (let i = 0; i < count; i++) new Floor(`r-${i}`, inputBytes > 0 ? { payload: payload(`r-${i}`, inputBytes) } : {});
