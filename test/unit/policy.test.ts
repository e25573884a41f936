import * as assert from "node:assert/strict";
import { describe, it } from "mocha";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { CONTAINER, DOCKER_PROVIDER, DYNAMIC, policies } from "../../policy/rules";

// The policy pack with fake resource args: each policy's validateResource is
// called directly and its violations collected.
describe("policy pack: the guardrails as mandatory policies", () => {
    const agentLabels = [{ label: "containai.agent", value: "alpha" }, { label: "containai.managed-by", value: "containai-infra" }];
    const good = {
        runtime: "sysbox-runc", memory: 512, memorySwap: 512, cpuQuota: 100000, cpuPeriod: 100000, labels: agentLabels,
        mounts: [{ type: "volume", source: "containai-alpha-home", target: "/home/agent" },
            { type: "bind", source: "/var/lib/containai/workspaces/alpha", target: "/home/agent/workspace" }],
    };
    function violations(type: string, name: string, props: Record<string, unknown>): string[] {
        const out: string[] = [];
        const args = { type, name, props, urn: `urn:pulumi:s::p::${type}::${name}`, opts: {} } as unknown as ResourceValidationArgs;
        for (const p of policies) {
            assert.equal(p.enforcementLevel, "mandatory", p.name);
            void (p.validateResource as (a: ResourceValidationArgs, r: (m: string) => void) => void)(args, (m) => out.push(`${p.name}: ${m}`));
        }
        return out;
    }

    it("a well-formed agent passes every policy", () => {
        assert.deepEqual(violations(CONTAINER, "agents-alpha-container", good), []);
    });

    it("each guardrail is a violation naming the resource", () => {
        const cases: [Record<string, unknown>, RegExp][] = [
            [{ runtime: "runc" }, /agents-run-sysbox: agents-alpha-container runs under "runc", not sysbox-runc/],
            [{ runtime: undefined }, /agents-run-sysbox: .* runs under "the daemon's default"/],
            [{ privileged: true }, /agents-unprivileged: .* is privileged/],
            [{ networkMode: "host" }, /agents-unprivileged: .* shares the host's namespace \(networkMode: host\)/],
            [{ pidMode: "host" }, /pidMode: host/],
            [{ mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }] },
                /agents-no-host-runtime-mounts: .* mounts the host's \/var\/run\/docker\.sock/],
            [{ mounts: [{ type: "bind", source: "/var/lib/docker/volumes", target: "/x" }] }, /overlaps \/var\/lib\/docker/],
            [{ volumes: [{ hostPath: "/proc", containerPath: "/hostproc" }] }, /mounts the host's \/proc/],
            [{ memory: undefined }, /agents-limited: .* has no memory limit/],
            [{ memorySwap: 1024 }, /memory-swap 1024 != memory 512/],
            [{ cpuQuota: undefined }, /has no CPU limit/],
        ];
        for (const [change, re] of cases) {
            const v = violations(CONTAINER, "agents-alpha-container", { ...good, ...change });
            assert.ok(v.some((m) => re.test(m)), `${JSON.stringify(change)}: ${JSON.stringify(v)}`);
        }
        // Containers that are not agents are not judged.
        assert.deepEqual(violations(CONTAINER, "other", { privileged: true }), []);
    });

    it("every remote connection pins a host key; the docker provider checks it against a file", () => {
        assert.deepEqual(violations(DYNAMIC, "host-health", { connection: { host: "h", hostKey: "ssh-ed25519 AAAA" } }), []);
        assert.match(violations(DYNAMIC, "host-health", { connection: { host: "h", hostKey: "" } })[0],
            /ssh-host-keys-pinned: host-health connects over SSH without a pinned host key/);
        const opts = ["-o", "HostKeyAlias=x", "-o", "UserKnownHostsFile=/k", "-o", "StrictHostKeyChecking=yes"];
        assert.deepEqual(violations(DOCKER_PROVIDER, "agents-d", { host: "ssh://u@h:22/s.sock", sshOpts: JSON.stringify(opts) }), []);
        assert.match(violations(DOCKER_PROVIDER, "agents-d", { host: "ssh://u@h:22/s.sock", sshOpts: ["-o", "StrictHostKeyChecking=no"] })[0],
            /without StrictHostKeyChecking=yes and a pinned UserKnownHostsFile/);
    });

    it("the sysbox version meets the compatibility table", () => {
        const env = (v: string) => ({ env: { SYSBOX_CANDIDATES: `http://x/a.deb ${"a".repeat(64)} custom ${v}\nhttp://y/b.deb ${"b".repeat(64)} upstream 0.7.1` } });
        assert.deepEqual(violations(DYNAMIC, "host-sysbox-install", env("0.7.1+containai.1")), []);
        assert.match(violations(DYNAMIC, "host-sysbox-install", env("0.6.7"))[0],
            /sysbox-version-compatible: host-sysbox-install installs sysbox 0\.6\.7, older than 0\.7\.0/);
        // Other dynamic resources' env is not read (it may be unknown in a preview).
        assert.deepEqual(violations(DYNAMIC, "agents-alpha-host", env("0.6.7")), []);
    });
});
