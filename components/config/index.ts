// Stack configuration: schema and validation (pure), shared checks, loading.
export * from "./schema";
export * from "./checks";
export * from "./load";
