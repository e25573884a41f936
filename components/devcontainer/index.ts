export * from "./rules";
export * from "./jsonc";
export * from "./assess";
export * from "./check";
export * from "./expand";
