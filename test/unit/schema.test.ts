import * as assert from "node:assert/strict";
import { checkConfig, ConfigError, RawConfig, validateConfig, parseMemory, parseCpus, gatewayOf } from "../../components/config/schema";
import { TEST_HOSTKEY } from "../helpers";
import { describe, it } from "mocha";

describe("stack config validation", () => {
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

    it("a minimal config gets the documented defaults", () => {
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

    it("a non-root user defaults to sudo", () => {
        assert.equal(validateConfig({ ssh: { ...SSH, user: "ops" } }).ssh.sudo, true);
    });

    it("missing host address", () => {
        expectProblem({}, "containai:ssh.host", /missing; set it with: pulumi config set --path containai:ssh.host/);
        expectProblem({ ssh: { hostKey: SSH.hostKey } }, "containai:ssh.host", /missing/);
    });

    it("port out of range", () => {
        expectProblem({ ssh: { ...SSH, port: 70000 } }, "containai:ssh.port", /70000 is outside 1-65535/);
        expectProblem({ ssh: { ...SSH, port: "ssh" } }, "containai:ssh.port", /not a whole number/);
    });

    it("host key must be pinned", () => {
        expectProblem({ ssh: { host: "h" } }, "containai:ssh.hostKey", /must be pinned/);
    });

    it("non-absolute paths", () => {
        expectProblem({ ssh: SSH, daemons: [{ dataRoot: "var/lib/x" }] }, "containai:daemons[0].dataRoot", /not an absolute path/);
        expectProblem({ ssh: SSH, daemons: [{ socket: "x.sock" }] }, "containai:daemons[0].socket", /not an absolute path/);
        expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", workspace: "work" }] }, "containai:agents[0].workspace", /not an absolute path/);
    });

    it("unknown sysbox source", () => {
        expectProblem({ ssh: SSH, sysbox: { source: "github" } }, "containai:sysbox.source", /"github" is not a known sysbox source; use upstream, custom, file or release/);
    });

    it("version not semver", () => {
        expectProblem({ ssh: SSH, sysbox: { version: "latest" } }, "containai:sysbox.version", /"latest" is not a semantic version/);
    });

    it("sha256 not 64 hex chars", () => {
        expectProblem({ ssh: SSH, sysbox: { sha256: { amd64: "abc123" } } }, "containai:sysbox.sha256.amd64", /is not a sha256 \(64 lowercase hex/);
        expectProblem({ ssh: SSH, sysbox: { source: "file", file: { path: "/tmp/s.deb", sha256: "Z".repeat(64) } } },
            "containai:sysbox.file.sha256", /not a sha256/);
    });

    it("upstream version with no known checksum asks for one", () => {
        expectProblem({ ssh: SSH, sysbox: { version: "0.8.0" } }, "containai:sysbox.sha256", /no checksum known for sysbox 0\.8\.0; pin it/);
    });

    it("custom source needs a template with {arch} and checksums", () => {
        expectProblem({ ssh: SSH, sysbox: { source: "custom" } }, "containai:sysbox.custom", /missing: source is custom/);
        expectProblem({ ssh: SSH, sysbox: { source: "custom", custom: { urlTemplate: "https://x/y.deb", sha256: { amd64: "a".repeat(64) } } } },
            "containai:sysbox.custom.urlTemplate", /must contain \{arch\}/);
    });

    it("duplicate agent names", () => {
        expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i" }, { name: "a", image: "i" }] },
            "containai:agents[1].name", /"a" is already used by agents\[0\]/);
    });

    it("two agents on the same SSH port", () => {
        expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", sshPort: 2301 }, { name: "b", image: "i", sshPort: 2301 }] },
            "containai:agents[1].sshPort", /2301 is already used by agents\[0\]/);
    });

    it("SSH port outside 2300-2500", () => {
        expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", sshPort: 2600 }] },
            "containai:agents[0].sshPort", /2600 is outside 2300-2500/);
    });

    it("memory and cpu that do not parse", () => {
        expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", memory: "lots" }] }, "containai:agents[0].memory", /does not parse/);
        expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i", cpus: "two" }] }, "containai:agents[0].cpus", /does not parse/);
    });

    it("memory and cpu that exceed the host", () => {
        const capacity = { cpus: 4, memory: "8g" };
        expectProblem({ ssh: SSH, capacity, agents: [{ name: "a", image: "i", memory: "16g" }] }, "containai:agents[0].memory", /exceeds the host's memory/);
        expectProblem({ ssh: SSH, capacity, agents: [{ name: "a", image: "i", cpus: 8 }] }, "containai:agents[0].cpus", /8 exceeds the host's 4 CPUs/);
    });

    it("bridge CIDR that is not a CIDR", () => {
        expectProblem({ ssh: SSH, daemons: [{ bridge: { cidr: "172.30.0.1" } }] }, "containai:daemons[0].bridge.cidr", /not an IPv4 CIDR/);
        expectProblem({ ssh: SSH, daemons: [{ bridge: { cidr: "300.1.1.1/16" } }] }, "containai:daemons[0].bridge.cidr", /not an IPv4 CIDR/);
    });

    it("bridge CIDR overlapping another instance", () => {
        expectProblem({ ssh: SSH, daemons: [{ name: "a", bridge: { cidr: "172.30.0.1/16" } }, { name: "b", bridge: { name: "cai9", cidr: "172.30.5.1/24" } }] },
            "containai:daemons[1].bridge.cidr", /overlaps daemons\[0\]\.bridge\.cidr/);
    });

    it("two daemon instances sharing a socket, data-root or bridge", () => {
        const a = { name: "a", socket: "/run/x.sock", dataRoot: "/var/lib/x", bridge: { name: "br0", cidr: "10.1.0.1/24" } };
        const b = { name: "b", socket: "/run/x.sock", dataRoot: "/var/lib/x", bridge: { name: "br0", cidr: "10.2.0.1/24" } };
        const ps = problems({ ssh: SSH, daemons: [a, b] });
        const keys = ps.map((p) => p.key);
        assert.ok(keys.includes("containai:daemons[1].socket"), keys.join(","));
        assert.ok(keys.includes("containai:daemons[1].dataRoot"), keys.join(","));
        assert.ok(keys.includes("containai:daemons[1].bridge.name"), keys.join(","));
        assert.match(ps.find((p) => p.key === "containai:daemons[1].socket")!.message, /already the socket of daemons\[0\]/);
    });

    it("private key given in plaintext config", () => {
        const raw = { ssh: { host: "h", hostKey: SSH.hostKey, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n" } };
        expectProblem(raw, "containai:ssh.privateKey", /is stored in plaintext; store it as a secret: pulumi config set --secret/);
        assert.deepEqual(problems(raw, ["containai:ssh"]), [], "the same key stored as a secret is accepted");
    });

    it("unknown settings are named (typos do not pass silently)", () => {
        expectProblem({ ssh: { ...SSH, prot: 22 } }, "containai:ssh.prot", /unknown setting/);
    });

    it("all problems are reported at once, each naming its key", () => {
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

    it("size and cpu parsing", () => {
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

    // ------------------------------------------------ hardening (issue #7)

    const KEY = TEST_HOSTKEY;

    it("credentials in a plaintext mirror or custom URL are refused, never echoed; as a secret they are accepted", () => {
        const mirror = { ssh: SSH, sysbox: { mirrorUrl: "https://ops:s3cr3t@mirror.example/sysbox" } };
        const ps = problems(mirror);
        const hit = ps.find((p) => p.key === "containai:sysbox.mirrorUrl");
        assert.ok(hit, JSON.stringify(ps));
        assert.match(hit.message, /carries credentials in plaintext config; store the URL as a secret: pulumi config set --secret --path containai:sysbox\.mirrorUrl/);
        assert.doesNotMatch(JSON.stringify(ps), /s3cr3t/);
        const custom = { ssh: SSH, sysbox: { source: "custom", custom: {
            urlTemplate: "https://ci:t0ken@builds.example/sysbox-ce_{version}.linux_{arch}.deb", version: "0.7.1", sha256: { amd64: "a".repeat(64) } } } };
        expectProblem(custom, "containai:sysbox.custom.urlTemplate", /carries credentials in plaintext config/);
        assert.doesNotMatch(JSON.stringify(problems(custom)), /t0ken/);
        assert.deepEqual(problems(mirror, ["containai:sysbox"]), []);
        assert.deepEqual(problems(custom, ["containai:sysbox"]), []);
        // A broken URL with credentials is reported without them too.
        assert.doesNotMatch(JSON.stringify(problems({ ssh: SSH, sysbox: { mirrorUrl: "ftp://u:pw123@x/" } }, ["containai:sysbox"])), /pw123/);
    });

    it("the default Docker's socket, config, data-root, exec-root and pidfile are refused", () => {
        const cases: [string, string, RegExp][] = [
            ["socket", "/var/run/docker.sock", /the default Docker's socket/],
            ["socket", "/run/docker.sock", /the default Docker's socket/],
            ["configFile", "/etc/docker/daemon.json", /the default Docker's configuration directory/],
            ["dataRoot", "/var/lib/docker", /the default Docker's data-root/],
            ["dataRoot", "/var/lib/docker/sub", /the default Docker's data-root/],
            ["dataRoot", "/var/lib", /the default Docker's data-root/],
            ["dataRoot", "/var/lib/containerd", /containerd's data/],
            ["execRoot", "/var/run/docker", /the default Docker's exec-root/],
            ["pidfile", "/var/run/docker.pid", /the default Docker's pidfile/],
        ];
        for (const [field, value, re] of cases) {
            expectProblem({ ssh: SSH, daemons: [{ [field]: value }] }, `containai:daemons[0].${field}`, re);
        }
    });

    it("a data-root in a place that does not survive a reboot is refused", () => {
        for (const p of ["/tmp/cai", "/var/tmp/x", "/run/cai", "/var/run/cai", "/dev/shm/x"]) {
            expectProblem({ ssh: SSH, daemons: [{ dataRoot: p }] }, "containai:daemons[0].dataRoot", /does not keep data across reboots/);
        }
    });

    it("nested data-roots of two instances are refused", () => {
        expectProblem({ ssh: SSH, daemons: [{ name: "a", dataRoot: "/srv/cai" }, { name: "b", dataRoot: "/srv/cai/b", bridge: { name: "cai9", cidr: "10.9.0.1/24" } }] },
            "containai:daemons[1].dataRoot", /is nested with daemons\[0\]\.dataRoot/);
    });

    it("paths that reach a shell or a mount refuse quotes, $, backticks, newlines and other metacharacters", () => {
        for (const bad of ["/srv/it's", "/srv/$HOME", "/srv/`id`", "/srv/a\nb", "/srv/a;b", "/srv/a b", "/srv/a\"b", "/srv/*"]) {
            expectProblem({ ssh: SSH, daemons: [{ dataRoot: bad }] }, "containai:daemons[0].dataRoot", /paths reach shell scripts, systemd units and mount specs/);
            expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i:1", workspace: bad }] }, "containai:agents[0].workspace", /only letters, digits/);
        }
        expectProblem({ ssh: SSH, daemons: [{ dataRoot: "/srv/../etc" }] }, "containai:daemons[0].dataRoot", /contains '\.\.'/);
    });

    it("context name, socket group, default runtime and storage driver are checked against what docker and groupadd accept", () => {
        expectProblem({ ssh: SSH, daemons: [{ contextName: "team/cai" }] }, "containai:daemons[0].contextName", /not a valid docker context name .*no '\/'/);
        expectProblem({ ssh: SSH, daemons: [{ contextName: "default" }] }, "containai:daemons[0].contextName", /docker's own context/);
        expectProblem({ ssh: SSH, daemons: [{ socketGroup: "Docker Users" }] }, "containai:daemons[0].socketGroup", /not a valid group name/);
        expectProblem({ ssh: SSH, daemons: [{ socketGroup: "g".repeat(33) }] }, "containai:daemons[0].socketGroup", /too long \(33 characters; group names have at most 32\)/);
        expectProblem({ ssh: SSH, daemons: [{ defaultRuntime: "kata" }] }, "containai:daemons[0].defaultRuntime", /"kata" is not a runtime this daemon has; use one of sysbox-runc, runc/);
        expectProblem({ ssh: SSH, daemons: [{ storageDriver: "overlay3" }] }, "containai:daemons[0].storageDriver", /not a dockerd storage driver/);
        assert.deepEqual(problems({ ssh: SSH, daemons: [{ contextName: "cai-prod.1", socketGroup: "cai_ops", defaultRuntime: "runc", storageDriver: "vfs" }] }), []);
    });

    it("an empty string is an error naming the key, not 'unset'", () => {
        expectProblem({ ssh: SSH, daemons: [{ contextName: "" }] }, "containai:daemons[0].contextName", /is empty; set a value, or remove the key/);
        expectProblem({ ssh: SSH, daemons: [{ socketGroup: "  " }] }, "containai:daemons[0].socketGroup", /is empty/);
        expectProblem({ ssh: { ...SSH, user: "" } }, "containai:ssh.user", /is empty/);
    });

    it("names that are too long say so; bridge names the host uses are refused", () => {
        expectProblem({ ssh: SSH, daemons: [{ name: "d".repeat(33) }] }, "containai:daemons[0].name", /too long \(33 characters; at most 32\)/);
        expectProblem({ ssh: SSH, agents: [{ name: "a".repeat(64), image: "i:1" }] }, "containai:agents[0].name", /too long \(64 characters; at most 63\)/);
        expectProblem({ ssh: SSH, daemons: [{ bridge: { name: "containai-bridge0" } }] }, "containai:daemons[0].bridge.name", /too long \(17 characters; interface names have at most 15\)/);
        expectProblem({ ssh: SSH, daemons: [{ bridge: { name: "docker0" } }] }, "containai:daemons[0].bridge.name", /a name the host's default Docker or network uses/);
    });

    it("SSH ports 2375-2377 are reserved", () => {
        for (const port of [2375, 2376, 2377]) {
            expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i:1", sshPort: port }] }, "containai:agents[0].sshPort", /is reserved \(2375\/2376 Docker API, 2377 swarm\)/);
        }
    });

    it("cpus and memory of 0 or below say 'must be > 0'", () => {
        for (const v of [0, -1, "0", "-2"]) {
            expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i:1", cpus: v }] }, "containai:agents[0].cpus", /must be > 0/);
            expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i:1", memory: v }] }, "containai:agents[0].memory", /must be > 0/);
        }
        expectProblem({ ssh: SSH, capacity: { cpus: 0 } }, "containai:capacity.cpus", /must be > 0/);
    });

    it("an unpinned agent image is accepted with a warning", () => {
        for (const image of ["ghcr.io/org/agent", "ghcr.io/org/agent:latest", "localhost:5000/agent"]) {
            const { problems: ps, warnings } = checkConfig({ ssh: SSH, agents: [{ name: "a", image, authorizedKeys: [KEY] }] });
            assert.deepEqual(ps, []);
            assert.equal(warnings.length, 1, image);
            assert.equal(warnings[0].key, "containai:agents[0].image");
            assert.match(warnings[0].message, /is not pinned/);
        }
        for (const image of ["ghcr.io/org/agent:1.4.2", "localhost:5000/agent:2", "agent@sha256:" + "a".repeat(64)]) {
            assert.deepEqual(checkConfig({ ssh: SSH, agents: [{ name: "a", image, authorizedKeys: [KEY] }] }).warnings, [], image);
        }
    });

    it("authorized keys and the host key are checked whole: type, base64, and the decoded key's own type", () => {
        const [, blob] = KEY.split(" ");
        const cases: [string, RegExp][] = [
            ["ssh-ed25519", /is not "<type> <base64> \[comment\]"/],
            ["ssh-ed25519 AAAA!!!!", /not valid base64/],
            ["ssh-ed25519 AAAA", /too short/],
            [`ssh-rsa ${blob} me@laptop`, /says "ssh-rsa" but its key data is a "ssh-ed25519" key/],
            [`ssh-dss ${blob}`, /unknown key type "ssh-dss"/],
            ["ssh-ed25519 " + Buffer.from("garbage that is long enough").toString("base64"), /does not decode to an OpenSSH key/],
        ];
        for (const [k, re] of cases) {
            expectProblem({ ssh: SSH, agents: [{ name: "a", image: "i:1", authorizedKeys: [k] }] }, "containai:agents[0].authorizedKeys[0]", re);
            expectProblem({ ssh: { ...SSH, hostKey: k } }, "containai:ssh.hostKey", re);
        }
        assert.deepEqual(problems({ ssh: { ...SSH, hostKey: KEY }, agents: [{ name: "a", image: "i:1", authorizedKeys: [`${KEY} me@laptop`] }] }), []);
    });

    it("sysbox below 0.7.0 is refused at validation (the openat2 rule), unless explicitly allowed", () => {
        const sha = { amd64: "b".repeat(64) };
        expectProblem({ ssh: SSH, sysbox: { version: "0.6.7", sha256: sha } }, "containai:sysbox.version", /sysbox 0\.6\.7 lacks the openat2 fix/);
        expectProblem({ ssh: SSH, sysbox: { source: "custom", custom: { urlTemplate: "https://x/{version}/{arch}.deb", version: "0.6.6", sha256: sha } } },
            "containai:sysbox.custom.version", /lacks the openat2 fix/);
        assert.deepEqual(problems({ ssh: SSH, sysbox: { version: "0.6.7", sha256: sha, allowUnfixedOpenat2: true } }), []);
    });

    it("hints name the containai: namespace (a bare key writes <project>:key, which the program never reads)", () => {
        const raw = { ssh: { host: "h", hostKey: KEY, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n" } };
        expectProblem(raw, "containai:ssh.privateKey", /pulumi config set --secret --path containai:ssh\.privateKey/);
        expectProblem({ ssh: SSH, sysbox: { version: "0.8.0" } }, "containai:sysbox.sha256", /pulumi config set --path containai:sysbox\.sha256\.amd64/);
    });
});
