import * as assert from "node:assert/strict";
import { describe, it } from "mocha";
import { checkConfig, RawConfig } from "../../components/config/schema";
import { agentAccessProblems, realFiles } from "../../components/config/load";
import { allocateFromRecord, allocatePorts } from "../../components/agent/ports";
import { sshPortsProvider } from "../../components/agent/providers";
import { agentLimits, dockerHostArgs } from "../../components/agent/agent";

describe("agents: schema, guardrails, ports, limits", () => {
    const SSH = { host: "10.0.0.5", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==", privateKeyFile: "/k" };
    const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==";
    const agent = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
        ({ name: "alpha", image: "local/agent:1", authorizedKeys: [KEY], ...extra });
    const problemsOf = (raw: RawConfig): { key: string; message: string }[] => checkConfig(raw).problems;
    function refused(extra: Record<string, unknown>, key: string, re: RegExp): void {
        const ps = problemsOf({ ssh: SSH, agents: [agent(extra)] });
        const hit = ps.find((p) => p.key === key);
        assert.ok(hit, `no problem for ${key}; got ${JSON.stringify(ps)}`);
        assert.match(hit.message, re);
    }

    it("an agent gets the documented defaults", () => {
        const { config, problems } = checkConfig({ ssh: SSH, agents: [agent()] });
        assert.deepEqual(problems, []);
        const a = config.agents[0];
        assert.equal(a.daemon, "containai-docker");
        assert.equal(a.user, "agent");
        assert.equal(a.uid, 1000);
        assert.equal(a.workspace, "/var/lib/containai/workspaces/alpha");
        assert.equal(a.workspacePath, "/home/agent/workspace");
        assert.equal(a.sshPort, "auto");
        assert.equal(a.sshBind, "127.0.0.1");
        assert.deepEqual([a.env, a.mounts, a.ports, a.sysctls], [{}, [], [], {}]);
        assert.deepEqual(config.operator, { sshConfig: false, sshDir: "~/.ssh", identityFile: undefined });
    });

    it("agents accept keys only: a missing or empty authorizedKeys is refused with the command to fix it", () => {
        refused({ authorizedKeys: undefined }, "containai:agents[0].authorizedKeys", /missing; agents accept SSH keys only.*pulumi config set --path/);
        refused({ authorizedKeys: [] }, "containai:agents[0].authorizedKeys", /non-empty list/);
        refused({ authorizedKeys: [`${KEY}\n${KEY}`] }, "containai:agents[0].authorizedKeys[0]", /more than one line|not valid base64/);
        refused({ user: "root" }, "containai:agents[0].user", /root logins are refused/);
    });

    it("guardrails: privileged, host namespaces, other runtimes and devices are refused, naming the fix", () => {
        refused({ privileged: true }, "containai:agents[0].privileged", /privileged agents are refused.*built-in Docker-in-Docker/);
        for (const k of ["networkMode", "pidMode", "ipcMode", "utsMode", "usernsMode"]) {
            refused({ [k]: "host" }, `containai:agents[0].${k}`, /host namespaces are refused/);
        }
        refused({ runtime: "runc" }, "containai:agents[0].runtime", /"runc" is refused: agents run under sysbox-runc/);
        refused({ devices: ["/dev/kvm"] }, "containai:agents[0].devices", /host devices are refused/);
        assert.deepEqual(problemsOf({ ssh: SSH, agents: [agent({ privileged: false, runtime: "sysbox-runc" })] }), []);
    });

    it("guardrails: mounts of the host's docker sockets, /run, data-roots, /proc and /sys are refused", () => {
        const cases: [string, string, RegExp][] = [
            ["/var/run/docker.sock", "/var/run/docker.sock", /host's \/run and \/var\/run/],
            ["/run/containai-docker.sock", "/tmp/d.sock", /host's \/run/],
            ["/var/lib/docker", "/data", /the default Docker's data-root/],
            ["/var/lib/containai-docker/volumes", "/data", /daemon containai-docker's data-root/],
            ["/var", "/hostvar", /data-root|exposes/],
            ["/proc", "/hostproc", /host kernel interfaces/],
        ];
        for (const [source, target, re] of cases) {
            refused({ mounts: [{ source, target }] }, "containai:agents[0].mounts[0].source", re);
        }
        refused({ mounts: [{ source: "/srv/x", target: "/proc/sys" }] }, "containai:agents[0].mounts[0].target", /\/proc inside an agent is the runtime's/);
        refused({ mounts: [{ source: "/srv/x", target: "/sys/fs/cgroup" }] }, "containai:agents[0].mounts[0].target", /\/sys inside an agent/);
        refused({ mounts: [{ source: "/srv/x", target: "/var/lib/docker" }] }, "containai:agents[0].mounts[0].target",
            /inner Docker data or config; use the built-in Docker-in-Docker/);
        refused({ mounts: [{ source: "containai-beta-docker", target: "/x" }] }, "containai:agents[0].mounts[0].source", /agents' own data/);
        // Inner containerd's data (and its snapshots) live on the agent's own volumes.
        refused({ mounts: [{ source: "/srv/x", target: "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs" }] },
            "containai:agents[0].mounts[0].target", /inner Docker data or config/);
        refused({ workspacePath: "/var/lib/containerd/ws" }, "containai:agents[0].workspacePath", /runtime or inner Docker path/);
        refused({ containerdVolumes: false }, "containai:agents[0].containerdVolumes", /false is refused: .*remove the key/);
        assert.equal(checkConfig({ ssh: SSH, agents: [agent({ containerdVolumes: true })] }).config.agents[0].containerdVolumes, true);
        assert.equal(checkConfig({ ssh: SSH, agents: [agent()] }).config.agents[0].containerdVolumes, undefined);
        const ok = checkConfig({ ssh: SSH, agents: [agent({ mounts: [{ source: "/srv/datasets", target: "/data", readOnly: true },
            { source: "cache", target: "/home/agent/.cache" }] })] });
        assert.deepEqual(ok.problems, []);
        assert.deepEqual(ok.config.agents[0].mounts, [
            { source: "/srv/datasets", target: "/data", type: "bind", readOnly: true },
            { source: "cache", target: "/home/agent/.cache", type: "volume", readOnly: false }]);
    });

    it("guardrails: kernel.* sysctls and an inner docker data-root override are refused; net.* is allowed", () => {
        refused({ sysctls: { "kernel.shmmax": "1" } }, "containai:agents[0].sysctls.kernel.shmmax", /kernel\.\* sysctls are refused/);
        refused({ sysctls: { "vm.swappiness": "1" } }, "containai:agents[0].sysctls.vm.swappiness", /only net\.\*/);
        refused({ env: { DOCKER_OPTS: "--data-root /x" } }, "containai:agents[0].env.DOCKER_OPTS", /inner Docker data-root override is refused/);
        refused({ env: { "BAD-NAME": "1" } }, "containai:agents[0].env.BAD-NAME", /not a valid environment variable name/);
        const ok = checkConfig({ ssh: SSH, agents: [agent({ sysctls: { "net.ipv4.ip_forward": 1 }, env: { TZ: "UTC" } })] });
        assert.deepEqual(ok.problems, []);
        assert.deepEqual(ok.config.agents[0].sysctls, { "net.ipv4.ip_forward": "1" });
    });

    it("published ports: not 22, not inside the SSH range, not twice", () => {
        refused({ ports: [{ container: 22 }] }, "containai:agents[0].ports[0].container", /published by sshPort/);
        refused({ ports: [{ container: 80, host: 2400 }] }, "containai:agents[0].ports[0].host", /inside the agents' SSH range/);
        refused({ ports: [{ container: 80, bind: "everywhere" }] }, "containai:agents[0].ports[0].bind", /not an IPv4 address/);
        const ps = problemsOf({ ssh: SSH, agents: [agent({ ports: [{ container: 8080 }] }),
            agent({ name: "beta", ports: [{ container: 80, host: 8080 }] })] });
        assert.ok(ps.some((p) => p.key === "containai:agents[1].ports[0].host" && /already published by agents\[0\]\.ports\[0\]/.test(p.message)));
        refused({ sshBind: "localhost" }, "containai:agents[0].sshBind", /not an IPv4 address/);
    });

    it("workspaces: not in Docker's data, not system directories, not shared", () => {
        refused({ workspace: "/var/lib/docker/ws" }, "containai:agents[0].workspace", /overlaps the default Docker's data-root/);
        refused({ workspace: "/home" }, "containai:agents[0].workspace", /system directory/);
        const ps = problemsOf({ ssh: SSH, agents: [agent({ workspace: "/srv/ws" }), agent({ name: "beta", workspace: "/srv/ws/beta" })] });
        assert.ok(ps.some((p) => p.key === "containai:agents[1].workspace" && /overlaps agent alpha's workspace/.test(p.message)), JSON.stringify(ps));
    });

    it("agents need the OpenSSH client and a key file where pulumi runs", () => {
        const { config } = checkConfig({ ssh: SSH, agents: [agent()] });
        assert.deepEqual(agentAccessProblems(config, realFiles, {}, () => true), []);
        const noSsh = agentAccessProblems(config, realFiles, {}, () => false);
        assert.equal(noSsh[0].key, "containai:agents");
        assert.match(noSsh[0].message, /OpenSSH client \(ssh\) is not on PATH.*install openssh-client/);
        const textKey = { ...config, ssh: { ...config.ssh, privateKeyFile: undefined, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" } };
        const ps = agentAccessProblems(textKey, realFiles, {}, () => true);
        assert.equal(ps[0].key, "containai:ssh.privateKey");
        assert.match(ps[0].message, /agents need the key as a file.*ssh\.privateKeyFile/);
        // No agents: nothing is required of the operator's machine.
        assert.deepEqual(agentAccessProblems({ ...textKey, agents: [] }, realFiles, {}, () => false), []);
    });

    it("ports: fixed ones as given, auto deterministic, skipping busy and reserved ports, never moving", () => {
        const range = { min: 2300, max: 2310, reserved: [2302] };
        const req = (name: string, port: number | "auto" = "auto") => ({ name, key: `k.${name}`, port });
        assert.deepEqual(allocatePorts([req("a"), req("b"), req("c", 2305), req("d")], {}, [22, 2300], range),
            { a: 2301, b: 2303, c: 2305, d: 2304 });
        // The same request twice gives the same answer (deterministic).
        assert.deepEqual(allocatePorts([req("a"), req("b")], {}, [2300], range), allocatePorts([req("a"), req("b")], {}, [2300], range));
        // Recorded ports stay, even though our own agents now listen on them; a new agent gets the next free one.
        assert.deepEqual(allocatePorts([req("a"), req("b"), req("e")], { a: 2301, b: 2303 }, [2300, 2301, 2303], range),
            { a: 2301, b: 2303, e: 2304 });
        // Removing an agent does not move the others.
        assert.deepEqual(allocatePorts([req("b")], { a: 2301, b: 2303 }, [2301, 2303], range), { b: 2303 });
        assert.throws(() => allocatePorts([req("x", 2300)], {}, [2300], range), /k\.x: 2300 is already in use on the host/);
        const full = { min: 2300, max: 2301, reserved: [] };
        assert.throws(() => allocatePorts([req("a"), req("b"), req("c")], {}, [], full),
            /k\.c: "auto" found no free port in 2300-2301 \(0 in use on the host, 2 given to agents\)/);
    });

    it("ports from the record alone: kept ports and our own fixed ports need no host probe; anything new does", () => {
        const range = { min: 2300, max: 2310, reserved: [2302] };
        const req = (name: string, port: number | "auto" = "auto") => ({ name, key: `k.${name}`, port });
        const rec = { a: 2301, b: 2303 };
        assert.deepEqual(allocateFromRecord([req("a"), req("b")], rec, range), rec);
        assert.deepEqual(allocateFromRecord([req("b")], rec, range), { b: 2303 }, "removing an agent moves nobody");
        // Pinning an agent to the port it already has, or to a port of ours another agent gave up.
        assert.deepEqual(allocateFromRecord([req("a", 2301), req("b")], rec, range), rec);
        assert.deepEqual(allocateFromRecord([req("b", 2301)], rec, range), { b: 2301 });
        assert.equal(allocateFromRecord([req("a"), req("b"), req("c")], rec, range), undefined, "a new agent: probe");
        assert.equal(allocateFromRecord([req("a"), req("b", 2305)], rec, range), undefined, "a new fixed port: probe");
        assert.equal(allocateFromRecord([req("a", 2303), req("b")], rec, range), undefined, "b lost its port to a: probe");
    });

    it("the SSH port record: check fills it in (no probe when nothing is new), a probe-script change alone is no change", async () => {
        // Nothing listens on port 1: any attempt to probe the host fails at once.
        const connection = { host: "127.0.0.1", port: 1, user: "root", hostKey: KEY, privateKey: "x", sudo: false };
        const range = { min: 2300, max: 2500, reserved: [] };
        const requests = [{ name: "a", key: "k.a", port: "auto" }, { name: "b", key: "k.b", port: "auto" }];
        const olds = { connection, probeScript: "old", requests, range, after: "x", ports: { a: 2301, b: 2302 } };
        const news = { connection, probeScript: "new", requests, range, after: "y" };
        const checked = await sshPortsProvider.check!(olds, news);
        assert.deepEqual(checked.failures, undefined);
        assert.deepEqual(checked.inputs, { ...news, ports: { a: 2301, b: 2302 } });
        assert.equal((await sshPortsProvider.diff!("id", olds, checked.inputs)).changes, false, "probe script and ordering token are no change");
        // State from before the record was an input: left to update (which has the outputs).
        const oldInputs: Record<string, unknown> = { ...olds };
        delete oldInputs.ports;
        assert.deepEqual((await sshPortsProvider.check!(oldInputs, news)).inputs, news);
        assert.equal((await sshPortsProvider.diff!("id", olds, news)).changes, false);
        // A new agent needs the host's listening ports: here the probe cannot connect, and says so.
        const added = { ...news, requests: [...requests, { name: "c", key: "k.c", port: "auto" }] };
        const failed = await sshPortsProvider.check!(olds, added);
        assert.equal(failed.failures?.length, 1);
        assert.match(failed.failures![0].reason, /SSH port probe|127\.0\.0\.1/);
        assert.equal((await sshPortsProvider.diff!("id", olds, added)).changes, true);
        assert.equal((await sshPortsProvider.diff!("id", olds, { ...news, ports: { a: 2301, b: 2303 } })).changes, true);
        // Another host: a fresh allocation there (it probes: here it cannot connect).
        const moved = await sshPortsProvider.check!(olds, { ...news, connection: { ...connection, host: "127.0.0.2" } });
        assert.match(moved.failures?.[0]?.reason ?? "", /127\.0\.0\.2/);
        // A refresh hands the record back as inputs, so older state gets it.
        assert.deepEqual((await sshPortsProvider.read!("id", olds)).inputs, olds);
    });

    it("limits: half of the host by default; cpus as a CFS quota; memory-swap = memory", () => {
        assert.deepEqual(agentLimits({}, 8, 16 * 1024 ** 3), { cpuQuota: 400000, cpuPeriod: 100000, memoryMb: 8192 });
        assert.deepEqual(agentLimits({ cpus: 1.5, memoryBytes: 512 * 1024 ** 2 }, 8, 16 * 1024 ** 3),
            { cpuQuota: 150000, cpuPeriod: 100000, memoryMb: 512 });
    });

    it("the docker provider reaches the instance socket over SSH with the pinned host key", () => {
        const a = dockerHostArgs({ host: "10.0.0.5", port: 2222, user: "ops", privateKeyFile: "/home/ops/.ssh/id" },
            "/var/run/containai-docker.sock", "/c/kh", "containai-host-s");
        assert.equal(a.host, "ssh://ops@10.0.0.5:2222/var/run/containai-docker.sock");
        const opts = a.sshOpts.join(" ");
        assert.match(opts, /-o HostKeyAlias=containai-host-s -o UserKnownHostsFile=\/c\/kh -o StrictHostKeyChecking=yes/);
        assert.match(opts, /-o BatchMode=yes/);
        assert.match(opts, /-o IdentitiesOnly=yes -i \/home\/ops\/\.ssh\/id/);
        assert.match(dockerHostArgs({ host: "h", port: 22, user: "u", agentSocket: "/run/a.sock" }, "/s", "/k", "x").sshOpts.join(" "),
            /IdentityAgent=\/run\/a\.sock/);
        // One shared OpenSSH connection per host (the provider connects per API call).
        assert.match(dockerHostArgs({ host: "h", port: 22, user: "u" }, "/s", "/k", "x", "/c/ssh").sshOpts.join(" "),
            /-o ControlMaster=auto -o ControlPath=\/c\/ssh\/%C -o ControlPersist=30/);
    });
});
