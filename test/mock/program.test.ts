// Mock tests of the whole program (graph shape, not host behaviour: the lab
// tests cover that against real hosts with the real engine).
import * as assert from "node:assert/strict";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { projectRoot } from "../helpers";
import { describe, it } from "mocha";

describe("program graph (mocks)", () => {
    interface Reg { type: string; name: string; inputs: any; parent?: string; }
    interface Seen { type: string; name: string; props: Record<string, unknown>; parent?: string; }

    const HOSTKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Q=";

    async function runProgram(config: Record<string, unknown>, secretKeys: string[] = []): Promise<{ regs: Reg[]; seen: Seen[]; error?: Error }> {
        const regs: Reg[] = [];
        const seen: Seen[] = [];
        await pulumi.runtime.setMocks({
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const state = { ...args.inputs };
                if (args.name.endsWith("-preflight-check")) {
                    state.facts = { arch: "amd64", kernel: "6.8.0", os_id: "ubuntu", os_version: "24.04" };
                    state.apparmorDropin = false;
                    state.apparmorDacOverride = false;
                }
                if (args.type === "pulumi-nodejs:dynamic:Resource") state.observed = { version: "0.7.1" };
                regs.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state };
            },
            call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
        }, "containai-infra", "test", true);
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
                (rt.__containaiSeen as Seen[] | undefined)?.push({ type: a[2], name: a[3], props: a[7] ?? {}, parent: a[1]?.constructor?.name });
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
});
