// Host convergence: components, compatibility rules, sysbox source selection.
export * from "./components";
export { evaluate, HostFacts, Policy, Verdict, DISTRO_MIN_KERNEL, networkRefusals } from "./rules";
export { Candidate, sysboxCandidates, checksumArches, sysboxFromRelease } from "./sysboxSource";
