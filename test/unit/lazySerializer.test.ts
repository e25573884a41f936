// The lazy closure serializer (components/lazySerializer.ts): stand-ins for two
// SDK modules. They must export what the real modules export, serialize exactly
// as the real serializer does, keep the TypeScript compiler and arborist out of
// processes that never serialize, and stand aside when they cannot be sure.
// Each case runs in a fresh node process (a module cache of its own).
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, it } from "mocha";
import * as YAML from "yaml";
import { projectRoot } from "../helpers";
import { CHECKED_SDK_VERSION, LAZY_MODULES } from "../../components/lazySerializer";

const LAZY = path.join(projectRoot(), "dist", "components", "lazySerializer.js");

/** Runs `code` in a fresh node process in the project; returns its stdout parsed as JSON. */
function fresh(code: string, env: Record<string, string> = {}): any {
    const r = spawnSync(process.execPath, ["-e", code], {
        cwd: projectRoot(), encoding: "utf8", env: { ...process.env, CONTAINAI_LAZY_SDK: "", ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
}

// Loaded in the child: whether the expensive modules are in its require.cache.
const HEAVY = `const heavy = () => Object.keys(require.cache).filter((f) => /node_modules\\/(typescript|@npmcli\\/arborist)\\//.test(f)).length > 0;`;
// A function with a captured variable and a module: the serializer's real work.
const SERIALIZE = `const captured = { n: 42 };
const fn = async () => require("path").join(String(captured.n), "x");
const text = () => require("@pulumi/pulumi/runtime").serializeFunction(fn).then((s) => s.text);`;

describe("lazy closure serializer", () => {
    it("is checked against the SDK version the project pins", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), "package.json"), "utf8"));
        const sdk = JSON.parse(fs.readFileSync(path.join(projectRoot(), "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"));
        assert.equal(pkg.dependencies["@pulumi/pulumi"], CHECKED_SDK_VERSION,
            "a new @pulumi/pulumi: re-check LAZY_MODULES against its modules, then bump CHECKED_SDK_VERSION");
        assert.equal(sdk.version, CHECKED_SDK_VERSION);
    });

    it("each stand-in exports exactly the real module's functions", () => {
        const real = fresh(`const path = require("path"); const root = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
            const out = {};
            for (const rel of ${JSON.stringify(Object.keys(LAZY_MODULES))}) {
                const m = require(path.join(root, rel));
                out[rel] = Object.keys(m).filter((k) => typeof m[k] === "function").sort();
                out[rel + " other"] = Object.keys(m).filter((k) => typeof m[k] !== "function");
            }
            console.log(JSON.stringify(out));`);
        for (const [rel, names] of Object.entries(LAZY_MODULES)) {
            assert.deepEqual([...names].sort(), real[rel], rel);
            assert.deepEqual(real[`${rel} other`], [], `${rel} exports something other than functions`);
        }
    });

    it("the SDK runtime and @pulumi/docker load without the TypeScript compiler or arborist; they load on the first call", () => {
        const r = fresh(`${HEAVY}
            const installed = require(${JSON.stringify(LAZY)}).installLazySerializer();
            require("@pulumi/pulumi/runtime"); require("@pulumi/docker");
            const before = heavy();
            ${SERIALIZE}
            text().then((t) => console.log(JSON.stringify({ installed: installed.length, before, after: heavy(), t })));`);
        assert.equal(r.installed, Object.keys(LAZY_MODULES).length);
        assert.equal(r.before, false, "typescript or arborist loaded before anything was serialized");
        assert.equal(r.after, true, "the first call did not load the real serializer");
        assert.match(r.t, /captured/);
    });

    it("serializes exactly what the real serializer serializes", () => {
        const serialize = `${SERIALIZE} text().then((t) => console.log(JSON.stringify(t)));`;
        const lazy = fresh(`require(${JSON.stringify(LAZY)}).installLazySerializer(); ${serialize}`);
        const real = fresh(serialize);
        assert.equal(lazy, real);
    });

    it("stands aside when turned off (CONTAINAI_LAZY_SDK=0) or when the module is already loaded", () => {
        const off = fresh(`${HEAVY} const n = require(${JSON.stringify(LAZY)}).installLazySerializer().length;
            require("@pulumi/pulumi/runtime"); console.log(JSON.stringify({ n, heavy: heavy() }));`, { CONTAINAI_LAZY_SDK: "0" });
        assert.deepEqual(off, { n: 0, heavy: true });
        const loaded = fresh(`require("@pulumi/pulumi/runtime");
            console.log(JSON.stringify(require(${JSON.stringify(LAZY)}).installLazySerializer().length));`);
        assert.equal(loaded, 0);
    });

    it("Pulumi.yaml runs the dynamic provider through the project's wrapper, which serves with the stand-ins", async () => {
        const project = YAML.parse(fs.readFileSync(path.join(projectRoot(), "Pulumi.yaml"), "utf8"));
        const entry = project.plugins.providers.find((p: { name: string }) => p.name === "pulumi-nodejs");
        const wrapper = path.join(projectRoot(), entry.path, "pulumi-resource-pulumi-nodejs");
        fs.accessSync(wrapper, fs.constants.X_OK);
        // A provider plugin takes the engine's address and prints the port it serves on.
        // NODE_OPTIONS adds a probe that reports, at exit, whether typescript was loaded.
        const probe = path.join(projectRoot(), "dist", "test", "unit", "heavy-probe.js");
        const child = spawn(wrapper, ["127.0.0.1:1"], { env: { ...process.env, NODE_OPTIONS: `--require ${probe}` }, stdio: ["ignore", "pipe", "pipe"] });
        let out = "", err = "";
        child.stdout.on("data", (d) => { out += d; if (/^\d+\n/.test(out)) child.kill("SIGTERM"); });
        child.stderr.on("data", (d) => { err += d; });
        await new Promise((resolve) => child.on("exit", resolve));
        assert.match(out, /^\d+\n/, `no port printed: ${err}`);
        assert.match(err, /heavy-probe: stand-ins=2 typescript=false/);
    });
});
