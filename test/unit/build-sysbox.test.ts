// scripts/build-sysbox.sh against throwaway git repositories (real git, real
// bash): ancestry of required fixes, version stamping, the fuse3 dependency,
// output names, checksums, SHA256SUMS, idempotence. The sysbox-pkgr build
// itself (Docker, privileged containers, network) is replaced by the
// script's test-only builder hook: a real sysbox build cannot run here.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, it, before, after } from "mocha";
import { projectRoot } from "../helpers";

const SCRIPT = path.join(projectRoot(), "scripts", "build-sysbox.sh");
// Submodules from local paths need file:// allowed (git >= 2.38.1); tests only.
const GIT_ENV = {
    GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "protocol.file.allow", GIT_CONFIG_VALUE_0: "always",
    GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid",
};
// Writes a stand-in .deb where sysbox-pkgr would, carrying what the build saw.
const BUILDER = "mkdir -p sysbox-pkgr/deb/build/$ARCH/ubuntu-jammy && " +
    "{ echo \"version=$(cat VERSION)\"; grep '^Depends:' sysbox-pkgr/deb/sysbox-ce/control; } " +
    "> sysbox-pkgr/deb/build/$ARCH/ubuntu-jammy/sysbox-ce_$VERSION-0.linux_$ARCH.deb";

function git(cwd: string, ...args: string[]): string {
    const r = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_ENV } });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
}

function commit(cwd: string, file: string, text: string, msg: string): string {
    fs.mkdirSync(path.dirname(path.join(cwd, file)), { recursive: true });
    fs.writeFileSync(path.join(cwd, file), text);
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", msg);
    return git(cwd, "rev-parse", "HEAD");
}

function build(args: string[], env: Record<string, string> = {}): { code: number; out: string; stdout: string } {
    const r = spawnSync("bash", [SCRIPT, ...args], {
        encoding: "utf8", env: { ...process.env, ...GIT_ENV, BUILD_SYSBOX_TEST_BUILDER: BUILDER, ...env }, timeout: 120_000,
    });
    return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout.trim() };
}

