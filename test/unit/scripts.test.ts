import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "fs";
import * as path from "path";
import { hostScript } from "../../components/host/scripts";
import { parseKv, withEnv } from "../../components/host/remote";
import { projectRoot } from "../helpers";

/** Scripts installed on the host as files of their own (not sent with lib.sh). */
const INSTALLED = ["bridge-network.sh"];

test("every host script is strict bash and carries lib.sh when sent", () => {
    const dir = path.join(projectRoot(), "host-scripts");
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".sh"))) {
        const src = fs.readFileSync(path.join(dir, f), "utf8");
        assert.match(src, /^#!\/usr\/bin\/env bash\n/, f);
        if (INSTALLED.includes(f)) {
            assert.match(src, /^set -euo pipefail$/m, f);
        } else if (f !== "lib.sh") {
            assert.match(src, /\. "\$\(dirname "\$0"\)\/lib\.sh"/, `${f} sources lib.sh when run standalone`);
            const sent = hostScript(f);
            assert.match(sent, /set -euo pipefail/, f);
            assert.match(sent, /export CONTAINAI_LIB=1/, f);
        }
    }
});

test("withEnv survives quotes, spaces and newlines through real bash", () => {
    const env = { A: "it's \"quoted\" $HOME `x`", B: "two\nlines", C: "" };
    const out = execFileSync("bash", ["-s"], { input: withEnv(env, 'printf "%s|%s|%s" "$A" "$B" "$C"'), encoding: "utf8" });
    assert.equal(out, `${env.A}|${env.B}|`);
    assert.throws(() => withEnv({ "bad-name": "x" }, ""), /bad env name/);
});

test("probe output parsing", () => {
    assert.deepEqual(parseKv("a=1\nnoise\nb=x=y\n c=3\n"), { a: "1", b: "x=y" });
});

test("preflight probe runs read-only on this machine and prints every fact", () => {
    const out = execFileSync("bash", ["-s"], { input: hostScript("preflight-probe.sh"), encoding: "utf8" });
    const facts = parseKv(out);
    for (const k of ["os_id", "os_version", "kernel", "arch", "pid1", "disk_free_mb", "missing_tools", "apparmor"]) {
        assert.ok(k in facts, `${k} missing from ${out}`);
    }
    assert.match(facts.disk_free_mb, /^\d+$/);
});
