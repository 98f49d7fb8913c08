// A Docker container as the docker provider (pulumi-docker) declares it: its type token and the input names and
// shapes of `docker:index/container:Container`, registered with pulumi.CustomResource directly. The @pulumi/docker
// npm package is not used: it declares a Pulumi plugin, which this project does not depend on. On a real node
// the docker provider plugin must be installed (`pulumi plugin install resource docker <version>`); here it is
// tested with Pulumi's mocks only.
import * as pulumi from "../shared/pulumi";

export const DOCKER_CONTAINER_TYPE = "docker:index/container:Container";

/** docker:index/ContainerMount:ContainerMount (the fields used here). */
export interface ContainerMount {
  type: "bind" | "volume" | "tmpfs";
  source?: pulumi.Input<string>;
  target: pulumi.Input<string>;
  readOnly?: pulumi.Input<boolean>;
}

/** The inputs of docker:index/container:Container that the runtime sets (the provider has many more). */
export interface DockerContainerArgs {
  name: pulumi.Input<string>;
  image: pulumi.Input<string>;
  mounts?: pulumi.Input<pulumi.Input<ContainerMount>[]>;
  /** `KEY=VALUE` strings. */
  envs?: pulumi.Input<pulumi.Input<string>[]>;
  restart?: pulumi.Input<string>;
  networksAdvanced?: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; aliases?: pulumi.Input<pulumi.Input<string>[]> }>[]>;
  hostname?: pulumi.Input<string>;
  /** `uid:gid` or a user name. */
  user?: pulumi.Input<string>;
  /** The container's root file system read-only. */
  readOnly?: pulumi.Input<boolean>;
  capabilities?: pulumi.Input<{ adds?: pulumi.Input<pulumi.Input<string>[]>; drops?: pulumi.Input<pulumi.Input<string>[]> }>;
  securityOpts?: pulumi.Input<pulumi.Input<string>[]>;
  labels?: pulumi.Input<pulumi.Input<{ label: pulumi.Input<string>; value: pulumi.Input<string> }>[]>;
  /** Keep the container running (the provider's default is true; set so the intent is in the state). */
  mustRun?: pulumi.Input<boolean>;
}

export class DockerContainer extends pulumi.CustomResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly image: pulumi.Output<string>;
  declare readonly mounts: pulumi.Output<ContainerMount[] | undefined>;
  declare readonly exitCode: pulumi.Output<number>;

  constructor(name: string, args: DockerContainerArgs, opts?: pulumi.CustomResourceOptions) {
    // exitCode is an output of the provider's: named (undefined) so the engine fills it in.
    super(DOCKER_CONTAINER_TYPE, name, { ...args, exitCode: undefined }, opts);
  }
}
