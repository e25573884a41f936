// The build's serialized dynamic providers (dist/components/closures.json):
// they must be what the SDK's serializer makes of the code being run, and a
// stale file must never be used.
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, it } from "mocha";
import { projectRoot } from "../helpers";
import { CLOSURES_FILE, ClosuresFile, closuresKey, namedProviders } from "../../components/dynamic";
import "../../components/closures";

/** Load a serialized provider the way the dynamic-provider host does (module text, then handler()). */
function deserialize(text: string): Record<string, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Module = require("module");
    const m = new Module(path.join(projectRoot(), "closure.js"));
    m.filename = path.join(projectRoot(), "closure.js");
    m.paths = Module._nodeModulePaths(projectRoot());
    m._compile(text, m.filename);
    return m.exports.handler();
}

describe("build-time provider closures", () => {
    const built = JSON.parse(fs.readFileSync(CLOSURES_FILE, "utf8")) as ClosuresFile;

    it("the build wrote every dynamic provider of the program, keyed by the code that is loaded", () => {
        assert.deepEqual(Object.keys(built.providers).sort(), [...namedProviders().keys()].sort());
        assert.deepEqual(Object.keys(built.providers).sort(), ["agent-host-key", "github-token-scope", "health",
            "host-state", "operator-ssh-config", "preflight", "release-checksums", "ssh-ports"]);
        assert.equal(built.key, closuresKey());
    });

    it("a fresh serialization of the loaded code gives the stored file byte for byte", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-closures-"));
        try {
            const file = path.join(dir, "closures.json");
            const r = spawnSync(process.execPath, [path.join(path.dirname(CLOSURES_FILE), "closures.js"), file], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(fs.readFileSync(file, "utf8"), fs.readFileSync(CLOSURES_FILE, "utf8"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("each stored text loads as the dynamic-provider host loads it, into a provider with the loaded one's methods", () => {
        for (const [name, provider] of namedProviders()) {
            const loaded = deserialize(built.providers[name]);
            assert.deepEqual(Object.keys(loaded).sort(), Object.keys(provider).sort(), name);
            for (const k of Object.keys(provider)) {
                // The method's body, as the loaded code has it, is in the stored text.
                const src = String((provider as unknown as Record<string, unknown>)[k]);
                assert.ok(built.providers[name].includes(src.slice(src.indexOf("{"))), `${name}.${k}: body not in the stored text`);
                assert.equal(typeof loaded[k], "function", `${name}.${k}`);
            }
        }
    });

    it("the key moves with any change to the compiled components (so a plain tsc build serializes at run time)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-closures-"));
        try {
            fs.cpSync(path.dirname(CLOSURES_FILE), dir, { recursive: true });
            assert.equal(closuresKey(dir), built.key, "a byte-identical copy has the same key");
            fs.appendFileSync(path.join(dir, "host", "remote.js"), "\n// edited\n");
            assert.notEqual(closuresKey(dir), built.key);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
