// End-to-end on lab host 2: the agents' backups (containai:backup, issue #24)
// with the real engine, real restic from Debian on the lab host, an agent on
// REAL sysbox (the lab build of 0.7.0), and the lab's MinIO as an S3
// repository. MinIO listens on this machine's loopback only: the test opens a
// reverse SSH tunnel into the lab host (its 127.0.0.1:19000), so the
// repository traffic never leaves this machine.
import * as assert from "node:assert/strict";
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { checkoutStackFiles, DOUBLE_DIR, ensureLab, hostOk, LAB_DIR, lab, labConfig, labPort, labS3, labSysbox, onHost, ROOT, Stack } from "./harness";
import { describe, it, before, after } from "mocha";

describe("lab e2e: agents' backups with restic to S3 (host 2, real sysbox)", () => {
    const H = 2;
    const D = "docker -H unix:///var/run/containai-docker.sock";
    const TOOL = "/usr/local/libexec/containai/containai-backup";
    const PASSWORD = `e2e-restic-${crypto.randomBytes(6).toString("hex")}`;
    const stackFilesBefore = checkoutStackFiles();
    let stack: Stack;
    let tunnel: ChildProcess | undefined;
    let s3: Record<string, string>;
    let gw = "";

    /** MinIO (this machine's 127.0.0.1:9000) at the lab host's 127.0.0.1:19000, through SSH. */
    function openTunnel(): void {
        tunnel = spawn("ssh", ["-N", "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes",
            "-o", `UserKnownHostsFile=${path.join(LAB_DIR, "known_hosts")}`, "-i", path.join(LAB_DIR, "id_ed25519"),
            "-p", String(labPort(H)), "-R", "127.0.0.1:19000:127.0.0.1:9000", "root@127.0.0.1"], { stdio: "ignore" });
        hostOk(H, "for _ in $(seq 1 120); do curl -fsS -o /dev/null http://127.0.0.1:19000/minio/health/live && exit 0; sleep 0.5; done; exit 1");
    }
    function closeTunnel(): void {
        tunnel?.kill("SIGTERM");
        tunnel = undefined;
        hostOk(H, "for _ in $(seq 1 60); do curl -fsS -o /dev/null http://127.0.0.1:19000/minio/health/live || exit 0; sleep 0.5; done; exit 1");
    }
    const secret = (p: string, v: string): void => {
        const r = stack.pulumi("config", "set", "--secret", "--path", `containai:backup.${p}`, v);
        assert.equal(r.code, 0, r.out);
    };
    /** Inside the agent, as its user. */
    const inAgent = (cmd: string): string => hostOk(H, `${D} exec -u agent keep bash -c ${JSON.stringify(cmd)}`);
    const sums = (): string => inAgent("cd ~ && sha256sum workspace/big.bin workspace/src/main.c .notes && stat -c '%U %a %n' workspace/big.bin .notes");

    before(() => {
        ensureLab(H);
        lab("reset", String(H));
        lab("agent-image");
        gw = lab("serve").replace(/\/$/, "");
        s3 = labS3();
        const bucket = /^s3:\/\/([^?]+)/.exec(s3.PULUMI_BACKEND_URL)?.[1];
        assert.ok(bucket, s3.PULUMI_BACKEND_URL);
        openTunnel();
        const archive = `${gw}/agent-images/containai-lab-agent_v1.tar`;
        const sha = fs.readFileSync(path.join(DOUBLE_DIR, "agent-images", "containai-lab-agent_v1.tar.sha256"), "utf8").split(/\s+/)[0];
        const pub = fs.readFileSync(path.join(LAB_DIR, "id_ed25519.pub"), "utf8").trim();
        stack = new Stack("e2e-backup", {
            ...labConfig(H, {
                "containai:agents": [{ name: "keep", image: "containai-lab-agent:v1", imageArchive: { url: archive, sha256: sha }, memory: "512m", authorizedKeys: [pub] }],
            }),
            "containai:sysbox": labSysbox("v0.7.0").config,
        });
        // Every part of containai:backup as a secret (the password must be; the key is one value).
        secret("repository", `s3:http://127.0.0.1:19000/${bucket}/restic-e2e-${crypto.randomBytes(4).toString("hex")}`);
        secret("password", PASSWORD);
        secret("env.AWS_ACCESS_KEY_ID", s3.AWS_ACCESS_KEY_ID);
        secret("env.AWS_SECRET_ACCESS_KEY", s3.AWS_SECRET_ACCESS_KEY);
    });
    after(() => {
        tunnel?.kill("SIGTERM");
        stack?.cleanup();
    });

    it("B1. up sets up backups: restic, the timer, the settings root's 0600; the password in no output, plan or plaintext state", () => {
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        assert.doesNotMatch(u.out, new RegExp(PASSWORD));
        assert.equal(hostOk(H, "command -v restic >/dev/null && echo installed; systemctl is-active containai-backup.timer; stat -c '%U %a' /etc/containai/backup/env"),
            "installed\nactive\nroot 600");
        const state = stack.pulumi("stack", "export");
        assert.equal(state.code, 0, state.out);
        assert.doesNotMatch(state.out, new RegExp(`${PASSWORD}|${s3.AWS_SECRET_ACCESS_KEY}`), "not in plaintext state");
        const p = stack.preview("--refresh", "--expect-no-changes", "--diff");
        assert.equal(p.code, 0, p.out);
        assert.doesNotMatch(p.out, new RegExp(PASSWORD));
        const out = stack.pulumi("stack", "output", "backups", "--show-secrets", "--json");
        assert.equal(out.code, 0, out.out);
        assert.equal((JSON.parse(out.out) as Record<string, string>)["keep.backup"], "ok");
    });

    it("B2. a scheduled run backs up workspace and home; after a bad rm -rf, a restore brings every byte back (agent stopped and started around it)", () => {
        inAgent("mkdir -p ~/workspace/src && head -c 2000000 /dev/urandom > ~/workspace/big.bin && echo 'int main(){}' > ~/workspace/src/main.c && echo notes > ~/.notes && chmod 600 ~/.notes");
        const want = sums();
        hostOk(H, "systemctl start containai-backup.service");
        assert.match(hostOk(H, "cat /var/lib/containai/backup/keep.status"), /^ok \d+ [0-9a-f]{8}$/);
        const started = hostOk(H, `${D} inspect -f '{{.State.StartedAt}}' keep`);
        inAgent("rm -rf ~/workspace/src ~/workspace/big.bin ~/.notes");
        const r = onHost(H, `${TOOL} restore keep`);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /stopping agent keep[\s\S]*starting agent keep[\s\S]*agent keep restored from latest/);
        hostOk(H, `for _ in $(seq 1 120); do ${D} exec keep test -f /home/agent/.notes && exit 0; sleep 0.5; done; exit 1`);
        assert.equal(sums(), want, "bytes, owner and mode back");
        assert.notEqual(hostOk(H, `${D} inspect -f '{{.State.StartedAt}}' keep`), started, "stopped and started around the restore");
        const p = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(p.code, 0, p.out);
    });

    it("B2b. npm run restore from the operator's machine (Automation API, the stack's SSH): one path back; a bad agent or snapshot named, nothing touched", () => {
        const restore = (...args: string[]): { code: number; out: string } => {
            const r = spawnSync("bash", [`${ROOT}/scripts/restore.sh`, "--stack", "e2e-backup", "--cwd", stack.dir, ...args],
                { env: stack.env, cwd: stack.dir, encoding: "utf8", timeout: 600_000 });
            return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
        };
        const want = sums();
        inAgent("echo damaged > ~/workspace/src/main.c");
        const started = hostOk(H, `${D} inspect -f '{{.State.StartedAt}}' keep`);
        const bad = restore("--agent", "nobody");
        assert.equal(bad.code, 2, bad.out);
        assert.match(bad.out, /stack e2e-backup has no agent nobody in containai:agents \(keep\)/);
        const none = restore("--agent", "keep", "--snapshot", "deadbeef");
        assert.equal(none.code, 1, none.out);
        assert.match(none.out, /no snapshot deadbeef of agent keep/);
        assert.equal(hostOk(H, `${D} inspect -f '{{.State.StartedAt}}' keep`), started, "nothing stopped for a snapshot that is not there");
        const r = restore("--agent", "keep", "--path", "/var/lib/containai/workspaces/keep/src");
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /restore: agent keep of stack e2e-backup from snapshot latest \(\/var\/lib\/containai\/workspaces\/keep\/src only\)/);
        assert.match(r.out, /restore: done in \d+ s/);
        assert.doesNotMatch(r.out, new RegExp(PASSWORD));
        hostOk(H, `for _ in $(seq 1 120); do ${D} exec keep test -f /home/agent/.notes && exit 0; sleep 0.5; done; exit 1`);
        assert.equal(sums(), want);
    });

    it("B3. a failed run (repository unreachable) is drift naming the agent; up backs it up again", () => {
        closeTunnel();
        assert.notEqual(onHost(H, "systemctl start containai-backup.service").code, 0, "the run fails without its repository");
        assert.match(hostOk(H, "cat /var/lib/containai/backup/keep.status"), /^failed \d+ the repository \S+ cannot be reached/);
        const audit = stack.preview("--refresh", "--expect-no-changes", "--diff");
        assert.notEqual(audit.code, 0, audit.out);
        assert.match(audit.out, /backup-restic/);
        assert.match(audit.out, /keep\.backup.*failed at/);
        openTunnel();
        const u = stack.up("--refresh");
        assert.equal(u.code, 0, u.out);
        assert.match(hostOk(H, "cat /var/lib/containai/backup/keep.status"), /^ok /);
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
    });

    it("B4. a wrong password: up fails naming containai:backup.password; the host's settings are unchanged", () => {
        const before = hostOk(H, "sha256sum /etc/containai/backup/env");
        secret("password", "not-the-password");
        const u = stack.up();
        assert.notEqual(u.code, 0, u.out);
        assert.match(u.out, /refused the password \(containai:backup\.password\)/);
        assert.match(u.out, /the backup settings on the host were not changed/);
        assert.doesNotMatch(u.out, /not-the-password/);
        assert.equal(hostOk(H, "sha256sum /etc/containai/backup/env"), before);
        secret("password", PASSWORD);
        assert.equal(stack.up().code, 0);
    });

    it("B5. destroy: timer, service, tool and settings gone; the snapshots stay in the repository", () => {
        const repo = hostOk(H, "sed -n 's/^RESTIC_REPOSITORY=//p' /etc/containai/backup/env");
        const d = stack.destroy();
        assert.equal(d.code, 0, d.out);
        assert.equal(hostOk(H, `for f in /etc/systemd/system/containai-backup.timer /etc/systemd/system/containai-backup.service ${TOOL} /etc/containai/backup; do [ ! -e $f ] || echo $f; done`), "");
        // Read back with restic itself, the credentials on its environment only.
        const n = hostOk(H, `RESTIC_REPOSITORY='${repo}' RESTIC_PASSWORD='${PASSWORD}' AWS_ACCESS_KEY_ID='${s3.AWS_ACCESS_KEY_ID}' ` +
            `AWS_SECRET_ACCESS_KEY='${s3.AWS_SECRET_ACCESS_KEY}' RESTIC_CACHE_DIR=/tmp/e2e-restic-cache restic snapshots --tag agent=keep --compact | ` +
            "grep -c '^[0-9a-f]\\{8\\} '");
        assert.ok(Number(n) >= 1, `snapshots left: ${n}`);
        assert.equal(hostOk(H, "cat /var/lib/containai/workspaces/keep/big.bin | wc -c"), "2000000", "the workspace is kept too");
    });

    it("the backup tests left no stack file in the checkout", () => {
        assert.deepEqual(checkoutStackFiles(), stackFilesBefore);
    });
});
