// The `pulumi` namespace of the program and of the provider modules: what @pulumi/pulumi's index exports, minus the
// parts none of them uses (the Automation API, `runtime`, `dynamic`, `provider`, assets), read from the SDK's own
// modules, so `pulumi.Output`, `pulumi.ComponentResource`, `pulumi.log`... are the very same classes and functions.
//
// Why: the index loads all of those on its first `require`: 768 modules, the TypeScript compiler among them (for
// the closure serializer, which ThinResource never calls); the modules below are 188 (0.13 s against 0.76 s in a
// bare node). Measured in a no-op preview of the full node at 20 services: about 1 s less of the program's CPU. The
// provider modules use this too, but the SDK's provider host loads its runtime (compiler included) itself, so the
// host gains nothing. Tests and tools that need `runtime` (mocks) or the Automation API import @pulumi/pulumi itself.
export * from "@pulumi/pulumi/config";
export * from "@pulumi/pulumi/errors";
export * from "@pulumi/pulumi/metadata";
export * from "@pulumi/pulumi/output";
export * from "@pulumi/pulumi/resource";
export * from "@pulumi/pulumi/stackReference";
export * as log from "@pulumi/pulumi/log";
