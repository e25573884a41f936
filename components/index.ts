export * from "./config/schema";
export * from "./config/load";
export * from "./host/components";
export * as render from "./render";
