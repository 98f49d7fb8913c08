// The pack's entry point, plain JavaScript on purpose: the SDK's cmd/run-policy-pack registers its vendored
// ts-node (type checking) for .ts files, which clashes with tsx, the loader of this project's TypeScript
// everywhere else. Registering tsx again puts it in front of ts-node for the
// pack's own files. (tsx's namespaced `require` API would load a second copy of the SDK's protobuf classes,
// which gRPC then refuses to serialize.)
require("tsx/cjs/api").register();
const { PolicyPack } = require("@pulumi/policy");
const { policies } = require("./policies.ts");

// Serves the policies to the CLI (the pack's name is what `--policy-pack` output shows).
new PolicyPack("edge-security", { policies });
