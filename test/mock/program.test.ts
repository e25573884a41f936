// Mock tests of the whole program (graph shape, not host behaviour: the lab
// tests cover that against real hosts with the real engine).
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { projectRoot } from "../helpers";
import { renderReleaseWorkflow } from "../../components/render/workflow";
import { hostKeyId } from "../../components/agent/providers";
import { after, describe, it } from "mocha";

function sha8(s: string): string {
    return crypto.createHash("sha256").update(s).digest("hex").slice(0, 8);
}

describe("program graph (mocks)", () => {
    interface Reg { type: string; name: string; inputs: any; parent?: string; }
    interface Seen { type: string; name: string; props: Record<string, unknown>; parent?: string; opts?: pulumi.CustomResourceOptions; }

    const HOSTKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Q=";

    async function runProgram(config: Record<string, unknown>, secretKeys: string[] = [], preview = true): Promise<{ regs: Reg[]; seen: Seen[]; error?: Error }> {
        const regs: Reg[] = [];
        const seen: Seen[] = [];
        await pulumi.runtime.setMocks({
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const state = { ...args.inputs };
                if (args.name.endsWith("-preflight-check")) {
                    state.facts = { arch: "amd64", kernel: "6.8.0", os_id: "ubuntu", os_version: "24.04", cpus: "8", memory_bytes: String(16 * 1024 ** 3) };
                    state.apparmorDropin = false;
                    state.apparmorDacOverride = false;
                }
                if (args.type === "pulumi-nodejs:dynamic:Resource") state.observed = { version: "0.7.1" };
                if (args.name.endsWith("-ssh-ports")) state.ports = { alpha: 2300, beta: 2301 };
                if (args.name.endsWith("-hostkey")) {
                    state.privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nhost\n";
                    state.publicKey = `ssh-ed25519 AAAA${args.inputs.agent}`;
                }
                if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${args.inputs.name}`;
                if (args.type === "github:index/release:Release") state.htmlUrl = `https://github.com/acme/${args.inputs.repository}/releases/tag/${args.inputs.tagName}`;
                if (args.name.endsWith("-checksums")) {
                    state.status = "published";
                    state.sha256 = { amd64: "a".repeat(64), arm64: "b".repeat(64) };
                }
                regs.push({ type: args.type, name: args.name, inputs: args.inputs });
                // Host keys' IDs as the provider makes them; agents named "old-*" stand for keys made before layout 2.
                if (args.name.endsWith("-hostkey")) {
                    const agent = String(args.inputs.agent);
                    return { id: agent.startsWith("old-") ? `hostkey-${agent}` : hostKeyId(agent), state };
                }
                return { id: `${args.name}-id`, state };
            },
            call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
        }, "containai-infra", "test", preview);
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(config)) flat[`containai:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
        pulumi.runtime.setAllConfig(flat, secretKeys);
        // Raw (pre-serialization) props and parents, where Output secretness is
        // visible: wrap the SDK's registerResource (mocks unwrap secrets).
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const rt = require("@pulumi/pulumi/runtime/resource");
        if (!rt.__containaiWrapped) {
            const orig = rt.registerResource;
            rt.registerResource = (...a: any[]) => {
                (rt.__containaiSeen as Seen[] | undefined)?.push({ type: a[2], name: a[3], props: a[7] ?? {}, parent: a[1]?.constructor?.name, opts: a[8] });
                return orig(...a);
            };
            rt.__containaiWrapped = true;
        }
        rt.__containaiSeen = seen;
        // Fresh program modules for each config.
        const dist = path.join(projectRoot(), "dist");
        for (const k of Object.keys(require.cache)) {
            if (k.startsWith(dist) && !k.includes(`${path.sep}test${path.sep}`)) delete require.cache[k];
        }
        let error: Error | undefined;
        try {
            const mod = await import(path.join(dist, "index.js"));
            // Let all registrations settle.
            await new Promise((r) => setTimeout(r, 200));
            void mod;
        } catch (e) {
            error = e as Error;
        }
        return { regs, seen, error };
    }

    const baseSsh = { host: "10.1.2.3", port: 22, user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n", hostKey: HOSTKEY };

    it("default config: component tree, type tokens and names", async () => {
        const { regs, error } = await runProgram({ ssh: baseSsh }, ["containai:ssh"]);
        assert.equal(error, undefined);
        const types = regs.map((r) => `${r.type}::${r.name}`);
        for (const want of [
            "containai:host:Host::host",
            "containai:host:Preflight::host-preflight",
            "containai:host:DockerEngine::host-engine",
            "containai:host:SysboxPackage::host-sysbox",
            "containai:host:DockerDaemon::host-containai-docker",
            "containai:host:DockerContext::host-containai-docker-ctx",
            "pulumi-nodejs:dynamic:Resource::host-preflight-check",
            "pulumi-nodejs:dynamic:Resource::host-engine-package",
            "pulumi-nodejs:dynamic:Resource::host-sysbox-install",
            "pulumi-nodejs:dynamic:Resource::host-containai-docker-instance",
            "pulumi-nodejs:dynamic:Resource::host-containai-docker-ctx-context",
            "pulumi-nodejs:dynamic:Resource::host-health",
        ]) {
            assert.ok(types.includes(want), `${want} not registered; got:\n${types.join("\n")}`);
        }
    });

    it("every child is parented to its component", async () => {
        const { seen } = await runProgram({ ssh: baseSsh }, ["containai:ssh"]);
        const parentOf = (n: string): string | undefined => seen.find((s) => s.name === n)?.parent;
        assert.equal(parentOf("host-preflight"), "ContainAIHost");
        assert.equal(parentOf("host-preflight-check"), "Preflight");
        assert.equal(parentOf("host-sysbox-install"), "SysboxPackage");
        assert.equal(parentOf("host-containai-docker-instance"), "DockerDaemon");
        assert.equal(parentOf("host-containai-docker-ctx-context"), "DockerContext");
        assert.equal(parentOf("host-health"), "ContainAIHost");
    });

    it("host steps are ordered by data: preflight → engine → sysbox → daemon → context", async () => {
        const { regs } = await runProgram({ ssh: baseSsh }, ["containai:ssh"]);
        const get = (n: string): Reg => regs.find((r) => r.name === n)!;
        assert.match(get("host-engine-package").inputs.env.AFTER, /^preflight:/);
        assert.equal(get("host-sysbox-install").inputs.env.AFTER, "host-engine-package-id");
        assert.equal(get("host-containai-docker-instance").inputs.env.AFTER, "host-engine-package-id,host-sysbox-install-id");
        assert.equal(get("host-containai-docker-ctx-context").inputs.env.AFTER, "host-containai-docker-instance-id");
        // The health check runs last: its input is derived from every step's observed state.
        assert.match(get("host-health").inputs.after, /^[0-9a-f]{64}$/);
        assert.equal(get("host-health").inputs.env.HEALTH_DAEMONS, "containai-docker.service /var/run/containai-docker.sock sysbox-runc");
    });

    it("a preview starts the host's health probe with the preflight's (one round trip); an update does not", async () => {
        const pre = await runProgram({ ssh: baseSsh }, ["containai:ssh"], true);
        const get = (regs: Reg[], n: string): Reg => regs.find((r) => r.name === n)!;
        const health = get(pre.regs, "host-health").inputs;
        assert.deepEqual(get(pre.regs, "host-preflight-check").inputs.healthProbe, { script: health.probeScript, env: health.env });
        const up = await runProgram({ ssh: baseSsh }, ["containai:ssh"], false);
        assert.equal(get(up.regs, "host-preflight-check").inputs.healthProbe, undefined);
        assert.equal(get(up.regs, "host-health").inputs.probeScript, health.probeScript);
    });

    it("dynamic resources carry the build's serialized provider (dist/components/closures.json), not a run-time serialization", async () => {
        const { seen } = await runProgram({ ssh: baseSsh }, ["containai:ssh"]);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const built = Object.values(require(path.join(projectRoot(), "dist", "components", "closures.json")).providers);
        const dyn = seen.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
        assert.ok(dyn.length > 0);
        for (const r of dyn) {
            assert.equal(typeof r.props.__provider, "string", `${r.name}: __provider is not the stored text`);
            assert.ok(built.includes(r.props.__provider), `${r.name}: __provider is not one of the build's texts`);
        }
    });

    it("the SSH connection (private key) is secret in every dynamic resource", async () => {
        const { seen } = await runProgram({ ssh: baseSsh }, ["containai:ssh"]);
        const dyn = seen.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
        assert.equal(dyn.length, 6);
        for (const r of dyn) {
            const conn = r.props.connection;
            assert.ok(pulumi.Output.isInstance(conn), `${r.name}: connection is not an Output`);
            assert.equal(await (conn as any).isSecret, true, `${r.name}: connection is not secret`);
            // Nothing else carries the key.
            for (const [k, v] of Object.entries(r.props)) {
                if (k === "connection" || k === "__provider") continue;
                const text = pulumi.Output.isInstance(v) ? JSON.stringify(await (v as any).promise()) : JSON.stringify(v);
                assert.ok(!(text ?? "").includes("PRIVATE KEY"), `${r.name}.${k} carries the key`);
            }
        }
    });

    it("sysbox install gets the pinned candidate for the probed arch", async () => {
        const { regs } = await runProgram({ ssh: baseSsh }, ["containai:ssh"]);
        const env = regs.find((r) => r.name === "host-sysbox-install")!.inputs.env;
        assert.equal(env.SYSBOX_CANDIDATES,
            "https://github.com/nestybox/sysbox/releases/download/v0.7.1/sysbox-ce_0.7.1.linux_amd64.deb " +
            "9d6d5484f980d0a17f86c492c1262015c2afb66280bdb97215b79fde6a0261c5 upstream 0.7.1");
        assert.equal(env.AGENT_SOCKETS, "/var/run/containai-docker.sock");
        // The plan says what an upgrade does to running agents.
        assert.match(regs.find((r) => r.name === "host-sysbox-install")!.inputs.notice,
            /^sysbox 0\.7\.1 from upstream; installing or changing the version stops agent containers .* docker stop -t 100/);
    });

    it("two daemon instances share one sysbox and get their own units", async () => {
        const { regs } = await runProgram({ ssh: baseSsh, daemons: [{}, { name: "lab-b" }] }, ["containai:ssh"]);
        assert.equal(regs.filter((r) => r.type === "containai:host:SysboxPackage").length, 1);
        const daemons = regs.filter((r) => r.type === "containai:host:DockerDaemon").map((r) => r.name);
        assert.deepEqual(daemons, ["host-containai-docker", "host-lab-b"]);
        const b = regs.find((r) => r.name === "host-lab-b-instance")!.inputs.env;
        assert.equal(b.SOCKET, "/var/run/lab-b.sock");
        assert.equal(b.UNIT_NAME, "lab-b.service");
        assert.equal(regs.find((r) => r.name === "host-sysbox-install")!.inputs.env.AGENT_SOCKETS,
            "/var/run/containai-docker.sock /var/run/lab-b.sock");
    });

    it("invalid config: one error naming every key, nothing registered", async () => {
        const { regs, error } = await runProgram({ ssh: { ...baseSsh, port: 99999 }, sysbox: { source: "nope" } }, ["containai:ssh"]);
        assert.ok(error, "program should fail");
        assert.match(error.message, /containai:ssh\.port: 99999 is outside 1-65535/);
        assert.match(error.message, /containai:sysbox\.source: "nope" is not a known sysbox source/);
        assert.equal(regs.length, 0, `registered: ${regs.map((r) => r.name).join(", ")}`);
    });

    it("plaintext private key is refused before anything is registered", async () => {
        const { regs, error } = await runProgram({ ssh: baseSsh }, []);
        assert.match(error?.message ?? "", /containai:ssh\.privateKey: is stored in plaintext/);
        assert.equal(regs.length, 0);
    });

    it("schema problems and unreadable key files are reported in one error", async () => {
        const { regs, error } = await runProgram({
            ssh: { host: "h", privateKeyFile: "/nonexistent/containai-key", hostKey: HOSTKEY },
            sysbox: { version: "x" },
        });
        assert.match(error?.message ?? "", /containai:sysbox\.version: "x" is not a semantic version/);
        assert.match(error?.message ?? "", /containai:ssh\.privateKeyFile: cannot read \/nonexistent\/containai-key/);
        assert.match(error?.message ?? "", /\(2 problems\)/);
        assert.equal(regs.length, 0);
    });

    it("a credentialed mirror URL (a secret config value) keeps the sysbox install's env secret; plain URLs keep it readable", async () => {
        const sysbox = { mirrorUrl: "https://ops:s3cr3t@mirror.example/sysbox" };
        const { seen, error } = await runProgram({ ssh: baseSsh, sysbox }, ["containai:ssh", "containai:sysbox"]);
        assert.equal(error, undefined, error?.message);
        const env = seen.find((r) => r.name === "host-sysbox-install")!.props.env;
        assert.ok(pulumi.Output.isInstance(env));
        assert.equal(await (env as any).isSecret, true, "env with credentials must be secret");
        const plain = await runProgram({ ssh: baseSsh }, ["containai:ssh"]);
        const env2 = plain.seen.find((r) => r.name === "host-sysbox-install")!.props.env;
        assert.equal(await (env2 as any).isSecret, false, "without credentials the env stays readable in plans");
    });

    it("an invalid config fails as a RunError: one clean block, no stack trace", async () => {
        const { error } = await runProgram({ ssh: { ...baseSsh, port: 99999 } }, ["containai:ssh"]);
        assert.ok(error && pulumi.RunError.isInstance(error), `expected a RunError, got ${error}`);
    });

    it("daemon.json and the unit travel as plain text (a readable line diff in preview --diff), with the network script", async () => {
        const { regs } = await runProgram({ ssh: baseSsh }, ["containai:ssh"]);
        const env = regs.find((r) => r.name === "host-containai-docker-instance")!.inputs.env;
        assert.match(env.DAEMON_JSON, /^\{\n {2}"hosts": \[/);
        assert.match(env.UNIT_TEXT, /^# Managed by containai-infra/);
        assert.match(env.NETWORK_SCRIPT, /^#!\/usr\/bin\/env bash\n/);
        assert.equal(env.NETWORK_SCRIPT_PATH, "/usr/local/libexec/containai/containai-docker-network");
        assert.equal(Object.keys(env).filter((k) => k.endsWith("_B64")).length, 0);
    });

    describe("agents", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-mock-"));
        const keyFile = path.join(tmp, "id_ed25519");
        fs.writeFileSync(keyFile, "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n", { mode: 0o600 });
        process.env.CONTAINAI_CACHE = path.join(tmp, "cache");
        after(() => fs.rmSync(tmp, { recursive: true, force: true }));
        const PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ== ops@laptop";
        const ssh = { host: "10.1.2.3", port: 22, user: "root", privateKeyFile: keyFile, hostKey: HOSTKEY };
        const agentsCfg = [
            { name: "alpha", image: "ghcr.io/org/agent:1.2", authorizedKeys: [PUB] },
            { name: "beta", image: "ghcr.io/org/agent:1.2", authorizedKeys: [PUB], cpus: 2, memory: "4g", sshPort: 2301 },
        ];

        it("each agent: a component with its host key and container; per daemon: one host step, one image per image name, one run step", async () => {
            const { regs, seen, error } = await runProgram({ ssh, agents: agentsCfg, operator: { sshConfig: true, sshDir: path.join(tmp, "ssh") } });
            assert.equal(error, undefined, String(error));
            const types = regs.map((r) => `${r.type}::${r.name}`);
            for (const want of [
                "containai:agent:Agents::agents",
                "containai:agent:Agent::agents-alpha",
                "containai:agent:Agent::agents-beta",
                "pulumi:providers:docker::agents-containai-docker",
                "pulumi-nodejs:dynamic:Resource::agents-ssh-ports",
                "pulumi-nodejs:dynamic:Resource::agents-containai-docker-prepare",
                "pulumi-nodejs:dynamic:Resource::agents-alpha-hostkey",
                "docker:index/container:Container::agents-alpha-container",
                "docker:index/container:Container::agents-beta-container",
                "pulumi-nodejs:dynamic:Resource::agents-containai-docker-running",
                "pulumi-nodejs:dynamic:Resource::agents-containai-docker-health",
                "pulumi-nodejs:dynamic:Resource::agents-operator-ssh",
            ]) {
                assert.ok(types.includes(want), `${want} not registered; got:\n${types.join("\n")}`);
            }
            // Two agents of one image on one daemon share its image lookup; no volume is a resource (the host step keeps them).
            const images = regs.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
            assert.deepEqual(images.map((r) => [r.name, r.inputs.name, r.inputs.keepLocally]),
                [[`agents-image-${sha8("containai-docker ghcr.io/org/agent:1.2")}-ref`, "ghcr.io/org/agent:1.2", true]]);
            assert.deepEqual(regs.filter((r) => r.type === "docker:index/volume:Volume"), []);
            // It is the first agent's image of the per-agent layout (an upgrade re-creates no container).
            const alias = (seen.find((x) => x.name === images[0].name)?.opts?.aliases ?? [])[0] as { name: string; parent: pulumi.Output<string> };
            assert.equal(alias.name, "agents-alpha-image");
            assert.match(await new Promise<string>((ok) => alias.parent.apply(ok)), /containai:agent:Agents\$containai:agent:Agent::agents-alpha$/);
            assert.equal(regs.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource" && /-(prepare|running)$/.test(r.name)).length, 2);
            const parentOf = (n: string): string | undefined => seen.find((s) => s.name === n)?.parent;
            assert.equal(parentOf("agents-alpha"), "Agents");
            assert.equal(parentOf("agents-alpha-container"), "Agent");
            assert.equal(parentOf("agents-containai-docker"), "Agents");
            assert.equal(parentOf("agents-containai-docker-prepare"), "Agents");
            // The container goes first when replaced (its volumes and workspace are re-attached by name).
            const optsOf = (n: string): pulumi.CustomResourceOptions => seen.find((s) => s.name === n)?.opts ?? {};
            assert.equal(optsOf("agents-alpha-container").deleteBeforeReplace, true);
            // The host step: every agent's workspace, volumes and guard, in one step; it keeps them on delete.
            const prep = regs.find((r) => r.name === "agents-containai-docker-prepare")!.inputs;
            assert.equal(prep.env.AGENTS, "alpha alpha 1000 containai-alpha-home containai-alpha-docker /var/lib/containai/workspaces/alpha " +
                "containai-alpha-containerd containai-alpha-snapshots containai:agents[0]\n" +
                "beta beta 1000 containai-beta-home containai-beta-docker /var/lib/containai/workspaces/beta " +
                "containai-beta-containerd containai-beta-snapshots containai:agents[1]");
            assert.equal(prep.env.MANAGED_BY, "containai-infra");
            assert.deepEqual(prep.desired, {
                "alpha.workspace": "present", "alpha.workspace_owner": "1000", "alpha.volumes": "present", "alpha.docker_volume_others": "none",
                "alpha.sources": "ok",
                "beta.workspace": "present", "beta.workspace_owner": "1000", "beta.volumes": "present", "beta.docker_volume_others": "none",
                "beta.sources": "ok",
            });
            // Every bind source is checked on the host, naming its config key (the workspace may not exist yet).
            assert.equal(prep.env.SOURCES, "alpha containai:agents[0].workspace /var/lib/containai/workspaces/alpha missing-ok\n" +
                "beta containai:agents[1].workspace /var/lib/containai/workspaces/beta missing-ok");
            assert.match(prep.removeScript, /kept workspace/);
            assert.doesNotMatch(prep.removeScript, /volume rm|rm -r/);
            // Ordered by data after the host's health check: nothing of an agent touches a host that is not converged.
            assert.equal(prep.env.AFTER, "host-health-id");
            assert.equal(regs.find((r) => r.name === "agents-ssh-ports")!.inputs.after, "host-health-id");
            // The run step names each container with its ID (a replaced container re-runs it).
            const run = regs.find((r) => r.name === "agents-containai-docker-running")!.inputs;
            assert.equal(run.env.CONTAINERS, "alpha agents-alpha-container-id\nbeta agents-beta-container-id");
            // Running, and with the image files ID-mapped (the daemon's rootfs guard checks and repairs).
            assert.deepEqual(run.desired, { "alpha.running": "yes", "alpha.rootfs": "ok", "beta.running": "yes", "beta.rootfs": "ok" });
            assert.equal(run.env.ROOTFS_GUARD, "/usr/local/libexec/containai/containai-docker-rootfs-guard");
            // The health check compares each agent's sshd with the pinned key's SHA256 fingerprint.
            const fp = (k: string): string => `SHA256:${crypto.createHash("sha256").update(Buffer.from(k, "base64")).digest("base64").replace(/=+$/, "")}`;
            assert.equal(regs.find((r) => r.name === "agents-containai-docker-health")!.inputs.env.AGENTS,
                `alpha 2300 127.0.0.1 ${fp("AAAAalpha")}\nbeta 2301 127.0.0.1 ${fp("AAAAbeta")}`);
            // The port record knows where the agents' containers are (their labels fill in older state).
            const ports = regs.find((r) => r.name === "agents-ssh-ports")!.inputs;
            assert.deepEqual([ports.sockets, ports.stack], [["/var/run/containai-docker.sock"], "test"]);
        });

        it("agents from a devcontainer.json: the image built on the daemon (the devcontainer's own build first), the base loaded from its archive first", async () => {
            const repo = path.join(tmp, "repo");
            fs.mkdirSync(path.join(repo, "a", ".devcontainer"), { recursive: true });
            fs.mkdirSync(path.join(repo, "b", ".devcontainer"), { recursive: true });
            fs.writeFileSync(path.join(repo, "a", ".devcontainer", "devcontainer.json"), '{ "image": "lab/base:1", "forwardPorts": [3000], }');
            fs.writeFileSync(path.join(repo, "b", ".devcontainer", "devcontainer.json"), '{ "build": { "dockerfile": "Dockerfile", "args": { "X": "1" } } }');
            fs.writeFileSync(path.join(repo, "b", ".devcontainer", "Dockerfile"), "FROM lab/base:1\n");
            const sha = "c".repeat(64);
            const { regs, seen, error } = await runProgram({ ssh, operator: { sshConfig: true, sshDir: path.join(tmp, "ssh") }, agents: [
                { name: "alpha", devcontainer: path.join(repo, "a", ".devcontainer", "devcontainer.json"), authorizedKeys: [PUB],
                    imageArchive: { url: "http://lab/base.tar", sha256: sha } },
                { name: "beta", devcontainer: path.join(repo, "b", ".devcontainer", "devcontainer.json"), authorizedKeys: [PUB] },
            ] });
            assert.equal(error, undefined, String(error));
            const images = regs.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
            assert.deepEqual(images.map((r) => r.name).sort(), ["agents-alpha-devcontainer", "agents-beta-devcontainer", "agents-beta-devcontainer-base"]);
            const byName = (n: string) => images.find((r) => r.name === n)!.inputs;
            assert.match(byName("agents-alpha-devcontainer").name, /^containai-devcontainer\/alpha:[0-9a-f]{16}$/);
            assert.ok(String(byName("agents-alpha-devcontainer").build.context).startsWith(path.join(tmp, "cache", "devcontainer")));
            assert.equal(byName("agents-alpha-devcontainer").keepLocally, true);
            const base = byName("agents-beta-devcontainer-base");
            assert.match(base.name, /^containai-devcontainer-base\/beta:[0-9a-f]{16}$/);
            assert.deepEqual([base.build.context, base.build.dockerfile, base.build.buildArgs], [path.join(repo, "b", ".devcontainer"), "Dockerfile", { X: "1" }]);
            assert.match(fs.readFileSync(path.join(byName("agents-beta-devcontainer").build.context, "Dockerfile"), "utf8"), new RegExp(`^FROM ${base.name}$`, "m"));
            // The image form's base comes from its archive, before the build; the layer waits for the devcontainer's own build.
            const load = regs.find((r) => r.name === `agents-image-${sha8("containai-docker lab/base:1")}`);
            assert.equal(load?.inputs.env.IMAGE, "lab/base:1");
            const deps = (n: string) => (seen.find((x) => x.name === n)?.opts?.dependsOn ?? []) as pulumi.Resource[];
            assert.equal(deps("agents-alpha-devcontainer").length, 2, "the prepare step and the archive's load");
            assert.equal(deps("agents-beta-devcontainer").length, 1, "its base build");
            // The containers run the layer's image; the SSH config forwards the port.
            const container = regs.find((r) => r.name === "agents-alpha-container")!.inputs;
            assert.equal(container.image, `sha256:${byName("agents-alpha-devcontainer").name}`);
            const conf = regs.find((r) => r.name === "agents-operator-ssh")!.inputs;
            assert.match(JSON.stringify(conf), /LocalForward localhost:3000 localhost:3000/);
        });

        it("inner containerd on volumes: agents of layout 2 have them; an older agent keeps its container until it opts in", async () => {
            const cfg = [
                { name: "old-a", image: "img:1", authorizedKeys: [PUB] },
                { name: "old-b", image: "img:1", authorizedKeys: [PUB], containerdVolumes: true },
            ];
            const { regs, seen, error } = await runProgram({ ssh, agents: cfg });
            assert.equal(error, undefined, String(error));
            const mounts = (n: string): string[] => regs.find((r) => r.name === `agents-${n}-container`)!.inputs.mounts
                .map((m: { target: string }) => m.target);
            assert.deepEqual(mounts("old-a"), ["/home/agent", "/var/lib/docker", "/home/agent/workspace"], "no new mount: not re-created");
            assert.deepEqual(mounts("old-b"), ["/home/agent", "/var/lib/docker", "/var/lib/containerd",
                "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs", "/home/agent/workspace"]);
            const prep = regs.find((r) => r.name === "agents-containai-docker-prepare")!.inputs;
            assert.deepEqual(prep.env.AGENTS.split("\n").map((l: string) => l.split(" ").slice(6).join(" ")),
                ["- - containai:agents[0]", "containai-old-b-containerd containai-old-b-snapshots containai:agents[1]"]);
            assert.equal(prep.env.ROOTFS_GUARD, "/usr/local/libexec/containai/containai-docker-rootfs-guard");
            // Host keys moved from each Agent to Agents (before the host step): aliased, so none is re-created.
            const hk = seen.find((x) => x.name === "agents-old-a-hostkey")!;
            assert.equal(hk.parent, "Agents");
            const alias = (hk.opts?.aliases ?? [])[0] as { parent: pulumi.Output<string> };
            assert.match(await new Promise<string>((ok) => alias.parent.apply(ok)), /containai:agent:Agents\$containai:agent:Agent::agents-old-a$/);
        });

        it("the container: sysbox-runc, systemd as PID 1, limits, labels, loopback SSH, volumes; the host key is a secret", async () => {
            const { regs, seen } = await runProgram({ ssh, agents: agentsCfg });
            const c = regs.find((r) => r.name === "agents-alpha-container")!.inputs;
            assert.equal(c.runtime, "sysbox-runc");
            assert.deepEqual(c.entrypoints, ["/sbin/init"]);
            assert.equal(c.stopSignal, "SIGRTMIN+3");
            assert.equal(c.stopTimeout, 100);
            assert.equal(c.restart, "unless-stopped");
            assert.equal(c.hostname, "alpha");
            assert.equal(c.image, "sha256:ghcr.io/org/agent:1.2");
            // Half of the host (8 CPUs, 16 GiB) by default; beta's own limits.
            assert.deepEqual([c.cpuQuota, c.cpuPeriod, c.memory, c.memorySwap], [400000, 100000, 8192, 8192]);
            const b = regs.find((r) => r.name === "agents-beta-container")!.inputs;
            assert.deepEqual([b.cpuQuota, b.memory, b.memorySwap], [200000, 4096, 4096]);
            const labels = Object.fromEntries(c.labels.map((l: { label: string; value: string }) => [l.label, l.value]));
            assert.deepEqual(labels, {
                "containai.agent": "alpha", "containai.workspace": "/var/lib/containai/workspaces/alpha", "containai.ssh-port": "2300",
                "containai.managed-by": "containai-infra", "containai.stack": "test",
            });
            assert.deepEqual(c.ports, [{ internal: 22, external: 2300, ip: "127.0.0.1", protocol: "tcp" }]);
            assert.deepEqual(c.mounts.map((m: { type: string; source: string; target: string }) => `${m.type} ${m.source} ${m.target}`), [
                "volume containai-alpha-home /home/agent", "volume containai-alpha-docker /var/lib/docker",
                "volume containai-alpha-containerd /var/lib/containerd",
                "volume containai-alpha-snapshots /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs",
                "bind /var/lib/containai/workspaces/alpha /home/agent/workspace"]);
            const uploads = seen.find((s) => s.name === "agents-alpha-container")!.props.uploads as { file: string; content: unknown; permissions: string }[];
            // The generated private host key is a secret output (the engine applies additionalSecretOutputs;
            // mocks do not, so lab test A2 checks the state itself), and reaches the container as that output.
            const keyUpload = uploads.find((u) => u.file === "/etc/ssh/containai_host_ed25519_key")!;
            assert.ok(pulumi.Output.isInstance(keyUpload.content));
            const hk = seen.find((s) => s.name === "agents-alpha-hostkey")!.opts as pulumi.CustomResourceOptions;
            assert.deepEqual(hk.additionalSecretOutputs, ["privateKey"]);
            const files = uploads.map((u) => `${u.file} ${u.permissions}`);
            assert.deepEqual(files, ["/etc/ssh/sshd_config.d/00-containai.conf 0644", "/etc/ssh/containai_authorized_keys 0644",
                "/etc/ssh/containai_host_ed25519_key 0600", "/etc/ssh/containai_host_ed25519_key.pub 0644"]);
            // The docker provider reaches the instance socket over SSH with the pinned host key.
            const p = regs.find((r) => r.name === "agents-containai-docker")!.inputs;
            assert.equal(p.host, "ssh://root@10.1.2.3:22/var/run/containai-docker.sock");
            assert.match(JSON.parse(p.sshOpts).join(" "), /StrictHostKeyChecking=yes.*-i .*id_ed25519/);
            // No operator files unless asked for.
            assert.ok(!regs.some((r) => r.name === "agents-operator-ssh"));
        });

        it("backups: one host step after the agents, its env (the password) secret; none without containai:backup", async () => {
            const backup = { repository: "s3:https://s3.example/b/r", password: "pw-mock", env: { AWS_SECRET_ACCESS_KEY: "k" } };
            const { regs, seen, error } = await runProgram({ ssh, agents: agentsCfg, backup }, ["containai:backup"]);
            assert.equal(error, undefined, String(error));
            assert.ok(regs.some((r) => r.type === "containai:backup:AgentBackups" && r.name === "backup"));
            const step = regs.find((r) => r.name === "backup-restic");
            assert.ok(step, "backup-restic registered");
            assert.equal(seen.find((x) => x.name === "backup-restic")?.parent, "AgentBackups");
            assert.deepEqual(step.inputs.desired, { setup: "ok", "alpha.backup": "ok", "beta.backup": "ok" });
            const env = seen.find((x) => x.name === "backup-restic")?.props.env;
            assert.ok(pulumi.Output.isInstance(env), "env is an Output");
            assert.equal(await (env as any).isSecret, true, "the env (the password) is secret");
            const text = await new Promise<Record<string, string>>((ok) => (env as pulumi.Output<Record<string, string>>).apply(ok));
            assert.match(text.AGENTS_TEXT, /^alpha \/var\/run\/containai-docker\.sock alpha \/var\/lib\/containai\/workspaces\/alpha containai-alpha-home 0$/m);
            assert.match(text.ENV_TEXT, /^RESTIC_PASSWORD=pw-mock$/m);
            // After the agents: it depends on the agents component.
            const deps = (seen.find((x) => x.name === "backup-restic")?.opts?.dependsOn ?? []) as pulumi.Resource[];
            assert.ok(deps.length > 0, "dependsOn the agents");
            const plain = await runProgram({ ssh, agents: agentsCfg });
            assert.deepEqual(plain.regs.filter((r) => /backup/.test(r.name)).map((r) => r.name), []);
        });

        it("no agents: nothing agent-related is registered", async () => {
            const { regs } = await runProgram({ ssh: baseSsh }, ["containai:ssh"]);
            assert.deepEqual(regs.filter((r) => /docker:|containai:agent:Agent$|ssh-ports/.test(r.type + r.name)).map((r) => r.name), []);
        });
    });

    describe("release stack", () => {
        const REL = { owner: "acme", repository: "sysbox-builds", sysboxRef: "v0.7.1", version: "0.7.2" };

        it("a stack with containai:release and no ssh is a release stack: workflow, script, variable, release, checksums", async () => {
            const { regs, seen, error } = await runProgram({ release: { ...REL, token: "ghp_secret" } }, ["containai:release"]);
            assert.equal(error, undefined, String(error));
            const types = regs.map((r) => `${r.type}::${r.name}`);
            for (const want of [
                "containai:release:SysboxRelease::release",
                "pulumi:providers:github::release-github",
                "pulumi-nodejs:dynamic:Resource::release-token-scopes",
                "github:index/repositoryFile:RepositoryFile::release-workflow",
                "github:index/repositoryFile:RepositoryFile::release-script",
                "github:index/actionsVariable:ActionsVariable::release-ref",
                "github:index/release:Release::release-release",
                "pulumi-nodejs:dynamic:Resource::release-checksums",
            ]) {
                assert.ok(types.includes(want), `${want} not registered; got:\n${types.join("\n")}`);
            }
            assert.ok(!types.some((t) => t.startsWith("containai:host:")), "a release stack converges no host");
            const get = (n: string): Reg => regs.find((r) => r.name === n)!;
            assert.equal(get("release-workflow").inputs.file, ".github/workflows/build-sysbox.yml");
            assert.equal(get("release-workflow").inputs.content, renderReleaseWorkflow({ archs: ["amd64", "arm64"] }));
            assert.equal(get("release-script").inputs.content, fs.readFileSync(path.join(projectRoot(), "scripts", "build-sysbox.sh"), "utf8"));
            assert.deepEqual([get("release-ref").inputs.variableName, get("release-ref").inputs.value], ["SYSBOX_REF", "v0.7.1"]);
            assert.deepEqual([get("release-release").inputs.tagName, get("release-release").inputs.targetCommitish], ["sysbox-v0.7.2", "main"]);
            assert.equal(get("release-checksums").inputs.baseUrl, "https://github.com/acme/sysbox-builds/releases/download");
            // The token is a secret wherever it goes.
            const tok = seen.find((x) => x.name === "release-github")!.props.token;
            assert.equal(await (tok as any).isSecret, true);
            assert.equal(await (seen.find((x) => x.name === "release-token-scopes")!.props.token as any).isSecret, true);
        });

        it("publish false indexes an existing release: no GitHub resources, the same outputs", async () => {
            const { regs, error } = await runProgram({ release: { ...REL, publish: false, downloadBaseUrl: "http://mirror.example/rel" } });
            assert.equal(error, undefined, String(error));
            assert.deepEqual(regs.filter((r) => r.type.startsWith("github:") || r.type.includes("providers:github")).map((r) => r.name), []);
            assert.equal(regs.find((r) => r.name === "release-checksums")!.inputs.baseUrl, "http://mirror.example/rel");
        });
    });
});
