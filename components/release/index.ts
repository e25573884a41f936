// The sysbox release pipeline as code (SysboxRelease) and its helpers.
export * from "./checksums";
export * from "./http";
export * from "./release";
export * from "./scope";
