// The lab toolchain's language host wrapper (scripts/toolchain/langhost):
// it must hand the project's runtime options to the old language host as
// flags, and nothing else. The whole lab suite runs through it; this checks
// what it passes, with a stand-in for the real host that records its argv.
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, it } from "mocha";
import * as YAML from "yaml";
import { ROOT } from "./harness";

describe("lab toolchain: the language host wrapper passes Pulumi.yaml's runtime options", () => {
    const envFile = spawnSync("bash", [path.join(ROOT, "scripts", "toolchain.sh")], { encoding: "utf8" }).stdout.trim().split("\n").pop() as string;
    const bin = path.dirname(envFile) + "/bin";
    const wrapper = path.join(bin, "pulumi-language-nodejs");
    const realName = fs.readdirSync(bin).find((f) => /^pulumi-language-nodejs-v\d/.test(f)) as string;

    /** Run the wrapper from `programDir` with a stand-in real host; return the argv the host got. */
    function argvFor(project: Record<string, unknown> | undefined, sub = ""): string[] {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-langhost-"));
        try {
            fs.copyFileSync(wrapper, path.join(dir, "pulumi-language-nodejs"));
            fs.chmodSync(path.join(dir, "pulumi-language-nodejs"), 0o755);
            const out = path.join(dir, "argv");
            fs.writeFileSync(path.join(dir, realName), `#!/bin/sh\nfor a in "$@"; do echo "$a"; done > ${out}\n`, { mode: 0o755 });
            const proj = path.join(dir, "proj");
            fs.mkdirSync(path.join(proj, sub), { recursive: true });
            if (project) fs.writeFileSync(path.join(proj, "Pulumi.yaml"), YAML.stringify(project));
            const r = spawnSync(path.join(dir, "pulumi-language-nodejs"), ["127.0.0.1:12345"], { cwd: path.join(proj, sub), encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            return fs.readFileSync(out, "utf8").trim().split("\n");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("the wrapper is installed beside the real host", () => {
        assert.ok(realName, `no pulumi-language-nodejs-v<version> in ${bin}`);
        assert.ok(fs.statSync(wrapper).mode & 0o111);
    });

    it("typescript: false (found from the program's directory, as the engine starts the host there) becomes -typescript=false", () => {
        const project = { name: "p", runtime: { name: "nodejs", options: { typescript: false, nodeargs: "--max-old-space-size=512" } }, main: "dist/index.js" };
        assert.deepEqual(argvFor(project, "dist"), ["-typescript=false", "-nodeargs=--max-old-space-size=512", "127.0.0.1:12345"]);
    });

    it("a project without options, or a plain `runtime: nodejs`, gets no flag: the host's defaults", () => {
        assert.deepEqual(argvFor({ name: "p", runtime: "nodejs" }), ["127.0.0.1:12345"]);
        assert.deepEqual(argvFor({ name: "p", runtime: { name: "nodejs" } }), ["127.0.0.1:12345"]);
        assert.deepEqual(argvFor(undefined), ["127.0.0.1:12345"]);
    });

    it("this project's Pulumi.yaml turns TypeScript off", () => {
        const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
        assert.equal(project.runtime.options.typescript, false);
    });
});
