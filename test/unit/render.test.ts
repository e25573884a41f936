import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "node:child_process";
import { Arch } from "../../components/config/schema";
import { defaultDaemon, validateConfig } from "../../components/config/schema";
import { renderDaemonJson, renderDaemonUnit, dockerdPath, engineMajor, renderRootfsGuardUnit } from "../../components/render/daemon";
import { renderApparmorFusermount3 } from "../../components/render/host";
import { includeState, placeInclude, renderAgentSshd, renderOperatorKnownHosts, renderOperatorSshConfig, sshIncludeLine } from "../../components/render/ssh";
import { renderReleaseWorkflow } from "../../components/render/workflow";
import { matchSnapshot, TEST_HOSTKEY } from "../helpers";
import { describe, it } from "mocha";

describe("renderers (snapshots)", () => {
    it("daemon.json (default instance)", () => {
        const text = renderDaemonJson(defaultDaemon());
        matchSnapshot("daemon.json", text);
        const j = JSON.parse(text);
        assert.deepEqual(j.hosts, ["unix:///var/run/containai-docker.sock"]);
        assert.equal(j["default-runtime"], "sysbox-runc");
        assert.equal(j.runtimes["sysbox-runc"].path, "/usr/bin/sysbox-runc");
        assert.equal(j.bridge, "cai0");
        assert.equal(j["storage-driver"], undefined, "dockerd chooses unless configured");
    });

    it("dockerd < 23 keeps its trust key beside our config, never in /etc/docker", () => {
        const j = JSON.parse(renderDaemonJson(defaultDaemon(), { legacyTrustKey: true }));
        assert.equal(j["deprecated-key-path"], "/etc/containai/docker/key.json");
        assert.equal(JSON.parse(renderDaemonJson(defaultDaemon()))["deprecated-key-path"], undefined, "Docker >= 23 rejects the key");
        assert.equal(engineMajor("20.10.24"), 20);
        assert.equal(engineMajor("unknown"), undefined);
    });

    it("daemon.json carries nothing the unit also passes as a flag", () => {
        const d = defaultDaemon();
        const unit = renderDaemonUnit(d, "docker.io");
        const execStart = unit.split("\n").find((l) => l.startsWith("ExecStart="))!;
        assert.equal(execStart, `ExecStart=/usr/sbin/dockerd --config-file=${d.configFile}`);
    });

    it("systemd unit (docker.io and docker-ce)", () => {
        const d = defaultDaemon();
        matchSnapshot("containai-docker.service", renderDaemonUnit(d, "docker.io"));
        assert.match(renderDaemonUnit(d, "docker-ce"), /ExecStart=\/usr\/bin\/dockerd/);
        assert.equal(dockerdPath("docker.io"), "/usr/sbin/dockerd");
        const unit = renderDaemonUnit(d, "docker.io");
        assert.match(unit, /^Delegate=yes$/m);
        assert.match(unit, /^After=.*sysbox\.service/m);
        assert.doesNotMatch(unit, /ExecStopPre/, "ExecStopPre is not a systemd key");
        // The bridge and its firewall come from the instance's own network script.
        assert.match(unit, /^ExecStartPre=\/usr\/local\/libexec\/containai\/containai-docker-network start cai0 172\.30\.0\.1\/16 172\.30\.0\.0\/16$/m);
    });

    it("rootfs guard unit: a oneshot the daemon wants and waits for, never restarting it", () => {
        const d = defaultDaemon();
        const unit = renderRootfsGuardUnit(d, "containai-infra");
        matchSnapshot("containai-docker-rootfs-guard.service", unit);
        assert.match(unit, /^Before=containai-docker\.service$/m);
        assert.match(unit, /^WantedBy=containai-docker\.service$/m);
        assert.match(unit, /^Type=oneshot$/m);
        assert.match(unit, /^ExecStart=\/usr\/local\/libexec\/containai\/containai-docker-rootfs-guard boot \/var\/lib\/containai-docker containai-infra$/m);
        assert.doesNotMatch(renderDaemonUnit(d, "docker.io"), /rootfs-guard/, "the daemon's own unit is unchanged (no restart on upgrade)");
    });

    it("second instance gets its own paths and bridge", () => {
        const c = validateConfig({ ssh: { host: "h", hostKey: TEST_HOSTKEY }, daemons: [{}, { name: "lab-b" }] });
        const j = JSON.parse(renderDaemonJson(c.daemons[1]));
        assert.deepEqual(j.hosts, ["unix:///var/run/lab-b.sock"]);
        assert.equal(j["data-root"], "/var/lib/lab-b");
        assert.equal(j.bridge, "cai1");
        assert.equal(j["containerd-namespace"], "lab-b");
        matchSnapshot("lab-b.service", renderDaemonUnit(c.daemons[1], "docker.io"));
    });

    it("AppArmor fusermount3 drop-in", () => {
        matchSnapshot("apparmor-fusermount3", renderApparmorFusermount3(true));
        assert.doesNotMatch(renderApparmorFusermount3(false), /dac_override/);
    });

    it("agent sshd drop-in: key-only, pinned host key, the agent user only", () => {
        const t = renderAgentSshd("agent");
        matchSnapshot("agent-sshd.conf", t);
        assert.match(t, /^PasswordAuthentication no$/m);
        assert.match(t, /^KbdInteractiveAuthentication no$/m);
        assert.match(t, /^AuthenticationMethods publickey$/m);
        assert.match(t, /^PermitRootLogin no$/m);
        assert.match(t, /^AllowUsers agent$/m);
        assert.match(t, /^HostKey \/etc\/ssh\/containai_host_ed25519_key$/m);
        assert.match(t, /^AllowAgentForwarding yes$/m);
        assert.match(t, /^AllowTcpForwarding yes$/m);
    });

    it("operator SSH config: jump host, one Host per agent, pinned by HostKeyAlias", () => {
        const args = {
            stack: "prod1", knownHostsFile: "~/.ssh/containai.d/prod1.known_hosts",
            host: { alias: "containai-host-prod1", hostName: "10.0.0.5", port: 22, user: "ops", hostKey: "ssh-ed25519 AAAAhost",
                identityFile: "/home/ops/.ssh/id_ed25519" },
            agents: [
                { alias: "prod1-alpha", agent: "alpha", bind: "127.0.0.1", port: 2300, user: "agent", hostKey: "ssh-ed25519 AAAAalpha",
                    identityFile: "/home/ops/.ssh/id_ed25519" },
                { alias: "prod1-beta", agent: "beta", bind: "0.0.0.0", port: 2301, user: "agent", hostKey: "ssh-ed25519 AAAAbeta",
                    localForwards: [3000, 5432] },
            ],
        };
        const conf = renderOperatorSshConfig(args);
        // devcontainer forwardPorts: the same port on the operator's localhost.
        assert.match(conf, /ServerAliveInterval 30\n {2}LocalForward localhost:3000 localhost:3000\n {2}LocalForward localhost:5432 localhost:5432\n$/);
        assert.doesNotMatch(conf.split("# agent beta")[0], /LocalForward/);
        matchSnapshot("operator-ssh.conf", conf);
        // The loopback agent goes through the host; the deliberately opened one is reached directly.
        assert.match(conf, /Host prod1-alpha\n {2}HostName 127\.0\.0\.1\n {2}Port 2300\n {2}User agent\n {2}ProxyJump containai-host-prod1\n/);
        assert.match(conf, /Host prod1-beta\n {2}HostName 10\.0\.0\.5\n {2}Port 2301\n {2}User agent\n {2}ProxyJump none\n {2}HostKeyAlias prod1-beta\n/);
        assert.equal((conf.match(/StrictHostKeyChecking yes/g) ?? []).length, 3);
        assert.doesNotMatch(conf, /accept-new|StrictHostKeyChecking no/);
        assert.equal(renderOperatorKnownHosts(args),
            "containai-host-prod1 ssh-ed25519 AAAAhost\nprod1-alpha ssh-ed25519 AAAAalpha\nprod1-beta ssh-ed25519 AAAAbeta\n");
    });

    it("the Include line goes before the first Host/Match block, exactly once", () => {
        const inc = sshIncludeLine("~/.ssh");
        assert.equal(inc, "Include ~/.ssh/containai.d/*.conf");
        assert.equal(placeInclude("", inc), `${inc}\n`);
        const existing = "# mine\nServerAliveInterval 10\n\nHost a\n  User x\nInclude ~/.ssh/containai.d/*.conf\n";
        assert.equal(includeState(existing, inc), "misplaced");
        const placed = placeInclude(existing, inc);
        assert.equal(placed, `# mine\nServerAliveInterval 10\n\n${inc}\n\nHost a\n  User x\n`);
        assert.equal(includeState(placed, inc), "ok");
        assert.equal(placeInclude(placed, inc), placed, "idempotent");
        assert.equal(includeState(`${inc}\n${inc}\n`, inc), "duplicate");
        assert.equal(includeState("Host a\n", inc), "missing");
        assert.equal(placeInclude("Match host x\n  User y\n", inc), `${inc}\n\nMatch host x\n  User y\n`);
    });

    it("sysbox release workflow", () => {
        const y = renderReleaseWorkflow({ archs: ["amd64", "arm64"] });
        matchSnapshot("build-sysbox.yml", y);
        // The pinned ref is the repository's Actions variable (SysboxRelease manages it); a dispatch may override it.
        assert.equal(YAML.parse(y).env.SYSBOX_REF, "${{ inputs.ref || vars.SYSBOX_REF }}");
        assert.equal(YAML.parse(y).on.workflow_dispatch.inputs.ref.required, false);
        assert.match(y, /version_args=\(--version "\$\{GITHUB_REF_NAME#sysbox-v\}"\)/);
        assert.match(y, /gh release upload "\$tag" --repo "\$GITHUB_REPOSITORY" --clobber/);
        assert.match(y, /ubuntu-24\.04-arm/);
        assert.match(y, /bash scripts\/build-sysbox\.sh --ref "\$SYSBOX_REF" --arch "\$\{\{ matrix\.arch \}\}" "\$\{version_args\[@\]\}" --out out/);
        // Built as data and written by the yaml package: it parses back to the intended structure.
        const wf = YAML.parse(y);
        assert.deepEqual(wf.on.push.tags, ["sysbox-v*"]);
        assert.deepEqual(wf.jobs.build.strategy.matrix.include, [
            { arch: "amd64", runner: "ubuntu-24.04" }, { arch: "arm64", runner: "ubuntu-24.04-arm" }]);
        assert.equal(wf.jobs.publish.needs, "build");
        assert.match(wf.jobs.build.steps[1].run, /^set -euo pipefail\n/);
    });

    it("the sysbox release workflow is actionlint-clean (with shellcheck on its scripts)", () => {
        const actionlint = process.env.CONTAINAI_ACTIONLINT;
        assert.ok(actionlint && fs.existsSync(actionlint),
            "actionlint not found: npm test builds it (scripts/install-deps.sh actionlint); set CONTAINAI_ACTIONLINT to its path");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-actionlint-"));
        try {
            fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
            const files: string[] = [];
            for (const archs of [["amd64", "arm64"], ["amd64"]] as Arch[][]) {
                const file = path.join(dir, ".github", "workflows", `build-sysbox-${archs.join("-")}.yml`);
                fs.writeFileSync(file, renderReleaseWorkflow({ archs }));
                files.push(file);
            }
            const r = spawnSync(actionlint, ["-shellcheck", "shellcheck", "-no-color", ...files], { cwd: dir, encoding: "utf8" });
            assert.equal(r.status, 0, `actionlint:\n${r.stdout}${r.stderr}`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
