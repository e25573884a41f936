// End-to-end: the release stack (SysboxRelease) with the real engine.
// - Its GitHub side previews offline through a LAB BUILD of the github
//   provider plugin (scripts/plugins.sh). No GitHub API is reachable here, so
//   nothing is written to GitHub.
// - A host stack consumes a release stack by reference (StackReference, one
//   file backend). It installs the sysbox TEST DOUBLE .deb the release names,
//   with the checksum the release's SHA256SUMS lists. A wrong checksum fails
//   the host's up before sysbox is installed.
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkoutStackFiles, DOUBLE_DIR, ensureLab, hostOk, lab, labConfig, onHost, Stack } from "./harness";
import { describe, it, before, after } from "mocha";

describe("lab e2e: sysbox release stack (host 4)", () => {
    const H = 4;
    const V = "0.7.3+testdouble";
    const esc = (t: string): string => t.replace(/[.+]/g, "\\$&");
    const stackFilesBefore = checkoutStackFiles();
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "containai-e2e-backend-"));
    const stacks: Stack[] = [];
    let gw: string;
    let deb: string;

    before(() => {
        ensureLab(H);
        lab("reset", String(H));
        lab("sysbox-double", V);
        gw = lab("serve").replace(/\/$/, "");
        deb = `sysbox-ce_${V}.linux_amd64.deb`;
        const sha = fs.readFileSync(path.join(DOUBLE_DIR, `${deb}.sha256`), "utf8").split(/\s+/)[0];
        // Two published releases of the same version, as a release workflow leaves them: one with
        // the right SHA256SUMS, one whose SHA256SUMS does not match its .deb.
        for (const [dir, sum] of [["releases-good", sha], ["releases-bad", "0".repeat(64)]]) {
            const d = path.join(DOUBLE_DIR, dir, `sysbox-v${V}`);
            fs.mkdirSync(d, { recursive: true });
            fs.copyFileSync(path.join(DOUBLE_DIR, deb), path.join(d, deb));
            fs.writeFileSync(path.join(d, "SHA256SUMS"), `${sum}  ${deb}\n`);
        }
    });
    after(() => {
        stacks.forEach((s) => s.cleanup());
        fs.rmSync(backend, { recursive: true, force: true });
    });

    it("R1. the publishing release stack previews offline through the lab github plugin: files, variable, release planned", () => {
        const s = new Stack("e2e-release-gh", { "containai:release": { repository: "sysbox-builds", sysboxRef: "v0.7.1", version: V } });
        stacks.push(s);
        delete s.env.GITHUB_TOKEN;
        const p = s.preview("--diff");
        assert.equal(p.code, 0, p.out);
        for (const r of [/\+ github:index\/repositoryFile:RepositoryFile: \(create\)[\s\S]*?file\s*: "\.github\/workflows\/build-sysbox\.yml"/,
            /file\s*: "scripts\/build-sysbox\.sh"/,
            /\+ github:index\/actionsVariable:ActionsVariable: \(create\)[\s\S]*?value\s*: "v0\.7\.1"[\s\S]*?variableName: "SYSBOX_REF"/,
            /\+ github:index\/release:Release: \(create\)[\s\S]*?tagName\s*: "sysbox-v0\.7\.3\+testdouble"/]) {
            assert.match(p.out, r);
        }
        assert.match(p.out, /containai:release\.token: not set and no GITHUB_TOKEN/);
    });

    function releaseStack(base: string): Stack {
        let s = stacks.find((x) => x.name === "e2e-release");
        const config = { "containai:release": { repository: "sysbox-builds", sysboxRef: "v0.7.1", version: V, archs: ["amd64"],
            publish: false, downloadBaseUrl: `${gw}/${base}` } };
        if (!s) {
            s = new Stack("e2e-release", config, { backend });
            stacks.push(s);
        } else {
            s.setConfig(config);
        }
        const u = s.up("--refresh");
        assert.equal(u.code, 0, u.out);
        return s;
    }

    it("R2. a wrong checksum in the release stack fails the host's up before sysbox is installed", () => {
        const rel = releaseStack("releases-bad");
        const out = JSON.parse(rel.pulumi("stack", "output", "sysbox", "--json").out);
        assert.equal(out.custom.sha256.amd64, "0".repeat(64));
        const host = new Stack("e2e-release-host", labConfig(H, {
            "containai:sysbox": { source: "release", release: { stack: "organization/containai-infra/e2e-release", fallbackToUpstream: false } },
        }), { backend });
        stacks.push(host);
        const r = host.up();
        assert.notEqual(r.code, 0);
        assert.match(r.out, new RegExp(`sha256 mismatch for ${esc(gw)}/releases-bad/sysbox-v${esc(V)}/${esc(deb)}: expected 0{64}, got [0-9a-f]{64}; nothing was installed`));
        assert.equal(onHost(H, "test -e /usr/bin/sysbox-runc").code, 1, "sysbox must not be installed");
        assert.equal(onHost(H, "dpkg -s sysbox-ce >/dev/null 2>&1").code, 1);
    });

    it("R3. fixed in the release stack, the host installs exactly the .deb and checksum the release names", () => {
        const rel = releaseStack("releases-good");
        const out = JSON.parse(rel.pulumi("stack", "output", "sysbox", "--json").out);
        const sha = fs.readFileSync(path.join(DOUBLE_DIR, `${deb}.sha256`), "utf8").split(/\s+/)[0];
        assert.deepEqual(out, { source: "custom", custom: {
            urlTemplate: `${gw}/releases-good/sysbox-v${V}/sysbox-ce_{version}.linux_{arch}.deb`, version: V, sha256: { amd64: sha },
            fallbackToUpstream: true } });
        assert.equal(JSON.parse(rel.pulumi("stack", "output", "status", "--json").out), "published");
        const host = stacks.find((x) => x.name === "e2e-release-host") as Stack;
        const r = host.up();
        assert.equal(r.code, 0, r.out);
        assert.equal(hostOk(H, "sysbox-runc --version | awk -F: '/version/ {gsub(/[ \\t]/,\"\",$2); print $2}'"), V);
        assert.equal(JSON.parse(host.pulumi("stack", "output", "sysboxVersion", "--json").out), V);
        const p = host.preview("--expect-no-changes");
        assert.equal(p.code, 0, p.out);
        assert.equal(host.destroy().code, 0);
    });

    it("R4. the release tests left no stack file in the checkout", () => {
        assert.deepEqual(checkoutStackFiles(), stackFilesBefore);
    });
});
