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
    // Files of their own, not sent with lib.sh: on the host, or in an agent image built from a devcontainer.json.
    const INSTALLED = ["bridge-network.sh", "rootfs-guard.sh", "secrets-watch.sh", "backup.sh", "devcontainer-setup.sh", "devcontainer-lifecycle.sh"];

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

    describe("rootfs guard: an agent's upper layer left ID-shifted by an unclean stop (real chown, as root)", () => {
        const guard = path.join(projectRoot(), "host-scripts", "rootfs-guard.sh");
        function run(tmp: string, ...args: string[]): { code: number; out: string } {
            const r = spawnSync("bash", [guard, ...args], {
                encoding: "utf8", env: { ...process.env, CONTAINAI_SUBUID: path.join(tmp, "subuid"), CONTAINAI_SUBGID: path.join(tmp, "subgid") },
            });
            return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
        }
        function tree(dir: string): string {
            return execFileSync("find", [dir, "-printf", "%P %U:%G %m %y\n"], { encoding: "utf8" }).split("\n").filter(Boolean).sort().join("\n");
        }
        function withTmp(fn: (tmp: string, up: string) => void): void {
            assert.equal(os.userInfo().uid, 0, "needs root (chown)");
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-guard-"));
            try {
                fs.writeFileSync(path.join(tmp, "subuid"), "other:200000:65536\nsysbox:100000:65536\n");
                fs.writeFileSync(path.join(tmp, "subgid"), "sysbox:100000:65536\n");
                const up = path.join(tmp, "diff");
                fn(tmp, up);
            } finally {
                fs.rmSync(tmp, { recursive: true, force: true });
            }
        }
        /** An upper layer as sysbox leaves it after an unclean stop: shifted up by 100000. */
        function shifted(up: string): void {
            execFileSync("bash", ["-c", `set -e; cd "$1"
                mkdir -p etc usr/bin home/agent
                touch etc/shadow usr/bin/sudo home/agent/notes etc/copied-up etc/foreign
                ln -s /etc/shadow etc/link; ln etc/shadow etc/hard
                chown 100000:100000 . etc usr usr/bin; chown 100000:100042 etc/shadow; chmod 640 etc/shadow
                chown 100000:100000 usr/bin/sudo; chmod 4755 usr/bin/sudo
                chown 101000:101000 home home/agent home/agent/notes; chown -h 100000:100000 etc/link
                chown 0:42 etc/copied-up; chown 300000:5 etc/foreign`, "_", up]);
        }

        it("repair shifts back only the IDs in the sysbox range, keeps set-user-ID bits, changes symlinks themselves", () => withTmp((tmp, up) => {
            fs.mkdirSync(up);
            shifted(up);
            const r = run(tmp, "repair", up);
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, /repaired .*diff \(\d+ entries\): IDs 100000:100000\.\. shifted back/);
            assert.equal(tree(up), [
                " 0:0 755 d", "etc 0:0 755 d", "etc/copied-up 0:42 644 f", "etc/foreign 300000:5 644 f", "etc/hard 0:42 640 f",
                "etc/link 0:0 777 l", "etc/shadow 0:42 640 f", "home 1000:1000 755 d", "home/agent 1000:1000 755 d",
                "home/agent/notes 1000:1000 644 f", "usr 0:0 755 d", "usr/bin 0:0 755 d", "usr/bin/sudo 0:0 4755 f",
            ].join("\n"));
            // Idempotent: a repaired (or clean) layer is left alone.
            const again = run(tmp, "repair", up);
            assert.equal(again.code, 0, again.out);
            assert.equal(again.out, "");
        }));

        it("repair refuses an upper layer owned outside the sysbox range, and one that is mounted", () => withTmp((tmp, up) => {
            fs.mkdirSync(up);
            execFileSync("chown", ["300000:300000", up]);
            const r = run(tmp, "repair", up);
            assert.equal(r.code, 3, r.out);
            assert.match(r.out, /owned by 300000:300000, outside the sysbox ID ranges .*left as it is/);
            assert.equal(fs.statSync(up).uid, 300000);
            // Mounted as an overlay's upper layer (a running container): never touched.
            execFileSync("chown", ["100000:100000", up]);
            const m = spawnSync("unshare", ["-m", "--propagation", "private", "bash", "-c", `set -e; cd "$1"; mkdir lower work merged
                mount -t overlay overlay -o "lowerdir=$1/lower,upperdir=$1/diff,workdir=$1/work" merged
                CONTAINAI_SUBUID=subuid CONTAINAI_SUBGID=subgid bash "$2" repair "$1/diff"`, "_", tmp, guard], { encoding: "utf8" });
            assert.equal(m.status, 3, m.stdout + m.stderr);
            assert.match(m.stderr, /diff is in use \(a running container\); stop it first/);
            assert.equal(fs.statSync(up).uid, 100000);
        }));

        it("boot repairs only this project's stopped sysbox-runc containers of the data-root", () => withTmp((tmp, up) => {
            const root = path.join(tmp, "data");
            const mk = (id: string, runtime: string, managedBy: string, mount: string): string => {
                const c = path.join(root, "containers", id);
                fs.mkdirSync(c, { recursive: true });
                fs.writeFileSync(path.join(c, "hostconfig.json"), JSON.stringify({ Runtime: runtime }));
                fs.writeFileSync(path.join(c, "config.v2.json"), JSON.stringify({ Driver: "overlay2", Config: { Labels: { "containai.managed-by": managedBy } } }));
                fs.mkdirSync(path.join(root, "image", "overlay2", "layerdb", "mounts", id), { recursive: true });
                fs.writeFileSync(path.join(root, "image", "overlay2", "layerdb", "mounts", id, "mount-id"), mount);
                const d = path.join(root, "overlay2", mount, "diff");
                fs.mkdirSync(d, { recursive: true });
                execFileSync("chown", ["100000:100000", d]);
                return d;
            };
            const ours = mk("a".repeat(64), "sysbox-runc", "containai-infra", "m1");
            const runc = mk("b".repeat(64), "runc", "containai-infra", "m2");
            const theirs = mk("c".repeat(64), "sysbox-runc", "someone-else", "m3");
            void up;
            const r = run(tmp, "boot", root, "containai-infra");
            assert.equal(r.code, 0, r.out);
            assert.equal(fs.statSync(ours).uid, 0, r.out);
            assert.equal(fs.statSync(runc).uid, 100000, "not sysbox: untouched");
            assert.equal(fs.statSync(theirs).uid, 100000, "not ours: untouched");
        }));

        it("check: a process in a user namespace whose root files are not mapped is reported; one without a user namespace is ok", () => withTmp((tmp) => {
            assert.equal(run(tmp, "check", String(process.pid)).out.trim(), "ok");
            // A user namespace mapping 0 to 100000 (written from here, as root), over this machine's (unmapped) root filesystem.
            const child = spawn("unshare", ["--user", "sleep", "60"], { stdio: "ignore" });
            try {
                const own = fs.readlinkSync("/proc/self/ns/user");
                for (let i = 0; i < 100; i++) {
                    let ns = own;
                    try { ns = fs.readlinkSync(`/proc/${child.pid}/ns/user`); } catch { /* not started yet */ }
                    if (ns !== own && fs.readFileSync(`/proc/${child.pid}/cmdline`, "utf8").startsWith("sleep")) break;
                    execFileSync("sleep", ["0.1"]);
                }
                fs.writeFileSync(`/proc/${child.pid}/uid_map`, "0 100000 65536\n");
                const r = run(tmp, "check", String(child.pid));
                assert.equal(r.code, 0, r.out);
                assert.match(r.out, /^unmapped: \/usr is owned by host uid 0, outside the container's 100000\.\.165535/);
            } finally {
                child.kill();
            }
        }));
    });

    it("containerd carry-over: a tree lands in an empty volume directory whole (owners, modes, hard links, xattrs, overlay whiteouts), or not at all", () => {
        assert.equal(os.userInfo().uid, 0, "needs root (mknod, chown, trusted.* xattrs)");
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-carry-"));
        try {
            // The function as agents-prepare-apply.sh defines it (its only home).
            const src = fs.readFileSync(path.join(projectRoot(), "host-scripts", "agents-prepare-apply.sh"), "utf8");
            const fn = /^copy_tree\(\) \{[\s\S]*?^\}$/m.exec(src);
            assert.ok(fn, "copy_tree not found in agents-prepare-apply.sh");
            fs.writeFileSync(path.join(tmp, "fn.sh"), fn[0]);
            const r = spawnSync("bash", ["-c", `set -euo pipefail; . "$1/fn.sh"; cd "$1"
                mkdir -p src/io.containerd.metadata.v1.bolt src/snaps/1/fs/etc vol/_data
                echo meta > src/io.containerd.metadata.v1.bolt/meta.db; chown 0:42 src/io.containerd.metadata.v1.bolt/meta.db
                echo layer > src/snaps/1/fs/etc/f; ln src/snaps/1/fs/etc/f src/snaps/1/fs/etc/hard; chmod 4750 src/snaps/1/fs/etc/f
                mknod src/snaps/1/fs/etc/gone c 0 0
                python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' src/snaps/1/fs/etc
                chmod 0711 src
                copy_tree "$1/src" "$1/vol/_data" --exclude=./snaps
                find vol -printf '%P %U:%G %m %y %n\\n' | sort
                mkdir vol2 && copy_tree "$1/src/snaps" "$1/vol2"
                find vol2 -printf '%P %U:%G %m %y %n\\n' | sort
                python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' vol2/1/fs/etc
                ls vol | tr '\\n' ' '; echo
                # A copy that fails (here: its source is gone) leaves the volume directory as it was, and no stage behind.
                mkdir -p vol3/_data; touch vol3/_data/.keep; rm vol3/_data/.keep
                if copy_tree "$1/missing" "$1/vol3/_data" 2>/dev/null; then echo copied; else echo "failed: $(ls -A vol3 | tr '\\n' ' ')"; fi`, "_", tmp],
                { encoding: "utf8" });
            assert.equal(r.status, 0, r.stdout + r.stderr);
            assert.equal(r.stdout, [
                " 0:0 755 d 3", "_data 0:0 711 d 3", "_data/io.containerd.metadata.v1.bolt 0:0 755 d 2",
                "_data/io.containerd.metadata.v1.bolt/meta.db 0:42 644 f 1",
                " 0:0 755 d 3", "1 0:0 755 d 3", "1/fs 0:0 755 d 3", "1/fs/etc 0:0 755 d 2", "1/fs/etc/f 0:0 4750 f 2",
                "1/fs/etc/gone 0:0 644 c 1", "1/fs/etc/hard 0:0 4750 f 2",
                "y", "_data ", "failed: _data ",
            ].join("\n") + "\n");
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
