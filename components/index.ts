export * from "./config";
export * from "./host";
export * as render from "./render";
export * as agent from "./agent";
export * as release from "./release";
