import * as assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as os from "os";
import * as fs from "fs";
import * as path from "path";
import { hostScript } from "../../components/host/scripts";
import { parseKv, withEnv } from "../../components/host/remote";
import { projectRoot } from "../helpers";
import { describe, it } from "mocha";

describe("host scripts (real bash)", () => {
    /** Scripts installed on the host as files of their own (not sent with lib.sh). */
    const INSTALLED = ["bridge-network.sh"];

    it("every host script is strict bash and carries lib.sh when sent", () => {
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

    it("withEnv survives quotes, spaces and newlines through real bash", () => {
        const env = { A: "it's \"quoted\" $HOME `x`", B: "two\nlines", C: "" };
        const out = execFileSync("bash", ["-s"], { input: withEnv(env, 'printf "%s|%s|%s" "$A" "$B" "$C"'), encoding: "utf8" });
        assert.equal(out, `${env.A}|${env.B}|`);
        assert.throws(() => withEnv({ "bad-name": "x" }, ""), /bad env name/);
    });

    it("probe output parsing", () => {
        assert.deepEqual(parseKv("a=1\nnoise\nb=x=y\n c=3\n"), { a: "1", b: "x=y" });
    });

    it("preflight probe runs read-only on this machine and prints every fact", () => {
        const out = execFileSync("bash", ["-s"], { input: hostScript("preflight-probe.sh"), encoding: "utf8" });
        const facts = parseKv(out);
        for (const k of ["os_id", "os_version", "kernel", "arch", "pid1", "disk_free_mb", "missing_tools", "apparmor"]) {
            assert.ok(k in facts, `${k} missing from ${out}`);
        }
        assert.match(facts.disk_free_mb, /^\d+$/);
    });

    /** Run bash with lib.sh loaded (as the host gets it) and a script body. */
    function withLib(body: string, env: Record<string, string> = {}): { code: number; out: string } {
        const r = spawnSync("bash", ["-s"], {
            input: `${fs.readFileSync(path.join(projectRoot(), "host-scripts", "lib.sh"), "utf8")}\n${body}`,
            encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000,
        });
        return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
    }

    it("removeDataOnDestroy: a data-root on its own filesystem is emptied, its mount point kept; a plain one removed", () => {
        // Root only (CI and the lab run as root): a private mount namespace, nothing on this machine changes.
        assert.equal(os.userInfo().uid, 0, "needs root (unshare -m)");
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-dataroot-"));
        try {
            // The function as daemon-remove.sh defines it (its only home).
            const src = fs.readFileSync(path.join(projectRoot(), "host-scripts", "daemon-remove.sh"), "utf8");
            const fn = /^remove_data_root\(\) \{[\s\S]*?^\}$/m.exec(src);
            assert.ok(fn, "remove_data_root not found in daemon-remove.sh");
            const lib = path.join(tmp, "fn.sh");
            fs.writeFileSync(lib, fn[0]);
            const r = spawnSync("unshare", ["-m", "--propagation", "private", "bash", "-c", `set -e; . "$1"; cd "$2"
                mkdir -p disk plain/sub outside && touch outside/keep
                mount -t tmpfs tmpfs disk && mkdir disk/volumes && touch disk/.hidden disk/f && ln -s ../outside disk/link && touch plain/sub/f
                remove_data_root "$2/disk"; remove_data_root "$2/plain"; remove_data_root "$2/missing"
                echo "disk: $(mountpoint -q disk && echo mounted) $(ls -A disk | wc -l)"; echo "plain: $(test -e plain && echo left || echo gone)"
                echo "outside: $(ls outside)"`, "_", lib, tmp], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stdout + r.stderr);
            assert.equal(r.stdout, "disk: mounted 0\nplain: gone\noutside: keep\n");
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("managed files are replaced atomically: a concurrent reader never sees them missing or empty", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-atomic-"));
        try {
            // 800 swaps of a file while a reader checks it as fast as it can.
            const r = withLib(`
    f=${dir}/daemon.json
    printf '{"a": 1}\\n' > "${dir}/one"; printf '{"b": 22}\\n' > "${dir}/two"
    atomic_install "${dir}/one" "$f" 0644
    ( bad=0; while [ ! -e "${dir}/stop" ]; do [ -s "$f" ] || bad=$((bad + 1)); done; echo "$bad" > "${dir}/bad" ) &
    reader=$!
    for i in $(seq 1 400); do atomic_install "${dir}/two" "$f" 0644; write_text "$f" '{"c": 3}' 0644; done
    touch "${dir}/stop"; wait "$reader"
    echo "bad=$(cat "${dir}/bad") mode=$(stat -c %a "$f") content=$(cat "$f") leftovers=$(ls -A "${dir}" | grep -c containai-tmp || true)"`);
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, /bad=0 mode=644 content=\{"c": 3\} leftovers=0/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("host scripts write managed files only through the atomic helpers", () => {
        const dir = path.join(projectRoot(), "host-scripts");
        for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".sh") && x !== "lib.sh")) {
            const src = fs.readFileSync(path.join(dir, f), "utf8");
            assert.doesNotMatch(src, /^\s*(install -m|cp -p|cp )/m, `${f} copies a file in place; use atomic_install`);
            assert.doesNotMatch(src, /write_b64/, `${f} uses the removed write_b64`);
        }
    });

    it("every apply and remove script takes the host lock first", () => {
        const dir = path.join(projectRoot(), "host-scripts");
        for (const f of fs.readdirSync(dir).filter((x) => /-(apply|remove)\.sh$/.test(x))) {
            const body = fs.readFileSync(path.join(dir, f), "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#"));
            assert.equal(body[1], "host_lock", `${f}: host_lock must come right after lib.sh is loaded`);
        }
    });

    it("host lock: a second holder waits, and gives up with a clear message when it cannot get it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-lock-"));
        try {
            const lock = path.join(dir, "containai.lock");
            const holder = spawn("flock", [lock, "sleep", "3"], { stdio: "ignore" });
            spawnSync("sleep", ["0.3"]);
            const gaveUp = withLib("host_lock; echo got-it", { CONTAINAI_LOCK: lock, CONTAINAI_LOCK_TIMEOUT: "1" });
            assert.equal(gaveUp.code, 6, gaveUp.out);
            assert.match(gaveUp.out, /WARNING: the host lock .*containai\.lock is held.*waiting up to 1s/s);
            assert.match(gaveUp.out, /ERROR: gave up after 1s waiting for the host lock .*pulumi cancel/s);
            assert.doesNotMatch(gaveUp.out, /got-it/);
            const waited = withLib("host_lock; echo got-it", { CONTAINAI_LOCK: lock, CONTAINAI_LOCK_TIMEOUT: "30" });
            assert.equal(waited.code, 0, waited.out);
            assert.match(waited.out, /got-it/);
            holder.kill();
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("redact_url hides credentials in messages", () => {
        const r = withLib(`redact_url 'https://ops:s3cr3t@mirror.example/a/b.deb'; redact_url 'http://plain.example/x'`);
        assert.equal(r.out, "https://***@mirror.example/a/b.deb\nhttp://plain.example/x\n");
    });
});
