// The parts of the Pulumi SDK the program uses, imported from the SDK's own
// submodules. Use `import * as pulumi from "../sdk"` instead of
// "@pulumi/pulumi" (eslint enforces it in index.ts and components/).
//
// Why: the SDK's root module also loads the Automation API and, through
// runtime/index, @npmcli/arborist, pacote and sigstore: about 0.25 s of CPU
// on every run, before the first resource can be registered. (Most of that
// was the closure serializer, which now loads only when called: see
// lazySerializer.ts. The root costs ~0.03 s with it, ~0.3 s without.) The language
// host has already loaded everything below, so importing them costs nothing.
// (@pulumi/docker and @pulumi/github import the root themselves: index.ts
// loads them only for the stacks that use them, after the host's first
// resource is registered.)
export { ComponentResource, CustomResource, Resource, createUrn, mergeOptions } from "@pulumi/pulumi/resource";
export type { ComponentResourceOptions, CustomResourceOptions, ResourceOptions } from "@pulumi/pulumi/resource";
export { Output, all, interpolate, output, secret, unsecret } from "@pulumi/pulumi/output";
export type { Input, Inputs } from "@pulumi/pulumi/output";
export { Config } from "@pulumi/pulumi/config";
export { RunError } from "@pulumi/pulumi/errors";
export { getProject, getStack } from "@pulumi/pulumi/metadata";
export { StackReference } from "@pulumi/pulumi/stackReference";
export * as dynamic from "@pulumi/pulumi/dynamic";
export * as log from "@pulumi/pulumi/log";
export { allConfig } from "@pulumi/pulumi/runtime/config";
export { isDryRun } from "@pulumi/pulumi/runtime/settings";
