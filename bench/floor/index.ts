// The floor of the benchmark: `floor:count` do-nothing dynamic resources (one shared provider whose create and
// diff do nothing), run through the same CLI, language host and tsx as the node program. What the node program
// costs above this is the project's own.
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
  constructor(name: string) {
    super(provider, name, {}, {});
  }
}

const count = new pulumi.Config("floor").requireNumber("count");
for (let i = 0; i < count; i++) new Floor(`r-${i}`);
