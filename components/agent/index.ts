// Agent system containers and what they share on a host.
export * from "./agent";
export * from "./ports";
export * from "./providers";
export * from "./hostkeys";
