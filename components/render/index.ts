export * from "./daemon";
export * from "./host";
export * from "./ssh";
export * from "./workflow";
