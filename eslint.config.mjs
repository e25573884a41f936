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
        // Plain CommonJS helpers loaded by tools (the mocha reporter).
        files: ["**/*.js"],
        languageOptions: { sourceType: "commonjs", globals: { module: "writable" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
