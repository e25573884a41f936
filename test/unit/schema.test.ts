import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ConfigError, RawConfig, validateConfig, parseMemory, parseCpus, gatewayOf } from "../../components/config/schema";

const SSH = { host: "10.0.0.5", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==", privateKeyFile: "/k" };

function problems(raw: RawConfig, secret: string[] = []): { key: string; message: string }[] {
    try {
        validateConfig(raw, new Set(secret));
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return e.problems;
    }
    return [];
}

function expectProblem(raw: RawConfig, key: string, re: RegExp, secret: string[] = []): void {
    const ps = problems(raw, secret);
    const hit = ps.find((p) => p.key === key);
    assert.ok(hit, `no problem for ${key}; got ${JSON.stringify(ps)}`);
    assert.match(hit.message, re);
}

test("a minimal config gets the documented defaults", () => {
    const c = validateConfig({ ssh: SSH });
    assert.equal(c.ssh.port, 22);
    assert.equal(c.ssh.user, "root");
    assert.equal(c.ssh.sudo, false);
    assert.equal(c.sysbox.source, "upstream");
    assert.equal(c.sysbox.version, "0.7.1");
    assert.match(c.sysbox.sha256.amd64 ?? "", /^[0-9a-f]{64}$/);
    assert.equal(c.daemons.length, 1);
    const d = c.daemons[0];
    assert.equal(d.name, "containai-docker");
    assert.equal(d.socket, "/var/run/containai-docker.sock");
    assert.equal(d.configFile, "/etc/containai/docker/daemon.json");
    assert.equal(d.dataRoot, "/var/lib/containai-docker");
    assert.equal(d.bridge.name, "cai0");
    assert.equal(d.bridge.cidr, "172.30.0.1/16");
    assert.equal(d.defaultRuntime, "sysbox-runc");
    assert.equal(d.removeDataOnDestroy, false);
    assert.equal(c.engine.package, "docker.io");
    assert.deepEqual(c.agents, []);
});

test("a non-root user defaults to sudo", () => {
    assert.equal(validateConfig({ ssh: { ...SSH, user: "ops" } }).ssh.sudo, true);
});

test("missing host address", () => {
    expectProblem({}, "containai:ssh.host", /missing; set it with: pulumi config set --path containai:ssh.host/);
    expectProblem({ ssh: { hostKey: SSH.hostKey } }, "containai:ssh.host", /missing/);
});

test("port out of range", () => {
    expectProblem({ ssh: { ...SSH, port: 70000 } }, "containai:ssh.port", /70000 is outside 1-65535/);
    expectProblem({ ssh: { ...SSH, port: "ssh" } }, "containai:ssh.port", /not a whole number/);
});

test("host key must be pinned", () => {
    expectProblem({ ssh: { host: "h" } }, "containai:ssh.hostKey", /must be pinned/);
});

test("non-absolute paths", () => {
    expectProblem({ ssh: SSH, daemons: [{ dataRoot: "var/lib/x" }] }, "containai:daemons[0].dataRoot", /not an absolute path/);
    expectProblem({ ssh: SSH, daemons: [{ socket: "x.sock" }] }, "containai:daemons[0].socket", /not an absolute path/);
    expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", workspace: "work" }] }, "containai:agents[0].workspace", /not an absolute path/);
});

test("unknown sysbox source", () => {
    expectProblem({ ssh: SSH, sysbox: { source: "github" } }, "containai:sysbox.source", /"github" is not a known sysbox source; use upstream, custom or file/);
});

test("version not semver", () => {
    expectProblem({ ssh: SSH, sysbox: { version: "latest" } }, "containai:sysbox.version", /"latest" is not a semantic version/);
});

test("sha256 not 64 hex chars", () => {
    expectProblem({ ssh: SSH, sysbox: { sha256: { amd64: "abc123" } } }, "containai:sysbox.sha256.amd64", /is not a sha256 \(64 lowercase hex/);
    expectProblem({ ssh: SSH, sysbox: { source: "file", file: { path: "/tmp/s.deb", sha256: "Z".repeat(64) } } },
        "containai:sysbox.file.sha256", /not a sha256/);
});

test("upstream version with no known checksum asks for one", () => {
    expectProblem({ ssh: SSH, sysbox: { version: "0.8.0" } }, "containai:sysbox.sha256", /no checksum known for sysbox 0\.8\.0; pin it/);
});

test("custom source needs a template with {arch} and checksums", () => {
    expectProblem({ ssh: SSH, sysbox: { source: "custom" } }, "containai:sysbox.custom", /missing: source is custom/);
    expectProblem({ ssh: SSH, sysbox: { source: "custom", custom: { urlTemplate: "https://x/y.deb", sha256: { amd64: "a".repeat(64) } } } },
        "containai:sysbox.custom.urlTemplate", /must contain \{arch\}/);
});

test("duplicate agent names", () => {
    expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i" }, { name: "a", image: "i" }] },
        "containai:agents[1].name", /"a" is already used by agents\[0\]/);
});

test("two agents on the same SSH port", () => {
    expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", sshPort: 2301 }, { name: "b", image: "i", sshPort: 2301 }] },
        "containai:agents[1].sshPort", /2301 is already used by agents\[0\]/);
});