describe("scripts/build-sysbox.sh (throwaway repositories, test builder)", () => {
    let tmp = "";
    let repo = "";
    let fix = "";
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-build-sysbox-"));
        // sysbox-fs: base, the fix, a follow-up.
        const fsRepo = path.join(tmp, "sysbox-fs");
        git(tmp, "init", "-q", "-b", "main", fsRepo);
        const base = commit(fsRepo, "README", "fs\n", "base");
        fix = commit(fsRepo, "seccomp/openat2.go", "package seccomp\n", "trap openat2");
        commit(fsRepo, "seccomp/openat2.go", "package seccomp // hardened\n", "follow-up");
        // sysbox-pkgr: the packaging, depending on fuse v2.
        const pkgr = path.join(tmp, "sysbox-pkgr");
        git(tmp, "init", "-q", "-b", "main", pkgr);
        commit(pkgr, "deb/sysbox-ce/control", "Source: sysbox-ce\nDepends: jq, fuse, rsync, iptables\n", "pkgr");
        // sysbox: VERSION, both submodules. v-good pins sysbox-fs after the fix, v-bad before it.
        repo = path.join(tmp, "sysbox");
        git(tmp, "init", "-q", "-b", "main", repo);
        commit(repo, "VERSION", "0.7.1\n", "version");
        git(repo, "submodule", "add", "-q", fsRepo, "sysbox-fs");
        git(repo, "submodule", "add", "-q", pkgr, "sysbox-pkgr");
        git(repo, "commit", "-qm", "submodules");
        git(repo, "tag", "v-good");
        git(path.join(repo, "sysbox-fs"), "checkout", "-q", base);
        git(repo, "commit", "-qam", "pin sysbox-fs before the fix");
        git(repo, "tag", "v-bad");
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const dirs = (name: string): string[] => ["--work", path.join(tmp, name, "src"), "--out", path.join(tmp, name, "out")];

    it("builds a ref that carries the required fix: stamped version, fuse3, named .deb, .sha256, SHA256SUMS", () => {
        const r = build(["--repo", repo, "--ref", "v-good", "--require", `sysbox-fs:${fix}:sysbox-fs openat2 fix`,
            "--no-default-require", "--date", "20261124", "--arch", "amd64", ...dirs("good")]);
        assert.equal(r.code, 0, r.out);
        const out = path.join(tmp, "good", "out");
        const name = "sysbox-ce_0.7.1+containai.20261124.linux_amd64.deb";
        assert.equal(r.stdout, path.join(out, name));
        assert.match(r.out, /carries sysbox-fs openat2 fix \(sysbox-fs [0-9a-f]+\)/);
        const deb = fs.readFileSync(path.join(out, name), "utf8");
        assert.match(deb, /^version=0\.7\.1\+containai\.20261124$/m, "VERSION stamped before the build");
        assert.match(deb, /^Depends: jq, fuse3, rsync, iptables$/m, "the package depends on fuse3, not fuse");
        assert.deepEqual(fs.readdirSync(out).sort(), [name, `${name}.sha256`, "SHA256SUMS"].sort());
        const check = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: out, encoding: "utf8" });
        assert.equal(check.status, 0, check.stdout + check.stderr);
        assert.equal(fs.readFileSync(path.join(out, `${name}.sha256`), "utf8"), fs.readFileSync(path.join(out, "SHA256SUMS"), "utf8"));
    });

    it("refuses a ref whose pinned submodule lacks the fix, naming it; nothing is written", () => {
        const r = build(["--repo", repo, "--ref", "v-bad", "--require", `sysbox-fs:${fix}:sysbox-fs openat2 fix`,
            "--no-default-require", "--arch", "amd64", ...dirs("bad")]);
        assert.equal(r.code, 3, r.out);
        assert.match(r.out, new RegExp(`v-bad lacks required fix\\(es\\): sysbox-fs openat2 fix \\(sysbox-fs ${fix}\\): not an ancestor of sysbox-fs`));
        assert.deepEqual(fs.readdirSync(path.join(tmp, "bad", "out")), []);
    });

    it("the default requirement is the sysbox-fs openat2 fix 1302a6f (unknown in these repositories: refused)", () => {
        const r = build(["--repo", repo, "--ref", "v-good", "--arch", "amd64", ...dirs("default")]);
        assert.equal(r.code, 3, r.out);
        assert.match(r.out, /sysbox-fs openat2 fix \(sysbox-fs 1302a6f\): unknown commit in sysbox-fs's history/);
    });

    it("takes a given version and a commit as the ref; a rerun is idempotent; two arches share SHA256SUMS", () => {
        const sha = git(repo, "rev-parse", "v-good");
        const args = ["--repo", repo, "--ref", sha, "--no-default-require", "--version", "0.7.1+acme.3", ...dirs("given")];
        const a = build([...args, "--arch", "amd64"]);
        assert.equal(a.code, 0, a.out);
        const out = path.join(tmp, "given", "out");
        const first = fs.readFileSync(path.join(out, "sysbox-ce_0.7.1+acme.3.linux_amd64.deb.sha256"), "utf8");
        const again = build([...args, "--arch", "amd64"]);
        assert.equal(again.code, 0, again.out);
        assert.equal(fs.readFileSync(path.join(out, "sysbox-ce_0.7.1+acme.3.linux_amd64.deb.sha256"), "utf8"), first);
        const arm = build([...args, "--arch", "arm64"]);
        assert.equal(arm.code, 0, arm.out);
        const sums = fs.readFileSync(path.join(out, "SHA256SUMS"), "utf8").trim().split("\n");
        assert.deepEqual(sums.map((l) => l.split(/\s+/)[1]),
            ["sysbox-ce_0.7.1+acme.3.linux_amd64.deb", "sysbox-ce_0.7.1+acme.3.linux_arm64.deb"]);
        assert.equal(spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: out }).status, 0);
    });

    it("bad arguments fail before anything is fetched", () => {
        assert.match(build([]).out, /--ref is required/);
        assert.match(build(["--ref", "v1", "--arch", "riscv64"]).out, /sysbox builds amd64 and arm64 only/);
        assert.match(build(["--ref", "v1", "--version", "latest"]).out, /is not a version like 0\.7\.1/);
        assert.match(build(["--ref", "v1", "--builder", "docker"]).out, /--builder docker: use pkgr or go/);
    });

    it("lab substitutions and patches: go builder only, and never under a release-looking version", () => {
        const patch = path.join(tmp, "x.patch");
        fs.writeFileSync(patch, "");
        // The release path (sysbox-pkgr) takes sysbox's pins as they are.
        for (const extra of [["--substitute", "sysbox-mgr=aaeff6c"], ["--patch", `sysbox-runc:${patch}`], ["--submodule-url", "sysbox-fs=/m"]]) {
            const r = build(["--ref", "v1", ...extra, ...dirs("lab-refused")]);
            assert.equal(r.code, 2, r.out);
            assert.match(r.out, /need --builder go \(the release build takes sysbox's pins as they are\)/);
        }
        const v = build(["--ref", "v1", "--builder", "go", "--substitute", "sysbox-mgr=aaeff6c", "--version", "0.7.0+containai.1", ...dirs("lab-refused")]);
        assert.equal(v.code, 2, v.out);
        assert.match(v.out, /a lab build; its version must carry \+lab/);
        const p = build(["--ref", "v1", "--builder", "go", "--patch", "sysbox-runc:/nonexistent.patch", ...dirs("lab-refused")]);
        assert.equal(p.code, 2, p.out);
        assert.match(p.out, /--patch sysbox-runc:\/nonexistent\.patch: expected SUB:FILE with FILE a readable patch/);
        // A pin for tidy: MOD@VERSION, and only where a substituted module is tidied.
        const g = build(["--ref", "v1", "--builder", "go", "--substitute", "sysbox-mgr=aaeff6c", "--go-require", "github.com/Azure/go-ansiterm", ...dirs("lab-refused")]);
        assert.equal(g.code, 2, g.out);
        assert.match(g.out, /--go-require github\.com\/Azure\/go-ansiterm: expected MOD@VERSION/);
        const n = build(["--ref", "v1", "--builder", "go", "--go-require", "github.com/Azure/go-ansiterm@v0.0.0-20230124172434-306776ec8161", ...dirs("lab-refused")]);
        assert.equal(n.code, 2, n.out);
        assert.match(n.out, /only a substituted module is tidied; add --substitute or drop --go-require/);
        assert.equal(fs.existsSync(path.join(tmp, "lab-refused")), false, "nothing written");
    });

    it("the release workflow passes no lab option to the script", () => {
        const wf = fs.readFileSync(path.join(projectRoot(), "test", "snapshots", "build-sysbox.yml"), "utf8");
        assert.match(wf, /scripts\/build-sysbox\.sh --ref/);
        assert.doesNotMatch(wf, /--substitute|--patch|--go-require|--submodule-url|--builder go/);
    });
});
