// End-to-end: agent system containers on a lab host, created by the real
// Pulumi engine through a LAB BUILD of the docker provider plugin
// (scripts/plugins.sh: the upstream Terraform provider wrapped by
// pulumi-terraform-bridge; the official plugin cannot be downloaded here) and
// reached with the real OpenSSH client through the generated SSH config.
//
// Runtime: REAL sysbox, the lab build of 0.7.0 (lab/sysbox-lab), installed
// by the program's custom-release path: agents run in a user namespace with
// ID-mapped volumes and workspace. This file's agent image has no Docker
// inside; Docker-in-Docker is tested in sysbox.test.ts. Every scenario
// asserts on the host and over real SSH.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as net from "net";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkoutStackFiles, DOUBLE_DIR, ensureLab, hostOk, LAB_DIR, lab, labConfig, labPort, labSysbox, onHost, previousProgram, Result, ROOT, Stack } from "./harness";
import { BROKEN_HOSTKEY, BROKEN_HOSTKEY_PUB } from "../helpers";
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
    const OPERATOR_CONFIG = "# operator's own settings\nHost other.example\n  User someone\n\nHost *\n  ProxyJump 127.0.0.1:1\n";
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
    let sysbox: Record<string, unknown>;
    const config = (): Record<string, unknown> => ({
        ...labConfig(H, {
            "containai:agents": agents,
            "containai:operator": { sshConfig: true, sshDir },
        }),
        "containai:sysbox": sysbox,
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

    /** withAgents for an async body. */
    async function withAgentsAsync(list: Record<string, unknown>[], f: () => Promise<void>): Promise<void> {
        const saved = agents;
        agents = list;
        stack.setConfig(config());
        try {
            await f();
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
        sysbox = labSysbox("v0.7.0").config;
        sshDir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-e2e-ssh-"));
        // The operator's own ~/.ssh/config, with a block the Include must not end up in. (A0 adds
        // a `Host *` ProxyJump once the current program runs: the old one has no ProxyJump none.)
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

    /** Remove an agent's data by hand (a test cleans up an agent it added): its four volumes (data layout 2) and workspace. */
    const forgetAgent = (name: string): void => {
        const volumes = ["home", "docker", "containerd", "snapshots"].map((v) => `containai-${name}-${v}`).join(" ");
        hostOk(H, `${D} volume rm ${volumes} >/dev/null && rm -rf /var/lib/containai/workspaces/${name}`);
    };

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
        const containers = (): Record<string, string> =>
            ({ alpha: inspect("alpha", "{{.Id}} {{.State.StartedAt}}"), beta: inspect("beta", "{{.Id}} {{.State.StartedAt}}") });
        const before = containers();
        sshOk(alias("alpha"), "echo old-home > ~/old.txt; echo old-ws > ~/workspace/old.txt");
        stack.useProgram(ROOT);
        // From here on the operator's config ends with a `Host *` ProxyJump (to a closed local
        // port): it must reroute none of our entries (ours say ProxyJump themselves).
        fs.appendFileSync(path.join(sshDir, "config"), OPERATOR_CONFIG.slice(OPERATOR_CONFIG.indexOf("\nHost *")));
        stack.upReplacingNothing(containers, before);
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
        assert.equal(main, `# operator's own settings\nInclude ${sshDir}/containai.d/*.conf\n\nHost other.example\n  User someone\n\nHost *\n  ProxyJump 127.0.0.1:1\n`);
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
        forgetAgent("gamma");
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

    it("bind sources are checked on the host: a symlink or a path others can swap is refused naming the key, before any container; authorizedKeys options work verbatim", () => {
        const before = containers();
        hostOk(H, `rm -rf /srv/e2e && mkdir -p /srv/e2e/data /srv/e2e/open/x && echo shared > /srv/e2e/data/f && chmod 777 /srv/e2e/open
    ln -s /var/run/containai-docker.sock /srv/e2e/innocent`);
        const delta = (mounts: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown>[] =>
            [...agents, agent("delta", { mounts, ...extra })];
        const refusedOnHost = (source: string, reason: RegExp): void => withAgents(delta([{ source, target: "/data" }]), () => {
            const r = stack.up();
            assert.notEqual(r.code, 0, r.out);
            assert.match(r.out, new RegExp(`containai:agents\\[2\\]\\.mounts\\[0\\]\\.source: "${source}" is refused on the host: ${reason.source}`));
            assert.doesNotMatch(r.out, TRACE);
            assert.equal(containers(), before, "no container created or changed");
            assert.equal(hostOk(H, `${D} volume ls -q | grep -c delta || true`), "0", "no volume created for the refused agent");
        });
        // To the isolated daemon's own socket: root inside could drive that daemon.
        refusedOnHost("/srv/e2e/innocent", /\/srv\/e2e\/innocent is a symlink \(to \/var\/run\/containai-docker\.sock\)/);
        refusedOnHost("/srv/e2e/open/x", /\/srv\/e2e\/open is writable by others \(mode 777\)/);
        refusedOnHost("/srv/e2e/missing", /\/srv\/e2e\/missing does not exist on the host/);
        // A real directory is mounted; a key with OpenSSH options is kept verbatim (restrict: no forwarding).
        withAgents(delta([{ source: "/srv/e2e/data", target: "/data", readOnly: true }], { authorizedKeys: [`restrict ${pub}`] }), () => {
            const r = stack.up();
            assert.equal(r.code, 0, r.out);
            assert.equal(sshOk(alias("delta"), "cat /data/f"), "shared");
            assert.equal(hostOk(H, `${D} exec delta cat /etc/ssh/containai_authorized_keys`), `restrict ${pub}`);
            const fwd = ssh(alias("delta"), "true", "-W", "127.0.0.1:22");
            assert.notEqual(fwd.code, 0, "restrict forbids forwarding");
            assert.match(fwd.out, /administratively prohibited/);
            // Swapped for a symlink by hand after the check: drift, and up refuses it (the container is left as it was).
            const id = inspect("delta", "{{.Id}}");
            hostOk(H, "mv /srv/e2e/data /srv/e2e/data.real && ln -s /var/run/containai-docker.sock /srv/e2e/data");
            const p = stack.driftReportedThenRestoredFails();
            assert.match(p.audit.out, /agents-containai-docker-prepare/);
            assert.match(p.up.out, /containai:agents\[2\]\.mounts\[0\]\.source: "\/srv\/e2e\/data" is refused on the host: \/srv\/e2e\/data is a symlink/);
            assert.equal(inspect("delta", "{{.Id}}"), id);
            hostOk(H, "rm /srv/e2e/data && mv /srv/e2e/data.real /srv/e2e/data");
            const u = stack.up("--refresh");
            assert.equal(u.code, 0, u.out);
        });
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        forgetAgent("delta");
        hostOk(H, "rm -rf /srv/e2e");
        assert.equal(containers(), before);
    });

    it("egress: agents reach neither cloud metadata, private ranges nor the host; allow-listed and public addresses work through NAT; a removed rule is drift, put back without restarting anything", () => {
        // Every probed address lives in a network namespace INSIDE lab host 3 (a veth away), routed
        // there by /32 routes: a missing rule can only ever reach the lab host itself.
        const FAR = ["169.254.169.254", "169.254.170.2", "100.100.100.200", "10.213.77.1", "10.213.77.2", "172.20.77.1", "192.168.77.1", "198.51.100.7"];
        hostOk(H, `ip netns del e2e-far 2>/dev/null || true; ip link del e2e-near 2>/dev/null || true
    ip netns add e2e-far
    ip link add e2e-near type veth peer name e2e-far netns e2e-far
    ip addr add 192.0.2.1/30 dev e2e-near && ip link set e2e-near up
    ip netns exec e2e-far ip addr add 192.0.2.2/30 dev e2e-far
    ip netns exec e2e-far ip link set e2e-far up && ip netns exec e2e-far ip link set lo up
    for a in ${FAR.join(" ")}; do ip netns exec e2e-far ip addr add $a/32 dev lo; ip route replace $a/32 via 192.0.2.2 dev e2e-near; done
    systemctl stop e2e-far-sshd e2e-host-sshd 2>/dev/null || true
    systemd-run --unit=e2e-far-sshd ip netns exec e2e-far /usr/sbin/sshd -D -p 8080 -o PidFile=none >/dev/null 2>&1
    systemd-run --unit=e2e-host-sshd /usr/sbin/sshd -D -p 8081 -o PidFile=none >/dev/null 2>&1
    for _ in $(seq 1 20); do ip netns exec e2e-far ss -Htln | grep -q ':8080 ' && ss -Htln | grep -q ':8081 ' && exit 0; sleep 0.5; done; exit 1`);
        // Before any probe: each address is assigned in the namespace and the lab host routes it there
        // (no default route in the namespace: only a masqueraded source can get a reply).
        const assigned = hostOk(H, "ip netns exec e2e-far ip -4 -o addr show dev lo | awk '{print $4}'");
        for (const a of FAR) {
            assert.match(assigned, new RegExp(`^${a.replace(/\./g, "\\.")}/32$`, "m"), `${a} is assigned inside lab host ${H}`);
            assert.match(hostOk(H, `ip route get ${a}`), /via 192\.0\.2\.2 dev e2e-near/, `lab host ${H} routes ${a} to its own namespace`);
        }
        assert.equal(hostOk(H, "ip netns exec e2e-far ip route show default | wc -l"), "0");
        const hostAddr = hostOk(H, "ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1");
        const probe = (targets: string[]): Record<string, string> => {
            // In parallel inside the agent; "open" only when the far end's sshd banner was read back.
            const out = sshOk(alias("alpha"), targets.map((t) => `(if [ "$(timeout 3 bash -c 'exec 3<>/dev/tcp/${t.replace(":", "/")} && head -c 7 <&3' 2>/dev/null)" = SSH-2.0 ]; ` +
                `then echo "${t} open"; else echo "${t} closed"; fi) &`).join(" ") + " wait");
            return Object.fromEntries(out.split("\n").map((l) => l.split(" ")));
        };
        const dockerd = (): string => hostOk(H, "systemctl show -p MainPID --value containai-docker.service");
        const pid = dockerd();
        const started = inspect("alpha", "{{.State.StartedAt}}");
        const all = [...FAR.map((a) => `${a}:8080`), `${hostAddr}:8081`, "172.30.0.1:8081"];
        const want = (open: string[]): Record<string, string> => Object.fromEntries(all.map((t) => [t, open.includes(t) ? "open" : "closed"]));
        // Only the public (documentation-range) address answers, through the host's NAT.
        assert.deepEqual(probe(all), want(["198.51.100.7:8080"]));
        // An allow-list entry opens exactly that address and port; the daemon and the agents keep running.
        const withAllow = (): Record<string, unknown> => ({ ...config(), "containai:daemons": [{ egress: { allow: [{ cidr: "10.213.77.1", ports: [8080] }] } }] });
        stack.setConfig(withAllow());
        try {
            const u = stack.up();
            assert.equal(u.code, 0, u.out);
            assert.deepEqual(probe(all), want(["198.51.100.7:8080", "10.213.77.1:8080"]));
            // A deleted rule is drift; up puts it back without restarting dockerd or the agent.
            hostOk(H, "iptables -t mangle -D CAI-cai0-EGR -d 169.254.0.0/16 -j DROP");
            assert.equal(probe(["169.254.169.254:8080"])["169.254.169.254:8080"], "open", "the test can see a missing rule");
            stack.driftReportedThenRestored(/host-containai-docker-instance +update/);
            assert.equal(probe(["169.254.169.254:8080"])["169.254.169.254:8080"], "closed");
        } finally {
            stack.setConfig(config());
        }
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        assert.deepEqual(probe(all), want(["198.51.100.7:8080"]));
        assert.equal(dockerd(), pid, "dockerd was not restarted by any of it");
        assert.equal(inspect("alpha", "{{.State.StartedAt}}"), started, "the agent was not restarted");
        hostOk(H, "systemctl stop e2e-far-sshd e2e-host-sshd 2>/dev/null || true; ip netns del e2e-far; ip link del e2e-near 2>/dev/null || true");
    });

    it("secrets: files in the agent's /run/secrets (agent user, 0400), never in docker inspect, state or output; updated in place; back after a restart; plaintext refused", () => {
        const VALUE = "e2e-s3cr3t-value-1", VALUE2 = "e2e-s3cr3t-value-2", PLAIN = "e2e-plaintext-value";
        let id = inspect("alpha", "{{.Id}} {{.State.StartedAt}}");
        // Plaintext config: refused, naming the key, never echoing the value.
        withAgents([agent("alpha", { secrets: { GH_TOKEN: PLAIN } }), agents[1]], () => {
            const r = stack.up();
            assert.notEqual(r.code, 0, r.out);
            assert.match(r.out, /containai:agents\[0\]\.secrets: GH_TOKEN in plaintext config: secrets are refused unless stored as Pulumi secrets/);
            assert.doesNotMatch(r.out, new RegExp(PLAIN));
            assert.doesNotMatch(r.out, TRACE);
        });
        const setSecret = (v: string): void => {
            const r = stack.pulumi("config", "set", "--secret", "--path", "containai:agents[0].secrets.GH_TOKEN", v);
            assert.equal(r.code, 0, r.out);
        };
        try {
            setSecret(VALUE);
            const u = stack.up();
            assert.equal(u.code, 0, u.out);
            assert.doesNotMatch(u.out, new RegExp(VALUE));
            assert.equal(sshOk(alias("alpha"), "cat /run/secrets/GH_TOKEN; echo; stat -c '%U %a' /run/secrets/GH_TOKEN; findmnt -no FSTYPE -T /run/secrets"),
                `${VALUE}\nagent 400\ntmpfs`);
            assert.equal(inspect("alpha", "{{.Id}} {{.State.StartedAt}}"), id, "delivered into the running container");
            assert.doesNotMatch(hostOk(H, `${D} inspect alpha`), new RegExp(VALUE), "not in docker inspect");
            const exported = stack.pulumi("stack", "export");
            assert.equal(exported.code, 0, exported.out);
            assert.doesNotMatch(exported.out, new RegExp(`${VALUE}|${Buffer.from(VALUE).toString("base64")}`), "not in state unencrypted");
            // A new value is written in place: same container, not restarted; the plan never shows it.
            setSecret(VALUE2);
            const p = stack.preview("--diff");
            assert.equal(p.code, 0, p.out);
            assert.match(p.out, /agents-containai-docker-secrets/);
            assert.doesNotMatch(p.out, new RegExp(`${VALUE}|${VALUE2}|${Buffer.from(VALUE2).toString("base64")}`));
            const u2 = stack.up();
            assert.equal(u2.code, 0, u2.out);
            assert.equal(sshOk(alias("alpha"), "cat /run/secrets/GH_TOKEN"), VALUE2);
            assert.equal(inspect("alpha", "{{.Id}} {{.State.StartedAt}}"), id);
            // The host's copy is root's, 0600, in memory; the daemon's secrets watcher runs.
            assert.equal(hostOk(H, "stat -c '%U %a' /run/containai/secrets/containai-docker; findmnt -no FSTYPE -T /run/containai/secrets; " +
                "systemctl is-active containai-docker-secrets.service"), "root 600\ntmpfs\nactive");
            // A restart empties the agent's /run: the watcher puts the file back, with no Pulumi run.
            hostOk(H, `${D} restart alpha >/dev/null`);
            hostOk(H, `${D} exec alpha timeout 120 systemctl is-system-running --wait >/dev/null || true
                for _ in $(seq 1 240); do ${D} exec alpha test -f /run/secrets/GH_TOKEN && break; sleep 0.5; done`);
            assert.equal(hostOk(H, `${D} exec alpha sh -c 'cat /run/secrets/GH_TOKEN; echo; stat -c "%U %a" /run/secrets/GH_TOKEN'`), `${VALUE2}\nagent 400`);
            assert.notEqual(inspect("alpha", "{{.Id}} {{.State.StartedAt}}"), id, "the container was restarted");
            id = inspect("alpha", "{{.Id}} {{.State.StartedAt}}");
            const restarted = stack.preview("--refresh", "--expect-no-changes");
            assert.equal(restarted.code, 0, restarted.out);
            // Removed inside the agent: drift; up puts it back.
            hostOk(H, `${D} exec alpha rm /run/secrets/GH_TOKEN`);
            const audit = stack.driftReportedThenRestored(/agents-containai-docker-secrets/);
            assert.doesNotMatch(audit.out, new RegExp(VALUE2));
            assert.equal(sshOk(alias("alpha"), "cat /run/secrets/GH_TOKEN"), VALUE2);
        } finally {
            stack.setConfig(config());
        }
        // No secrets configured any more: the file goes, the container stays.
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        assert.equal(sshOk(alias("alpha"), "ls -A /run/secrets 2>/dev/null | wc -l"), "0");
        assert.equal(inspect("alpha", "{{.Id}} {{.State.StartedAt}}"), id);
        assert.equal(hostOk(H, "for f in /run/containai/secrets/containai-docker /etc/systemd/system/containai-docker-secrets.service " +
            "/usr/local/libexec/containai/containai-docker-secrets-watch; do [ ! -e $f ] || echo $f; done"), "", "the watcher and the host's copy are gone");
    });

    it("a long HOME (/home/firstname.lastname): the docker provider's control sockets still fit, nothing is replaced", () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-home-firstname.lastname-"));
        try {
            assert.ok(path.join(home, ".cache", "containai-infra", "ssh").length > 45, "long enough to break a socket path under the cache");
            const env = { HOME: home, CONTAINAI_CACHE: "" };
            const u = stack.pulumiWith(env, "up", "--yes", "--skip-preview");
            assert.equal(u.code, 0, u.out);
            assert.doesNotMatch(u.out, /replace|too long for Unix domain socket/);
            // The refresh reads every container through the provider as configured by that up.
            const p = stack.pulumiWith(env, "preview", "--refresh");
            assert.equal(p.code, 0, p.out);
            assert.doesNotMatch(p.out, /replace|too long for Unix domain socket/);
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
        }
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        const q = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(q.code, 0, q.out);
    });

    it("a stack holding a host key OpenSSH cannot load (as ssh2 made 1 in ~300): preview shows it replaced; up gives beta a new key, its sshd starts, ssh connects pinned; its data kept", () => {
        // The broken key put into state, as a stack made before the key check holds it.
        const exported = stack.pulumi("stack", "export", "--show-secrets");
        assert.equal(exported.code, 0, exported.out);
        const state = JSON.parse(exported.out) as { deployment: { resources: { urn: string; outputs?: Record<string, unknown> }[] } };
        const res = state.deployment.resources.find((r) => r.urn.endsWith("::agents-beta-hostkey"));
        assert.ok(res?.outputs, "beta's host key resource in state");
        const old = res.outputs.publicKey as string;
        res.outputs.privateKey = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(BROKEN_HOSTKEY) };
        res.outputs.publicKey = BROKEN_HOSTKEY_PUB;
        const file = path.join(stack.dir, "broken-key-state.json");
        fs.writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
        const imported = stack.pulumi("stack", "import", "--file", file);
        fs.rmSync(file);
        assert.equal(imported.code, 0, imported.out);
        hostOk(H, `${D} exec beta sh -c 'echo kept > /home/agent/key-test.txt'`);
        const p = stack.preview();
        assert.equal(p.code, 0, p.out);
        assert.match(p.out, /\+-\s+\S+\s+agents-beta-hostkey\s+replace/);
        assert.doesNotMatch(p.out, /agents-alpha-hostkey/, "alpha's sound key is left alone");
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        const now = access().beta.hostKey;
        assert.notEqual(now, old.split(/\s+/).slice(0, 2).join(" "), "a new key");
        assert.notEqual(now, BROKEN_HOSTKEY_PUB);
        assert.equal(sshOk(alias("beta"), "cat ~/key-test.txt"), "kept", "ssh with StrictHostKeyChecking against the new pinned key; home kept");
        // A new key records the current data layout: the re-created container keeps inner containerd on volumes too.
        assert.match(hostOk(H, `${D} inspect -f '{{range .Mounts}}{{.Name}} {{end}}' beta`), /containai-beta-containerd/);
        const q = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(q.code, 0, q.out);
    });

    it("a killed up (SIGKILL of the CLI mid-create): recover stops only this stack's leftovers and removes the container state never recorded, keeping its volumes; the next up converges", async () => {
        const before = containers();
        // Decoys recover must leave alone: a leftover of another stack's dead run, and a live run's plugin.
        const live = net.createServer().listen(0, "127.0.0.1");
        await new Promise((r) => live.once("listening", r));
        const livePort = (live.address() as net.AddressInfo).port;
        const decoys = [
            spawn("bash", ["-c", "exec -a 'node /x/node_modules/@pulumi/pulumi/cmd/run/index.js --engine 127.0.0.1:1 --stack other-stack --project containai-infra' sleep 600"]),
            spawn("bash", ["-c", `exec -a 'pulumi-resource-docker 127.0.0.1:${livePort}' sleep 600`]),
        ];
        try {
            await withAgentsAsync([...agents, agent("omega")], async () => {
                // On the lab host: as soon as the daemon has created omega's container, freeze that dockerd
                // (SIGSTOP), so the provider's create cannot return and be recorded; then kill the CLI.
                const watch = spawn("docker", ["exec", `containai-lab-${H}`, "bash", "-c",
                    `for _ in $(seq 1 6000); do ${D} ps -aq --filter name=^/omega$ | grep -q . && ` +
                    "{ kill -STOP $(systemctl show -p MainPID --value containai-docker.service); echo frozen; exit 0; }; sleep 0.05; done; exit 1"]);
                const frozen = new Promise<number>((resolve) => watch.on("close", (code) => resolve(code ?? 1)));
                const run = stack.upProcess();
                try {
                    assert.equal(await frozen, 0, `the container never appeared:\n${run.output()}`);
                    run.child.kill("SIGKILL");
                    await run.done;
                } finally {
                    hostOk(H, "kill -CONT $(systemctl show -p MainPID --value containai-docker.service)");
                }
                const made = hostOk(H, `${D} ps -aq --filter name=^/omega$`);
                assert.notEqual(made, "", "the container exists on the host");
                const locked = stack.up();
                assert.notEqual(locked.code, 0, "the killed run still holds the stack");
                const r = stack.run("bash", [path.join(ROOT, "scripts", "recover.sh"), "--stack", STACK]);
                assert.equal(r.code, 0, r.out);
                assert.match(r.out, /processes of stack e2e-agents's interrupted run \(engine gone\):/);
                // The other stack's leftover is named as left alone (its stack is known, so it is simply not ours: not listed);
                // the live run's plugin is neither listed nor stopped.
                assert.doesNotMatch(r.out, new RegExp(`^ +(${decoys[0].pid}|${decoys[1].pid}) `, "m"));
                assert.match(r.out, new RegExp(`removed container omega \\(${made.slice(0, 12)}\\) that the killed run created and state never recorded; ` +
                    "its volumes and workspace are kept"));
                assert.match(r.out, /recovered: now run `pulumi up`/);
                for (const d of decoys) assert.equal(d.exitCode, null, "another stack's leftover and a live run are not touched");
                assert.equal(spawnSync("pgrep", ["-f", "--", `--stack ${STACK} `]).status, 1, "nothing of the killed run is left");
                const exported = stack.pulumi("stack", "export");
                assert.doesNotMatch(exported.out, /"pending_operations"\s*:\s*\[\s*\{/, "no pending operation is left in state");
                assert.equal(hostOk(H, `${D} ps -aq --filter name=^/omega$`), "", "the orphan is gone from the host");
                const u = stack.up();
                assert.equal(u.code, 0, u.out);
                assert.doesNotMatch(u.out, /Conflict/);
                assert.equal(sshOk(alias("omega"), "echo w > ~/workspace/w.txt; hostname"), "omega");
                // A new agent: inner containerd's directory and snapshots on volumes too (data layout 2).
                assert.equal(hostOk(H, `${D} volume ls -q --filter name=containai-omega | sort | tr '\\n' ' '`),
                    "containai-omega-containerd containai-omega-docker containai-omega-home containai-omega-snapshots");
                const q = stack.preview("--refresh", "--expect-no-changes");
                assert.equal(q.code, 0, q.out);
            });
        } finally {
            for (const d of decoys) d.kill("SIGKILL");
            live.close();
        }
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        forgetAgent("omega");
        assert.equal(containers(), before);
    });

    it("A9. destroy: containers gone, volumes and workspaces kept, SSH config entries gone; a new up re-attaches the data", () => {
        const r = stack.destroy();
        assert.equal(r.code, 0, r.out);
        assert.equal(hostOk(H, "ls /var/lib/containai-docker/containers | wc -l"), "0", "no container left");
        assert.equal(hostOk(H, "test -e /etc/ssh/sshd_config.d/containai-infra.conf && echo kept || echo gone"), "gone", "our sshd drop-in removed");
        assert.equal(hostOk(H, "sshd -T | awk '$1 == \"maxsessions\" {print $2}'"), "10", "sshd back to its default");
        // alpha's two (born under data layout 1); beta's four: its replaced host key put it on layout 2 (inner containerd on volumes).
        assert.equal(hostOk(H, "ls /var/lib/containai-docker/volumes | grep '^containai-' | sort | paste -sd' '"),
            "containai-alpha-docker containai-alpha-home containai-beta-containerd containai-beta-docker containai-beta-home containai-beta-snapshots",
            "every agent volume kept");
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