test("SSH port outside 2300-2500", () => {
    expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", sshPort: 2600 }] },
        "containai:agents[0].sshPort", /2600 is outside 2300-2500/);
});

test("memory and cpu that do not parse", () => {
    expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", memory: "lots" }] }, "containai:agents[0].memory", /does not parse/);
    expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", cpus: "two" }] }, "containai:agents[0].cpus", /does not parse/);
});

test("memory and cpu that exceed the host", () => {
    const capacity = { cpus: 4, memory: "8g" };
    expectProblem({ ssh: SSH, capacity, agents: [{ name: "a", image: "i", memory: "16g" }] }, "containai:agents[0].memory", /exceeds the host's memory/);
    expectProblem({ ssh: SSH, capacity, agents: [{ name: "a", image: "i", cpus: 8 }] }, "containai:agents[0].cpus", /8 exceeds the host's 4 CPUs/);
});

test("bridge CIDR that is not a CIDR", () => {
    expectProblem({ ssh: SSH, daemons: [{ bridge: { cidr: "172.30.0.1" } }] }, "containai:daemons[0].bridge.cidr", /not an IPv4 CIDR/);
    expectProblem({ ssh: SSH, daemons: [{ bridge: { cidr: "300.1.1.1/16" } }] }, "containai:daemons[0].bridge.cidr", /not an IPv4 CIDR/);
});

test("bridge CIDR overlapping another instance", () => {
    expectProblem({ ssh: SSH, daemons: [{ name: "a", bridge: { cidr: "172.30.0.1/16" } }, { name: "b", bridge: { name: "cai9", cidr: "172.30.5.1/24" } }] },
        "containai:daemons[1].bridge.cidr", /overlaps daemons\[0\]\.bridge\.cidr/);
});

test("two daemon instances sharing a socket, data-root or bridge", () => {
    const a = { name: "a", socket: "/run/x.sock", dataRoot: "/var/lib/x", bridge: { name: "br0", cidr: "10.1.0.1/24" } };
    const b = { name: "b", socket: "/run/x.sock", dataRoot: "/var/lib/x", bridge: { name: "br0", cidr: "10.2.0.1/24" } };
    const ps = problems({ ssh: SSH, daemons: [a, b] });
    const keys = ps.map((p) => p.key);
    assert.ok(keys.includes("containai:daemons[1].socket"), keys.join(","));
    assert.ok(keys.includes("containai:daemons[1].dataRoot"), keys.join(","));
    assert.ok(keys.includes("containai:daemons[1].bridge.name"), keys.join(","));
    assert.match(ps.find((p) => p.key === "containai:daemons[1].socket")!.message, /already the socket of daemons\[0\]/);
});

test("private key given in plaintext config", () => {
    const raw = { ssh: { host: "h", hostKey: SSH.hostKey, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n" } };
    expectProblem(raw, "containai:ssh.privateKey", /is stored in plaintext; store it as a secret: pulumi config set --secret/);
    assert.deepEqual(problems(raw, ["containai:ssh"]), [], "the same key stored as a secret is accepted");
});

test("unknown settings are named (typos do not pass silently)", () => {
    expectProblem({ ssh: { ...SSH, prot: 22 } }, "containai:ssh.prot", /unknown setting/);
});

test("all problems are reported at once, each naming its key", () => {
    const ps = problems({ ssh: { port: 0 }, sysbox: { source: "x", version: "v1" }, agents: [{ name: "a", image: "i", sshPort: 9 }] });
    const keys = ps.map((p) => p.key);
    for (const k of ["containai:ssh.host", "containai:ssh.port", "containai:sysbox.source", "containai:sysbox.version", "containai:agents[0].sshPort"]) {
        assert.ok(keys.includes(k), `${k} missing from ${keys.join(", ")}`);
    }
    try {
        validateConfig({ ssh: { port: 0 } });
        assert.fail("should throw");
    } catch (e) {
        assert.match((e as Error).message, /invalid stack configuration \(\d+ problems\); nothing was changed on the host/);
    }
});

test("size and cpu parsing", () => {
    assert.equal(parseMemory("8g"), 8 * 1024 ** 3);
    assert.equal(parseMemory("512Mi"), 512 * 1024 ** 2);
    assert.equal(parseMemory("1.5GiB"), 1.5 * 1024 ** 3);
    assert.equal(parseMemory("x"), undefined);
    assert.equal(parseCpus("500m"), 0.5);
    assert.equal(parseCpus(2), 2);
    assert.equal(parseCpus("-1"), undefined);
    assert.equal(gatewayOf("172.30.0.0/16"), "172.30.0.1/16");
    assert.equal(gatewayOf("172.30.0.1/16"), "172.30.0.1/16");
});
