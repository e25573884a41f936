export * from "./config";
export * from "./host";
export * as render from "./render";
