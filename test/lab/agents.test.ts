// End-to-end: agent system containers on a lab host, created by the real
// Pulumi engine through a LAB BUILD of the docker provider plugin
// (scripts/plugins.sh: the upstream Terraform provider wrapped by
// pulumi-terraform-bridge; the official plugin cannot be downloaded here) and
// reached with the real OpenSSH client through the generated SSH config.
//
// Runtime: the lab's sysbox-runc TEST DOUBLE (runc plus what systemd needs),
// so systemd runs as PID 1 and sshd answers, but nothing here runs real
// sysbox, and Docker-in-Docker is NOT tested (the lab agent image has no
// Docker inside). Every scenario asserts on the host and over real SSH.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkoutStackFiles, DOUBLE_DIR, ensureLab, hostOk, LAB_DIR, lab, labConfig, labPort, onHost, previousProgram, Result, ROOT, Stack } from "./harness";
import { describe, it, before, after } from "mocha";

describe("lab e2e: agents (host 3)", () => {
    const H = 3;
    const D = "docker -H unix:///var/run/containai-docker.sock";
    const STACK = "e2e-agents";
    /**
     * The last commit with the per-agent layout (a host step, an image, two
     * docker.Volume resources and a run step per agent): A0 upgrades from it.
     */
    const PER_AGENT_LAYOUT = "f1e790e00aed551b76de13d1df07228563847b40";
    let previous: string | undefined;
    const TRACE = /^\s+at .+\(.+:\d+:\d+\)$|problems: \[|\[Error\]/m;
    const stackFilesBefore = checkoutStackFiles();
    let stack: Stack;
    let sshDir: string;
    let gw: string;
    const pub = fs.readFileSync(path.join(LAB_DIR, "id_ed25519.pub"), "utf8").trim();
    const archive = (v: string): { url: string; sha256: string } => ({
        url: `${gw}/agent-images/containai-lab-agent_${v}.tar`,
        sha256: fs.readFileSync(path.join(DOUBLE_DIR, "agent-images", `containai-lab-agent_${v}.tar.sha256`), "utf8").split(/\s+/)[0],
    });
    const agent = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
        name, image: "containai-lab-agent:v1", imageArchive: archive("v1"), memory: "512m", authorizedKeys: [pub], ...extra,
    });
    let agents: Record<string, unknown>[];
    const config = (): Record<string, unknown> => labConfig(H, {
        "containai:agents": agents,
        "containai:operator": { sshConfig: true, sshDir },
    });

    /** Real OpenSSH with the generated config (ssh -F <sshDir>/config, which Includes ours). */
    function ssh(alias: string, cmd: string, ...opts: string[]): Result {
        const r = spawnSync("ssh", ["-F", path.join(sshDir, "config"), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", ...opts, alias, cmd],
            { encoding: "utf8", timeout: 60_000 });
        return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    }
    function sshOk(alias: string, cmd: string, ...opts: string[]): string {
        const r = ssh(alias, cmd, ...opts);
        assert.equal(r.code, 0, `ssh ${alias} ${cmd}: ${r.out}`);
        return r.out.trim();
    }
    const inspect = (name: string, fmt: string): string => hostOk(H, `${D} inspect -f '${fmt}' ${name}`);
    const access = (): Record<string, { sshPort: number; hostKey: string; alias: string }> => {
        const r = stack.pulumi("stack", "output", "agentAccess", "--json");
        assert.equal(r.code, 0, r.out);
        return Object.fromEntries((JSON.parse(r.out) as { name: string; sshPort: number; hostKey: string; alias: string }[])
            .map((a) => [a.name, a]));
    };
    const alias = (name: string): string => `${STACK}-${name}`;
    /** The daemon's containers (name, ID, status without its age). */
    const containers = (): string => hostOk(H, `${D} ps -a --format '{{.Names}} {{.ID}} {{.Status}}' | sort`).replace(/Up .*/g, "Up");
    /** Runs f with `list` as the agents' config, then puts the config back. */
    function withAgents(list: Record<string, unknown>[], f: () => void): void {
        const saved = agents;
        agents = list;
        stack.setConfig(config());
        try {
            f();
        } finally {
            agents = saved;
            stack.setConfig(config());
        }
    }

    before(() => {
        ensureLab(H);
        lab("reset", String(H));
        lab("agent-image");
        gw = lab("serve").replace(/\/$/, "");
        sshDir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-e2e-ssh-"));
        // The operator's own ~/.ssh/config, with a block the Include must not end up in.
        fs.writeFileSync(path.join(sshDir, "config"), "# operator's own settings\nHost other.example\n  User someone\n", { mode: 0o600 });
        // Something else on the host already listens on 2300, the first port of the range.
        hostOk(H, "systemd-run --unit=lab-busy-2300 /usr/sbin/sshd -D -p 2300 -o PidFile=none >/dev/null 2>&1; " +
            "for _ in $(seq 1 20); do ss -Htln | grep -q ':2300 ' && exit 0; sleep 0.5; done; exit 1");
        agents = [agent("alpha"), agent("beta")];
        stack = new Stack(STACK, config());
    });
    after(() => {
        stack?.cleanup();
        if (previous) fs.rmSync(previous, { recursive: true, force: true });
        if (sshDir) fs.rmSync(sshDir, { recursive: true, force: true });
    });

    it("A0. an upgrade from the per-agent layout: no container re-created or restarted, volumes and their data kept, then no drift", () => {
        previous = previousProgram(PER_AGENT_LAYOUT);
        stack.useProgram(previous);
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        // The per-agent layout really was deployed: the volumes are docker.Volume resources in state.
        const exported = stack.pulumi("stack", "export");
        assert.equal(exported.code, 0, exported.out);
        assert.match(exported.out, /docker:index\/volume:Volume::agents-alpha-home/);
        assert.match(exported.out, /pulumi-nodejs:dynamic:Resource::agents-beta-running/);
        const before = { alpha: inspect("alpha", "{{.Id}} {{.State.StartedAt}}"), beta: inspect("beta", "{{.Id}} {{.State.StartedAt}}") };
        sshOk(alias("alpha"), "echo old-home > ~/old.txt; echo old-ws > ~/workspace/old.txt");
        stack.useProgram(ROOT);
        const p = stack.preview();
        assert.equal(p.code, 0, p.out);
        assert.doesNotMatch(p.out, /replace/);
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        assert.doesNotMatch(u.out, /replace/);
        assert.deepEqual({ alpha: inspect("alpha", "{{.Id}} {{.State.StartedAt}}"), beta: inspect("beta", "{{.Id}} {{.State.StartedAt}}") }, before,
            "the same containers, not restarted");
        assert.equal(hostOk(H, `${D} volume ls -q | grep '^containai-' | sort | tr '\\n' ' '`),
            "containai-alpha-docker containai-alpha-home containai-beta-docker containai-beta-home");
        assert.equal(sshOk(alias("alpha"), "cat ~/old.txt ~/workspace/old.txt"), "old-home\nold-ws");
        const after = stack.pulumi("stack", "export");
        assert.doesNotMatch(after.out, /docker:index\/volume:Volume|agents-alpha-running|agents-alpha-host"/);
        const q = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(q.code, 0, q.out);
    });

    it("A1. two agents: `ssh <alias>` into each through the generated config as the agent user; key only; port 2300 skipped", () => {
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        const acc = access();
        // auto: deterministic, skipping the port in use on the host.
        assert.equal(acc.alpha.sshPort, 2301);
        assert.equal(acc.beta.sshPort, 2302);
        for (const name of ["alpha", "beta"]) {
            assert.equal(sshOk(alias(name), "id -un; hostname; cat /proc/1/comm"), `agent\n${name}\nsystemd`);
            // On the host: sysbox-runc (the lab double), limits, labels; sshd published on loopback only.
            assert.equal(inspect(name, "{{.HostConfig.Runtime}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuQuota}}"),
                `sysbox-runc ${512 * 1024 * 1024} ${512 * 1024 * 1024} 100000`);
            assert.equal(inspect(name, "{{.Config.StopSignal}} {{.Config.StopTimeout}} {{.HostConfig.RestartPolicy.Name}}"),
                "SIGRTMIN+3 100 unless-stopped");
            assert.equal(inspect(name, '{{index .Config.Labels "containai.agent"}} {{index .Config.Labels "containai.ssh-port"}} ' +
                '{{index .Config.Labels "containai.managed-by"}} {{index .Config.Labels "containai.stack"}}'),
                `${name} ${acc[name].sshPort} containai-infra ${STACK}`);
            assert.equal(hostOk(H, `ss -Htln | awk '{print $4}' | grep -c ':${acc[name].sshPort}$'`), "1");
            assert.equal(hostOk(H, `ss -Htln | awk '{print $4}' | grep ':${acc[name].sshPort}$'`), `127.0.0.1:${acc[name].sshPort}`);
        }
        // Password login is refused although the image's agent user has a password.
        const pw = ssh(alias("alpha"), "true", "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive");
        assert.notEqual(pw.code, 0);
        assert.match(pw.out, /Permission denied \(publickey\)/);
        // The workspace is the host directory, owned by the agent user.
        sshOk(alias("alpha"), "echo from-alpha > ~/workspace/hello.txt");
        assert.equal(hostOk(H, "stat -c '%u %a' /var/lib/containai/workspaces/alpha; cat /var/lib/containai/workspaces/alpha/hello.txt"),
            "1000 750\nfrom-alpha");
    });

    it("A2. the SSH config: pinned host keys known before the first connection, Include placed once, files 0600, same text as the output", () => {
        const dir = path.join(sshDir, "containai.d");
        assert.equal((fs.statSync(dir).mode & 0o777).toString(8), "700");
        for (const f of [`${STACK}.conf`, `${STACK}.known_hosts`]) assert.equal((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8), "600");
        const main = fs.readFileSync(path.join(sshDir, "config"), "utf8");
        assert.equal(main, `# operator's own settings\nInclude ${sshDir}/containai.d/*.conf\n\nHost other.example\n  User someone\n`);
        const conf = fs.readFileSync(path.join(dir, `${STACK}.conf`), "utf8");
        const out = stack.pulumi("stack", "output", "sshConfig");
        assert.equal(out.out.trim(), conf.trim());
        const known = fs.readFileSync(path.join(dir, `${STACK}.known_hosts`), "utf8");
        const acc = access();
        assert.match(known, new RegExp(`^${alias("alpha")} ${acc.alpha.hostKey.replace(/[+/]/g, "\\$&")}$`, "m"));
        // The generated host keys are secrets in state: not in a plain export, present when decrypted.
        const plain = stack.pulumi("stack", "export");
        assert.equal(plain.code, 0, plain.out);
        assert.doesNotMatch(plain.out, /OPENSSH PRIVATE KEY/);
        assert.match(stack.pulumi("stack", "export", "--show-secrets").out, /OPENSSH PRIVATE KEY/);
        // The key the agent's sshd presents is the generated one: nothing else is accepted (StrictHostKeyChecking yes).
        assert.equal(hostOk(H, `ssh-keyscan -t ed25519 -p ${acc.alpha.sshPort} 127.0.0.1 2>/dev/null | awk '{print $2" "$3}'`), acc.alpha.hostKey);
        // Agent forwarding and tunnels work through it: an ssh-agent's key is visible inside, and a
        // connection tunneled through alpha reaches alpha's own sshd (-W, TCP forwarding).
        const agentEnv = spawnSync("ssh-agent", ["-s"], { encoding: "utf8" }).stdout;
        const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agentEnv)?.[1] as string;
        const pid = /SSH_AGENT_PID=(\d+);/.exec(agentEnv)?.[1] as string;
        try {
            const env = { ...process.env, SSH_AUTH_SOCK: sock };
            assert.equal(spawnSync("ssh-add", [path.join(LAB_DIR, "id_ed25519")], { env, encoding: "utf8" }).status, 0);
            const fwd = spawnSync("ssh", ["-F", path.join(sshDir, "config"), "-A", "-o", "BatchMode=yes", alias("alpha"), "ssh-add -l"],
                { env, encoding: "utf8", timeout: 60_000 });
            assert.equal(fwd.status, 0, `${fwd.stdout}${fwd.stderr}`);
            assert.match(fwd.stdout, /ED25519/);
        } finally {
            process.kill(Number(pid));
        }
        assert.equal(sshOk(alias("alpha"), "hostname", "-o", `ProxyJump=${alias("alpha")}`, "-o", `HostKeyAlias=${alias("alpha")}`,
            "-o", "HostName=127.0.0.1", "-o", "Port=22"), "alpha");
    });

    it("A3. no-op: preview and preview --refresh report no changes", () => {
        const p = stack.preview("--expect-no-changes");
        assert.equal(p.code, 0, p.out);
        const q = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(q.code, 0, q.out);
    });

    it("A3c. sshd allows the docker provider's sessions: our drop-in (MaxSessions 128), and 16 sessions at once on one OpenSSH master connection", () => {
        assert.equal(hostOk(H, "sshd -T | awk '$1 == \"maxsessions\" {print $2}'"), "128");
        assert.match(hostOk(H, "cat /etc/ssh/sshd_config.d/containai-infra.conf"), /^# Managed by containai-infra[^]*\nMaxSessions 128$/);
        // The way the provider reaches the daemon: one master connection, a session per API call.
        const ctl = path.join(sshDir, "ctl-a3c");
        const base = ["-p", String(labPort(H)), "-i", path.join(LAB_DIR, "id_ed25519"), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-S", ctl];
        const m = spawnSync("ssh", [...base, "-M", "-o", "ControlPersist=20", "-N", "-f", "root@127.0.0.1"], { encoding: "utf8", timeout: 30_000 });
        assert.equal(m.status, 0, `${m.stdout}${m.stderr}`);
        try {
            const script = Array.from({ length: 16 }, (_, i) =>
                `ssh ${base.map((a) => `'${a}'`).join(" ")} root@127.0.0.1 'sleep 2; echo s${i}' > '${ctl}.${i}' 2>&1 & `).join("") + "wait";
            spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 60_000 });
            for (let i = 0; i < 16; i++) {
                assert.equal(fs.readFileSync(`${ctl}.${i}`, "utf8").trim(), `s${i}`, `session ${i} on the shared connection`);
            }
        } finally {
            spawnSync("ssh", [...base, "-O", "exit", "root@127.0.0.1"], { encoding: "utf8", timeout: 30_000 });
        }
    });

    it("A3b. the policy pack passes on the converged stack and refuses a program that breaks the guardrails", () => {
        const pack = path.join(ROOT, "policy");
        const ok = stack.preview("--expect-no-changes", "--policy-pack", pack);
        assert.equal(ok.code, 0, ok.out);
        assert.match(ok.out, /containai-guardrails@v0\.1\.0/);
        assert.doesNotMatch(ok.out, /\[(mandatory|advisory)\]/, "every policy ran and passed");
        // A hand-written program in the same engine: a privileged runc container with the host's docker socket.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-e2e-policy-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bad-agent\nruntime: nodejs\nmain: index.js\n");
            fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
            fs.writeFileSync(path.join(dir, "index.js"), `const docker = require("@pulumi/docker");
const p = new docker.Provider("d", { host: "ssh://nobody@127.0.0.1:1/var/run/x.sock", sshOpts: ["-o", "StrictHostKeyChecking=no"], disableDockerDaemonCheck: true });
new docker.Container("bad", { name: "bad", image: "x:1", privileged: true, runtime: "runc", memory: 256, memorySwap: 256, cpuQuota: 50000,
    labels: [{ label: "containai.managed-by", value: "containai-infra" }],
    mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }] }, { provider: p });
`);
            const env = { ...stack.env, PULUMI_BACKEND_URL: `file://${dir}` };
            assert.equal(spawnSync("pulumi", ["stack", "init", "bad", "--non-interactive"], { cwd: dir, env, encoding: "utf8" }).status, 0);
            const r = spawnSync("pulumi", ["preview", "--non-interactive", "--stack", "bad", "--policy-pack", pack], { cwd: dir, env, encoding: "utf8" });
            const out = `${r.stdout}${r.stderr}`;
            assert.notEqual(r.status, 0, out);
            for (const re of [/\[mandatory\]\s+agents-run-sysbox/, /\[mandatory\]\s+agents-unprivileged/, /\[mandatory\]\s+agents-no-host-runtime-mounts/,
                /\[mandatory\]\s+ssh-host-keys-pinned/, /bad mounts the host's \/var\/run\/docker\.sock/]) {
                assert.match(out, re);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("A4. a memory change updates the running container in place (same ID, not restarted)", () => {
        const id = inspect("alpha", "{{.Id}}");
        const started = inspect("alpha", "{{.State.StartedAt}}");
        agents = [agent("alpha", { memory: "768m" }), agent("beta")];
        stack.setConfig(config());
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        assert.doesNotMatch(r.out, /replace/);
        assert.equal(inspect("alpha", "{{.Id}} {{.State.StartedAt}}"), `${id} ${started}`);
        assert.equal(inspect("alpha", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}"), `${768 * 1024 * 1024} ${768 * 1024 * 1024}`);
    });

    it("A4b. adding an agent: preview already knows every port (no replacement shown); up creates it on the next free port, the others untouched; removing it keeps its data", () => {
        const others = (): Record<string, string> => ({
            alpha: inspect("alpha", "{{.Id}} {{.State.StartedAt}}"), beta: inspect("beta", "{{.Id}} {{.State.StartedAt}}"),
        });
        const before = others();
        withAgents([...agents, agent("gamma")], () => {
            const p = stack.preview();
            assert.equal(p.code, 0, p.out);
            assert.doesNotMatch(p.out, /replace/);
            assert.match(p.out, /\+ +.*agents-gamma-container +create/);
            const u = stack.up();
            assert.equal(u.code, 0, u.out);
            assert.doesNotMatch(u.out, /replace/);
            // 2300 is busy, alpha and beta keep 2301 and 2302.
            assert.deepEqual(Object.fromEntries(Object.entries(access()).map(([n, a]) => [n, a.sshPort])), { alpha: 2301, beta: 2302, gamma: 2303 });
            sshOk(alias("gamma"), "echo g-home > ~/g.txt; echo g-ws > ~/workspace/g.txt");
            assert.deepEqual(others(), before, "alpha and beta: same containers, not restarted");
        });
        const p = stack.preview();
        assert.equal(p.code, 0, p.out);
        assert.doesNotMatch(p.out, /replace/);
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        assert.equal(hostOk(H, `${D} ps -a --format '{{.Names}}' | sort | tr '\\n' ' '`), "alpha beta");
        assert.deepEqual(others(), before);
        // The removed agent's data stays on the host.
        assert.equal(hostOk(H, "cat /var/lib/containai-docker/volumes/containai-gamma-home/_data/g.txt /var/lib/containai/workspaces/gamma/g.txt"),
            "g-home\ng-ws");
        hostOk(H, `${D} volume rm containai-gamma-home containai-gamma-docker >/dev/null && rm -rf /var/lib/containai/workspaces/gamma`);
        const q = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(q.code, 0, q.out);
    });

    it("A4c. a fixed SSH port something else listens on is refused before anything changes, naming the agent's key", () => {
        const before = containers();
        withAgents([...agents, agent("gamma", { sshPort: 2300 })], () => {
            for (const r of [stack.preview(), stack.up()]) {
                assert.notEqual(r.code, 0, r.out);
                assert.match(r.out, /containai:agents\[2\]\.sshPort: 2300 is already in use on the host \(something listens on it\); pick another port or "auto"/);
                assert.doesNotMatch(r.out, TRACE);
            }
        });
        assert.equal(containers(), before);
        assert.equal(hostOk(H, `${D} volume ls -q | grep -c '^containai-gamma' || true`), "0", "no volume of the refused agent");
    });

    it("A5. an image upgrade replaces the container; workspace, data volume and host key survive (ssh connects, pinned)", () => {
        const id = inspect("alpha", "{{.Id}}");
        sshOk(alias("alpha"), "echo ws > ~/workspace/w.txt; echo home > ~/data.txt; sudo sh -c 'echo inner > /var/lib/docker/marker'");
        const known = fs.readFileSync(path.join(sshDir, "containai.d", `${STACK}.known_hosts`), "utf8");
        agents = [agent("alpha", { memory: "768m", image: "containai-lab-agent:v2", imageArchive: archive("v2") }), agent("beta")];
        stack.setConfig(config());
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /agents-alpha-container.*replaced/);
        assert.notEqual(inspect("alpha", "{{.Id}}"), id);
        assert.equal(fs.readFileSync(path.join(sshDir, "containai.d", `${STACK}.known_hosts`), "utf8"), known, "known_hosts unchanged");
        // StrictHostKeyChecking yes with the unchanged known_hosts: no "REMOTE HOST IDENTIFICATION HAS CHANGED".
        assert.equal(sshOk(alias("alpha"), "cat /etc/containai-lab-agent ~/workspace/w.txt ~/data.txt /var/lib/docker/marker"),
            "containai-lab-agent v2\nws\nhome\ninner");
    });

    it("A6. an agent stopped by hand, then removed by hand: preview fails naming it, preview --refresh reports it, up restores it", () => {
        const id = inspect("beta", "{{.Id}}");
        hostOk(H, `${D} stop -t 5 beta >/dev/null`);
        const p = stack.preview();
        assert.notEqual(p.code, 0);
        assert.match(p.out, /agent\.beta container is not running \(stopped by hand\?\).*pulumi up --refresh/);
        stack.driftReportedThenRestored(/agents-containai-docker-running/, "a stopped agent was not reported");
        assert.equal(inspect("beta", "{{.Id}} {{.State.Running}}"), `${id} true`, "the same container, started again");
        assert.equal(sshOk(alias("beta"), "hostname"), "beta");
        hostOk(H, `${D} rm -f beta >/dev/null`);
        stack.driftReportedThenRestored(/agents-beta-container/, "a removed agent was not reported");
        assert.equal(inspect("beta", "{{.State.Running}}"), "true");
        assert.equal(sshOk(alias("beta"), "hostname"), "beta");
        const q = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(q.code, 0, q.out);
    });

    it("A6b. an agent's sshd swapped to another host key (container untouched): preview --refresh fails naming it, then passes once it is back; also when its sshd allows only the post-quantum exchange", () => {
        // Nothing the refresh reads changes here (same container, running), so
        // the health check takes the probe its own refresh read started: this
        // proves that result still carries the failure.
        const key = "/etc/ssh/containai_host_ed25519_key";
        hostOk(H, `${D} exec alpha sh -c 'cp ${key} /root/pinned.key && rm -f /root/other.key /root/other.key.pub && ` +
            `ssh-keygen -q -t ed25519 -N "" -f /root/other.key && cp /root/other.key ${key} && systemctl restart ssh'`);
        try {
            const p = stack.preview("--refresh");
            assert.notEqual(p.code, 0, p.out);
            assert.match(p.out, /agent\.alpha sshd on 127\.0\.0\.1:\d+ presents another host key than the pinned one/);
            assert.doesNotMatch(p.out, TRACE);
        } finally {
            hostOk(H, `${D} exec alpha sh -c 'cp /root/pinned.key ${key} && systemctl restart ssh'`);
        }
        const q = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(q.code, 0, q.out);
        assert.equal(sshOk(alias("alpha"), "hostname"), "alpha");
        // An sshd that allows only the post-quantum key exchange: the check's
        // ssh (curve25519) cannot agree on one and falls back to ssh-keyscan.
        const kex = "/etc/ssh/sshd_config.d/zz-lab-kex.conf";
        hostOk(H, `${D} exec alpha sh -c 'echo KexAlgorithms sntrup761x25519-sha512@openssh.com > ${kex} && systemctl restart ssh'`);
        try {
            assert.match(hostOk(H, `ssh -F /dev/null -o BatchMode=yes -o KexAlgorithms=curve25519-sha256 -o StrictHostKeyChecking=yes ` +
                `-o UserKnownHostsFile=/dev/null -p ${access().alpha.sshPort} x@127.0.0.1 true 2>&1 || true`), /no matching key exchange method/);
            const r = stack.preview("--refresh", "--expect-no-changes");
            assert.equal(r.code, 0, r.out);
        } finally {
            hostOk(H, `${D} exec alpha sh -c 'rm -f ${kex} && systemctl restart ssh'`);
        }
    });

    it("A6c. the health check asks inside an agent whose PATH holds a docker CLI (the lab image has none: it is looked up from the host)", () => {
        // A stand-in docker CLI that leaves a marker: the check's `docker info` ran inside.
        hostOk(H, `${D} exec alpha sh -c 'rm -f /tmp/inner-docker-ran; printf "#!/bin/sh\\ntouch /tmp/inner-docker-ran\\n" > /usr/local/bin/docker && chmod 0755 /usr/local/bin/docker'`);
        try {
            const p = stack.preview("--expect-no-changes");
            assert.equal(p.code, 0, p.out);
            assert.equal(hostOk(H, `${D} exec alpha sh -c 'test -e /tmp/inner-docker-ran && echo ran || echo skipped'`), "ran");
        } finally {
            hostOk(H, `${D} exec alpha rm -f /usr/local/bin/docker /tmp/inner-docker-ran`);
        }
    });

    it("A7. a hand edit of the SSH config is drift, put back by up; a second container on an agent's inner-docker volume is refused", () => {
        const conf = path.join(sshDir, "containai.d", `${STACK}.conf`);
        const good = fs.readFileSync(conf, "utf8");
        fs.appendFileSync(conf, "Host hand-edit\n  User x\n");
        stack.driftReportedThenRestored(/operator-ssh/, "a hand edit of the SSH config was not reported");
        assert.equal(fs.readFileSync(conf, "utf8"), good);
        hostOk(H, `${D} run -d --name intruder --entrypoint /bin/sleep -v containai-beta-docker:/x containai-lab-agent:v1 infinity >/dev/null`);
        try {
            const r = stack.up("--refresh");
            assert.notEqual(r.code, 0);
            assert.match(r.out, /inner-Docker volume containai-beta-docker of agent beta is mounted by other container\(s\): intruder/);
        } finally {
            hostOk(H, `${D} rm -f intruder >/dev/null`);
        }
        const u = stack.up("--refresh");
        assert.equal(u.code, 0, u.out);
    });

    it("A8. guardrail configs are refused at validation, naming the agent's key and the fix; the host is untouched", () => {
        const before = containers();
        withAgents([agents[0], agent("beta", {
            mounts: [{ source: "/var/run/docker.sock", target: "/var/run/docker.sock" }],
            privileged: true, networkMode: "host", sysctls: { "kernel.pid_max": "1000" },
        })], () => {
            const r = stack.up();
            assert.notEqual(r.code, 0);
            assert.match(r.out, /containai:agents\[1\]\.mounts\[0\]\.source: "\/var\/run\/docker\.sock" is refused.*built-in Docker-in-Docker/);
            assert.match(r.out, /containai:agents\[1\]\.privileged: privileged agents are refused/);
            assert.match(r.out, /containai:agents\[1\]\.networkMode: host namespaces are refused/);
            assert.match(r.out, /containai:agents\[1\]\.sysctls\.kernel\.pid_max: kernel\.\* sysctls are refused/);
            assert.match(r.out, /nothing was changed on the host/);
            assert.doesNotMatch(r.out, TRACE);
        });
        // Up to the second: same containers, same state.
        assert.equal(containers(), before);
    });

    it("A9. destroy: containers gone, volumes and workspaces kept, SSH config entries gone; a new up re-attaches the data", () => {
        const r = stack.destroy();
        assert.equal(r.code, 0, r.out);
        assert.equal(hostOk(H, "ls /var/lib/containai-docker/containers | wc -l"), "0", "no container left");
        assert.equal(hostOk(H, "test -e /etc/ssh/sshd_config.d/containai-infra.conf && echo kept || echo gone"), "gone", "our sshd drop-in removed");
        assert.equal(hostOk(H, "sshd -T | awk '$1 == \"maxsessions\" {print $2}'"), "10", "sshd back to its default");
        assert.equal(hostOk(H, "ls /var/lib/containai-docker/volumes | grep -c '^containai-'"), "4", "four agent volumes kept");
        assert.equal(hostOk(H, "cat /var/lib/containai-docker/volumes/containai-alpha-home/_data/data.txt"), "home");
        assert.equal(hostOk(H, "cat /var/lib/containai/workspaces/alpha/w.txt"), "ws");
        assert.deepEqual(fs.readdirSync(path.join(sshDir, "containai.d")), []);
        // The operator's own config is left as it was (the Include line matches nothing now).
        assert.match(fs.readFileSync(path.join(sshDir, "config"), "utf8"), /Host other\.example\n {2}User someone\n/);
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        assert.equal(sshOk(alias("alpha"), "cat ~/data.txt ~/workspace/w.txt /var/lib/docker/marker"), "home\nws\ninner");
        assert.equal(onHost(H, "systemctl stop lab-busy-2300").code, 0);
    });

    it("A10. the agents tests left no stack file in the checkout", () => {
        assert.deepEqual(checkoutStackFiles(), stackFilesBefore);
    });
});
