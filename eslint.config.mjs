import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["dist/", "node_modules/", ".pulumi-state/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { globals: { require: "readonly", process: "readonly", __dirname: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly" } },
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        // The program's modules take the SDK through components/sdk.ts: the
        // root module loads the Automation API (~0.25 s on every run).
        // @pulumi/docker and @pulumi/github load it too: index.ts imports
        // them late, only for the stacks that use them.
        files: ["index.ts", "components/**/*.ts"],
        ignores: ["components/agent/**", "components/release/**"],
        rules: {
            "no-restricted-imports": ["error", {
                paths: [
                    { name: "@pulumi/pulumi", message: "import from components/sdk (the SDK root loads the Automation API on every run)" },
                    { name: "@pulumi/docker", message: "only components/agent uses it; index.ts loads that module late" },
                    { name: "@pulumi/github", message: "only components/release uses it; index.ts loads that module late" },
                ],
            }],
        },
    },
    {
        files: ["components/agent/**/*.ts", "components/release/**/*.ts"],
        rules: {
            "no-restricted-imports": ["error", {
                paths: [{ name: "@pulumi/pulumi", message: "import from components/sdk (the SDK root loads the Automation API on every run)" }],
            }],
        },
    },
    {
        // Plain CommonJS helpers loaded by tools (the mocha reporter).
        files: ["**/*.js"],
        languageOptions: { sourceType: "commonjs", globals: { module: "writable" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
