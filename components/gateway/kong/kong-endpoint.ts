// The inputs every Kong resource shares: where the Admin API is, what vouches for it, and (a secret) the
// credentials it wants when it sits behind the gateway. Types and one conversion only.
import type * as pulumi from "@pulumi/pulumi";

export interface KongEndpointArgs {
  adminUrl: pulumi.Input<string>;
  adminCaPem?: pulumi.Input<string>;
  /** A secret (additionalSecretOutputs in every resource that takes it). */
  adminCredentials?: pulumi.Input<{ header: pulumi.Input<string>; value: pulumi.Input<string> }>;
  requestTimeoutSeconds: pulumi.Input<number>;
  /** The stack: the owner tag and the deterministic ids derive from it. */
  stack: pulumi.Input<string>;
}

/** The plain shape the providers receive. */
export type KongEndpointInputs = pulumi.Unwrap<KongEndpointArgs>;

export const KONG_ENDPOINT_FIELDS = ["adminUrl", "adminCaPem", "adminCredentials", "requestTimeoutSeconds", "stack"] as const;
