// End-to-end: the real Pulumi engine converging real lab hosts (systemd,
// sshd, apt, dockerd) over real SSH. Sysbox is REAL: LAB BUILDS of 0.7.0
// (lab/sysbox-lab), the base one and two revisions of it (the same sources
// under another version: `v0.7.0-rev2`, `-rev3`), so our install, verify,
// drift and upgrade logic meet three installable versions, and the daemon's
// containers run under sysbox-runc. Every scenario asserts on the host over SSH.
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { checkoutStackFiles, LAB_DIR, ensureLab, execOnHost, hostOk, lab, labConfig as doubleConfig, labSysbox, onHost, ROOT, Stack } from "./harness";
import { TEST_HOSTKEY } from "../helpers";
import { describe, it, before, after } from "mocha";

describe("lab e2e: converge, drift, failures (hosts 2-3)", () => {
    const H = 2;          // converge / drift / rollback / destroy
    const FRESH = 3;      // failure scenarios that must leave a bare host bare
    const SOCK = "/var/run/containai-docker.sock";
    let stack: Stack;
    const stackFilesBefore = checkoutStackFiles();
    /** A Node stack trace line, or the object dump an unhandled error prints. */
    const TRACE = /^\s+at .+\(.+:\d+:\d+\)$|problems: \[|\[Error\]/m;
    type Tag = "v0.7.0" | "v0.7.0-rev2" | "v0.7.0-rev3";
    const builds = {} as Record<Tag, { version: string; config: Record<string, unknown> }>;
    /** Stack config for lab host i with lab build `tag` of real sysbox (a copy: tests edit it). */
    const labConfig = (i: number, extra: Record<string, unknown> = {}, tag: Tag = "v0.7.0"): Record<string, unknown> =>
        ({ ...doubleConfig(i, extra), "containai:sysbox": structuredClone(builds[tag].config) });
    const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    /** `sysbox-runc --version`'s version line for exactly lab build `tag`. */
    const versionLine = (tag: Tag): RegExp => new RegExp(`^\\s*version:\\s+${esc(builds[tag].version)}$`, "m");

    before(() => {
        for (const tag of ["v0.7.0", "v0.7.0-rev2", "v0.7.0-rev3"] as Tag[]) builds[tag] = labSysbox(tag);
        ensureLab(2, 3);
        lab("reset", String(H));
        lab("reset", String(FRESH));
        stack = new Stack("e2e-main", labConfig(H));
    });
    after(() => stack?.cleanup());

    const dockerB = (sock: string, args: string): string => `docker -H unix://${sock} ${args}`;

    it("1. bare host → pulumi up → sysbox, isolated daemon, context; default Docker untouched", () => {
        assert.equal(onHost(H, "test -e /etc/containai").code, 1, "host starts bare");
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        assert.equal(hostOk(H, "systemctl is-active sysbox.service containai-docker.service | sort -u"), "active");
        assert.equal(hostOk(H, "sysbox-runc --version | awk -F: '/version/ {gsub(/[ \\t]/,\"\",$2); print $2}'"), builds["v0.7.0"].version);
        assert.equal(hostOk(H, dockerB(SOCK, "info --format '{{.DefaultRuntime}} {{.DockerRootDir}}'")),
            "sysbox-runc /var/lib/containai-docker");
        assert.equal(hostOk(H, "docker context inspect -f '{{.Endpoints.docker.Host}}' containai-docker"), `unix://${SOCK}`);
        // The default Docker was not on this host before: it stays off, and
        // /etc/docker/daemon.json was never written (the sysbox .deb's postinst never ran).
        assert.notEqual(hostOk(H, "systemctl is-active docker.service || true"), "active");
        assert.equal(onHost(H, "test -e /etc/docker/daemon.json").code, 1, "/etc/docker/daemon.json must not exist");
        // dockerd 20.10 would write its trust key to /etc/docker/key.json; ours is kept beside our config.
        assert.equal(hostOk(H, "ls -A /etc/docker 2>/dev/null | wc -l"), "0", "nothing written into /etc/docker");
        assert.equal(onHost(H, "test -f /etc/containai/docker/key.json").code, 0);
        assert.equal(hostOk(H, "ip -4 -o addr show cai0 | awk '{print $4}'"), "172.30.0.1/16");
    });

    it("2. pulumi preview --expect-no-changes passes right after; the key file's content is nowhere in state", () => {
        const r = stack.preview("--expect-no-changes");
        assert.equal(r.code, 0, r.out);
        // ssh.privateKeyFile: the provider reads the file; state holds its path only, even decrypted.
        const keyBody = fs.readFileSync(path.join(LAB_DIR, "id_ed25519"), "utf8").split("\n")[1];
        const state = stack.pulumi("stack", "export", "--show-secrets");
        assert.equal(state.code, 0, state.out);
        assert.ok(!state.out.includes(keyBody), "the private key is in the state");
        assert.match(state.out, /privateKeyFile\\?":\s*\\?"[^"\\]*id_ed25519/, "the key file's path is in the state");
    });

    it("2b. each dynamic resource's provider code in state is exactly one of the build's serialized texts (dist/components/closures.json)", () => {
        // (That the program sends the stored text rather than serializing at run time is
        // checked by the mock tests: the SDK's serialization would arrive as an Output.)
        const built = Object.values((JSON.parse(fs.readFileSync(path.join(ROOT, "dist", "components", "closures.json"), "utf8")) as
            { providers: Record<string, string> }).providers);
        const state = stack.pulumi("stack", "export");
        assert.equal(state.code, 0, state.out);
        const resources = (JSON.parse(state.out) as { deployment: { resources: { type: string; urn: string; inputs?: Record<string, unknown> }[] } })
            .deployment.resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
        assert.equal(resources.length, 6);
        for (const r of resources) {
            assert.ok(built.includes(r.inputs?.__provider as string), `${r.urn}: __provider is not one of the build's texts`);
        }
    });

    it("3a. hand-edited daemon.json: preview --refresh reports it, up restores it", () => {
        hostOk(H, "jq '. + {\"debug\": true}' /etc/containai/docker/daemon.json > /tmp/d && mv /tmp/d /etc/containai/docker/daemon.json");
        stack.driftReportedThenRestored(/host-containai-docker-instance/);
        assert.equal(hostOk(H, "jq -r '.debug // \"unset\"' /etc/containai/docker/daemon.json"), "unset");
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
    });

    it("3b. stopped daemon: reported and restarted", () => {
        hostOk(H, "systemctl stop containai-docker.service");
        stack.driftReportedThenRestored();
        assert.equal(hostOk(H, "systemctl is-active containai-docker.service"), "active");
        assert.equal(hostOk(H, dockerB(SOCK, "info --format '{{.DefaultRuntime}}'")), "sysbox-runc");
    });

    it("3c. removed context: reported and recreated", () => {
        hostOk(H, "docker context rm -f containai-docker");
        stack.driftReportedThenRestored(/containai-docker-ctx-context/);
        assert.equal(hostOk(H, "docker context inspect -f '{{.Endpoints.docker.Host}}' containai-docker"), `unix://${SOCK}`);
    });

    it("3d. hand-changed sysbox version: reported and put back to the pin", () => {
        // Another version's sysbox-runc over the pinned one (as a manual dpkg -i would).
        const gw = lab("serve");
        hostOk(H, `curl -fsS -o /tmp/other.deb '${gw}/lab-builds/sysbox-ce_${builds["v0.7.0-rev2"].version}.linux_amd64.deb' && dpkg-deb -x /tmp/other.deb /tmp/other && install -m755 /tmp/other/usr/bin/sysbox-runc /usr/bin/sysbox-runc`);
        assert.match(hostOk(H, "sysbox-runc --version"), versionLine("v0.7.0-rev2"));
        stack.driftReportedThenRestored(/host-sysbox-install/);
        assert.match(hostOk(H, "sysbox-runc --version"), versionLine("v0.7.0"));
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
    });

    it("3e. health check at the end of up: a plain up on a host whose daemon was stopped fails naming it", () => {
        hostOk(H, "systemctl stop containai-docker.service");
        // A preview reports it too (its health probe runs beside the preflight's).
        const p = stack.preview();
        assert.notEqual(p.code, 0, p.out);
        assert.match(p.out, /health check failed on 127\.0\.0\.1: containai-docker\.service is inactive, not active/);
        const r = stack.up();
        assert.notEqual(r.code, 0, r.out);
        assert.match(r.out, /health check failed on 127\.0\.0\.1: containai-docker\.service is inactive, not active/);
        assert.match(r.out, /pulumi up --refresh/);
        assert.equal(stack.up("--refresh").code, 0);
        assert.equal(hostOk(H, "systemctl is-active containai-docker.service"), "active");
        assert.equal(stack.preview("--expect-no-changes").code, 0);
    });

    it("3f. a changed bridge CIDR takes effect (bridge, dockerd's network, new containers); the plan shows daemon.json as text", () => {
        stack.setConfig(labConfig(H, { "containai:daemons": [{ bridge: { cidr: "172.33.0.1/16" } }] }));
        const p = stack.preview("--diff");
        assert.equal(p.code, 0, p.out);
        // daemon.json as a key-by-key diff and the unit as a line diff, not base64.
        assert.match(p.out, /~ DAEMON_JSON\s+: \(json\) \{/);
        assert.match(p.out, /~ fixed-cidr\s+: "172\.30\.0\.0\/16" => "172\.33\.0\.0\/16"/);
        assert.match(p.out, /^\s+- ExecStartPre=\S+ start cai0 172\.30\.0\.1\/16 172\.30\.0\.0\/16$/m);
        assert.match(p.out, /^\s+\+ ExecStartPre=\S+ start cai0 172\.33\.0\.1\/16 172\.33\.0\.0\/16$/m);
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        assert.equal(hostOk(H, "ip -4 -o addr show dev cai0 | awk '{print $4}'"), "172.33.0.1/16", "the old address is gone");
        assert.equal(hostOk(H, dockerB(SOCK, "network inspect bridge -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}'")), "172.33.0.0/16");
        hostOk(H, `tar -chf - $(ldd /usr/bin/sleep | grep -o '/[^ ]*') /usr/bin/sleep 2>/dev/null | ${dockerB(SOCK, "import - e2e-sleeper")} >/dev/null`);
        assert.match(hostOk(H, `${dockerB(SOCK, "run -d --rm --name cidr-probe e2e-sleeper /usr/bin/sleep 30")} >/dev/null && ` +
            dockerB(SOCK, "inspect -f '{{.NetworkSettings.IPAddress}}' cidr-probe")), /^172\.33\./);
        hostOk(H, `${dockerB(SOCK, "rm -f cidr-probe")} >/dev/null`);
        // A stale address added by hand is drift, and up removes it.
        hostOk(H, "ip addr add 172.30.0.1/16 dev cai0");
        stack.driftReportedThenRestored(/host-containai-docker-instance/);
        assert.equal(hostOk(H, "ip -4 -o addr show dev cai0 | awk '{print $4}'"), "172.33.0.1/16");
        stack.setConfig(labConfig(H));
        assert.equal(stack.up().code, 0);
        assert.equal(hostOk(H, "ip -4 -o addr show dev cai0 | awk '{print $4}'"), "172.30.0.1/16");
    });

    it("3g. a bridge CIDR overlapping the host's own network is refused by the preflight, naming the key; host untouched", () => {
        const before = hostOk(H, "sha256sum /etc/containai/docker/daemon.json /etc/systemd/system/containai-docker.service");
        stack.setConfig(labConfig(H, { "containai:daemons": [{ bridge: { cidr: "172.17.5.1/24" } }] }));
        const r = stack.up();
        assert.notEqual(r.code, 0, r.out);
        assert.match(r.out, /containai:daemons\[0\]\.bridge\.cidr 172\.17\.5\.1\/24 overlaps the host's route 172\.17\.0\.0\/16 on eth0/);
        assert.doesNotMatch(r.out, TRACE);
        assert.equal(hostOk(H, "sha256sum /etc/containai/docker/daemon.json /etc/systemd/system/containai-docker.service"), before);
        stack.setConfig(labConfig(H));
    });

    it("6. a daemon.json that will not start: rolled back, daemon still serves, update fails with the reason", () => {
        const before = hostOk(H, "sha256sum /etc/containai/docker/daemon.json | cut -d' ' -f1");
        // btrfs validates, but cannot start on the lab host's ext4 data-root volume.
        stack.setConfig(labConfig(H, { "containai:daemons": [{ storageDriver: "btrfs" }] }));
        const r = stack.up();
        assert.notEqual(r.code, 0, r.out);
        assert.match(r.out, /ROLLED BACK to the last good configuration/);
        assert.match(r.out, /prerequisites for driver not satisfied|btrfs/);
        assert.equal(hostOk(H, "sha256sum /etc/containai/docker/daemon.json | cut -d' ' -f1"), before);
        assert.equal(hostOk(H, dockerB(SOCK, "info --format '{{.DefaultRuntime}}'")), "sysbox-runc");
        stack.setConfig(labConfig(H));
        assert.equal(stack.up("--refresh").code, 0);
        assert.equal(stack.preview("--expect-no-changes").code, 0);
    });

    it("7. two daemon instances on one host are isolated and share one sysbox", () => {
        stack.setConfig(labConfig(H, { "containai:daemons": [{}, { name: "lab-b" }] }));
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        const B = "/var/run/lab-b.sock";
        hostOk(H, `tar -cf - --files-from /dev/null | ${dockerB(SOCK, "import - e2e-empty")} >/dev/null && ${dockerB(SOCK, "create --name only-on-a e2e-empty /none")} >/dev/null`);
        assert.match(hostOk(H, dockerB(SOCK, "ps -a --format '{{.Names}}'")), /only-on-a/);
        assert.doesNotMatch(hostOk(H, dockerB(B, "ps -a --format '{{.Names}}'")), /only-on-a/);
        assert.equal(hostOk(H, dockerB(B, "info --format '{{.DefaultRuntime}} {{.DockerRootDir}}'")), "sysbox-runc /var/lib/lab-b");
        assert.equal(hostOk(H, "systemctl list-units --no-legend 'sysbox.service' | wc -l"), "1");
        assert.equal(hostOk(H, "ip -4 -o addr show cai1 | awk '{print $4}'"), "172.31.0.1/16");
        stack.setConfig(labConfig(H));
        const back = stack.up();
        assert.equal(back.code, 0, back.out);
        assert.equal(onHost(H, "test -e /etc/systemd/system/lab-b.service").code, 1, "lab-b unit removed");
        assert.equal(hostOk(H, "test -d /var/lib/lab-b && echo kept"), "kept", "lab-b data-root kept");
    });

    it("7b. sysbox upgrade: the plan says agents restart; agents are stopped, sysbox replaced, agents started again", () => {
        // A tiny image from the host's own sleep binary (no registry here).
        hostOk(H, `tar -chf - $(ldd /usr/bin/sleep | grep -o '/[^ ]*') /usr/bin/sleep 2>/dev/null | ${dockerB(SOCK, "import - e2e-sleeper")} >/dev/null`);
        hostOk(H, `${dockerB(SOCK, "run -d --name agent-e2e --label containai.agent=1 --stop-signal SIGKILL e2e-sleeper /usr/bin/sleep infinity")} >/dev/null`);
        const started = hostOk(H, dockerB(SOCK, "inspect -f '{{.State.StartedAt}}' agent-e2e"));
        // It runs under real sysbox: sysbox-runc, root inside mapped to an unprivileged host uid.
        const inUserns = (): string => hostOk(H, `pid=$(${dockerB(SOCK, "inspect -f '{{.State.Pid}}' agent-e2e")}); ` +
            `echo "$(${dockerB(SOCK, "inspect -f '{{.HostConfig.Runtime}}' agent-e2e")}) $(awk '$1 == 0 {print ($2 > 0) ? "mapped" : "root"}' /proc/$pid/uid_map)"`);
        assert.equal(inUserns(), "sysbox-runc mapped");
        stack.setConfig(labConfig(H, {}, "v0.7.0-rev2"));
        const p = stack.preview("--diff");
        assert.equal(p.code, 0, p.out);
        assert.match(p.out, new RegExp(`sysbox ${esc(builds["v0.7.0-rev2"].version)} from custom; installing or changing the version stops agent containers`));
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        assert.match(hostOk(H, "sysbox-runc --version"), versionLine("v0.7.0-rev2"));
        assert.equal(hostOk(H, dockerB(SOCK, "inspect -f '{{.State.Running}}' agent-e2e")), "true");
        assert.notEqual(hostOk(H, dockerB(SOCK, "inspect -f '{{.State.StartedAt}}' agent-e2e")), started, "agent was restarted around the upgrade");
        assert.equal(inUserns(), "sysbox-runc mapped", "it came back under the new sysbox");
        assert.equal(stack.preview("--expect-no-changes").code, 0);
    });

    it("7c. an upgrade that dies after stopping agents: they stay on the record, show as drift, and the next up starts them", () => {
        assert.equal(hostOk(H, dockerB(SOCK, "inspect -f '{{.State.Running}}' agent-e2e")), "true");
        // sysbox cannot be enabled while masked: the upgrade fails after the agents were stopped.
        hostOk(H, "systemctl mask sysbox.service >/dev/null 2>&1");
        stack.setConfig(labConfig(H, {}, "v0.7.0-rev3"));
        const failed = stack.up();
        assert.notEqual(failed.code, 0, failed.out);
        assert.equal(hostOk(H, dockerB(SOCK, "inspect -f '{{.State.Running}}' agent-e2e")), "false", "the upgrade stopped the agent");
        assert.match(hostOk(H, "cat /var/lib/containai/sysbox/stopped-containers"), /containai-docker\.sock [0-9a-f]{12}/);
        hostOk(H, "systemctl unmask sysbox.service >/dev/null 2>&1");
        stack.driftReportedThenRestored(/host-sysbox-install/, "a stopped agent that should run is drift");
        assert.match(hostOk(H, "sysbox-runc --version"), versionLine("v0.7.0-rev3"));
        assert.equal(hostOk(H, dockerB(SOCK, "inspect -f '{{.State.Running}}' agent-e2e")), "true", "the agent runs again");
        assert.equal(onHost(H, "test -e /var/lib/containai/sysbox/stopped-containers").code, 1, "the record is cleared");
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
    });

    it("8. pulumi destroy: units, config, context gone; data-root kept", () => {
        hostOk(H, "touch /var/lib/containai-docker/e2e-marker");
        const r = stack.destroy();
        assert.equal(r.code, 0, r.out);
        assert.equal(onHost(H, "test -e /etc/systemd/system/containai-docker.service").code, 1);
        assert.equal(onHost(H, "test -e /etc/containai/docker/daemon.json").code, 1);
        assert.equal(onHost(H, "test -e /etc/containai/docker").code, 1, "our config directory is gone");
        assert.notEqual(hostOk(H, "systemctl is-active containai-docker.service || true"), "active");
        assert.equal(onHost(H, "docker context inspect containai-docker").code, 1);
        assert.equal(hostOk(H, "test -f /var/lib/containai-docker/e2e-marker && echo kept"), "kept");
    });

    it("4. wrong sha256: up fails with the checksum message, nothing installed", () => {
        const s = new Stack("e2e-badsha", labConfig(FRESH));
        try {
            const cfg = labConfig(FRESH) as any;
            cfg["containai:sysbox"].custom.sha256.amd64 = "0".repeat(64);
            s.setConfig(cfg);
            const r = s.up();
            assert.notEqual(r.code, 0);
            assert.match(r.out, /sha256 mismatch for http.*expected 0{64}, got [0-9a-f]{64}; nothing was installed/);
            assert.equal(onHost(FRESH, "command -v sysbox-runc").code, 1, "sysbox must not be installed");
            assert.equal(onHost(FRESH, "test -e /lib/systemd/system/sysbox.service").code, 1);
        } finally {
            s.cleanup();
        }
    });

    it("5. invalid stack config: preview fails naming the key, host untouched", () => {
        const before = hostOk(FRESH, "ls -A /etc /var/lib | sha256sum");
        const s = new Stack("e2e-invalid", { ...labConfig(FRESH), "containai:agents": [{ name: "a", image: "x", sshPort: 2600 }] });
        try {
            const r = s.preview();
            assert.notEqual(r.code, 0);
            assert.match(r.out, /containai:agents\[0\]\.sshPort: 2600 is outside 2300-2500/);
            assert.match(r.out, /nothing was changed on the host/);
            assert.doesNotMatch(r.out, TRACE, "one clean block: no stack trace, no object dump");
            assert.ok(!r.out.includes("\u001b["), "no ANSI escapes");
            assert.equal(hostOk(FRESH, "ls -A /etc /var/lib | sha256sum"), before);
        } finally {
            s.cleanup();
        }
    });

    it("5b. a wrong pinned host key: fails naming containai:ssh.hostKey, no stack trace, nothing run on the host", () => {
        const before = hostOk(FRESH, "ls -A /etc /var/lib | sha256sum");
        const cfg = labConfig(FRESH) as any;
        cfg["containai:ssh"] = { ...cfg["containai:ssh"], knownHostsFile: undefined, hostKey: TEST_HOSTKEY };
        const s = new Stack("e2e-hostkey", cfg);
        try {
            for (const r of [s.preview(), s.up()]) {
                assert.notEqual(r.code, 0, r.out);
                assert.match(r.out, /host key verification failed: the host presented ssh-ed25519 SHA256:\S+, which is not the key pinned in containai:ssh\.hostKey/);
                assert.doesNotMatch(r.out, TRACE);
            }
            assert.equal(hostOk(FRESH, "ls -A /etc /var/lib | sha256sum"), before);
        } finally {
            s.cleanup();
        }
    });

    it("9. SSH connection cut during up → the next up converges", async () => {
        lab("reset", String(FRESH));
        const s = new Stack("e2e-cut", labConfig(FRESH));
        try {
            const running = s.upAsync();
            // Wait until the engine install is under way on the host, then cut every SSH session.
            let cut = false;
            for (let i = 0; i < 240 && !cut; i++) {
                if (execOnHost(FRESH, "pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null").code === 0) {
                    cut = execOnHost(FRESH, "pkill -f 'sshd: root@notty'").code === 0;
                } else {
                    await new Promise((r) => setTimeout(r, 250));
                }
            }
            const first = await running;
            assert.ok(cut, `never saw apt running to cut the connection:\n${first.out}`);
            // Either the provider retried the dropped connection (idempotent
            // scripts) and said so, or that up failed naming the lost connection.
            if (first.code === 0) {
                assert.match(first.out, /connection closed before the command finished; retrying/, first.out);
            } else {
                assert.match(first.out, /connection closed|ECONNRESET|Connection lost/i, first.out);
            }
            const second = s.up();
            assert.equal(second.code, 0, second.out);
            assert.equal(hostOk(FRESH, "systemctl is-active sysbox.service containai-docker.service | sort -u"), "active");
            assert.equal(hostOk(FRESH, dockerB(SOCK, "info --format '{{.DefaultRuntime}}'")), "sysbox-runc");
            assert.equal(s.preview("--refresh", "--expect-no-changes").code, 0);
        } finally {
            s.cleanup();
        }
    });

    it("10. custom release unavailable → upstream (via mirror) installed with a visible warning", () => {
        lab("reset", String(FRESH));
        const gw = lab("serve");
        const base = labConfig(FRESH) as any;
        const sha = base["containai:sysbox"].custom.sha256.amd64;
        const V = builds["v0.7.0"].version;
        const s = new Stack("e2e-fallback", {
            ...base,
            "containai:sysbox": {
                source: "custom",
                version: V,
                sha256: { amd64: sha },
                mirrorUrl: `${gw}/lab-builds`,       // upstream file names, served by the lab
                custom: {
                    urlTemplate: "set below, as a secret",
                    version: V, sha256: { amd64: "1".repeat(64) }, fallbackToUpstream: true,
                },
            },
        });
        try {
            // The custom release server wants credentials: they go in as a secret.
            const url = `${gw.replace("http://", "http://ci-bot:s3cr3t-t0ken@")}/missing/sysbox-ce_{version}.linux_{arch}.deb`;
            const set = s.pulumi("config", "set", "--secret", "--path", "containai:sysbox.custom.urlTemplate", url);
            assert.equal(set.code, 0, set.out);
            assert.doesNotMatch(JSON.stringify(s.readConfig()), /s3cr3t-t0ken/, "stored encrypted");
            const r = s.up();
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, new RegExp(`warning: .*sysbox: WARNING: sysbox: custom asset unavailable \\(http://\\*\\*\\*@.*/missing/sysbox-ce_${esc(V)}\\.linux_amd64\\.deb`));
            assert.doesNotMatch(r.out, /s3cr3t-t0ken/, "credentials never printed");
            const state = s.pulumi("stack", "export");
            assert.equal(state.code, 0, state.out);
            assert.doesNotMatch(state.out, /s3cr3t-t0ken/, "credentials never in plaintext state");
            assert.match(hostOk(FRESH, "sysbox-runc --version"), versionLine("v0.7.0"));
            assert.equal(s.preview("--expect-no-changes").code, 0);
        } finally {
            s.cleanup();
        }
    });

    it("11. a pre-existing default Docker is left untouched (config, service, containers)", () => {
        lab("reset", String(FRESH));
        hostOk(FRESH, `apt-get -o DPkg::Lock::Timeout=300 install -y -qq docker.io >/dev/null 2>&1
    mkdir -p /etc/docker && printf '{\n  "log-level": "warn"\n}\n' > /etc/docker/daemon.json
    systemctl restart docker.service && docker volume create precious >/dev/null`);
        const before = hostOk(FRESH, "sha256sum /etc/docker/daemon.json; systemctl show -p MainPID --value docker.service; docker volume ls -q");
        const s = new Stack("e2e-coexist", labConfig(FRESH));
        try {
            const r = s.up();
            assert.equal(r.code, 0, r.out);
            assert.equal(hostOk(FRESH, "sha256sum /etc/docker/daemon.json; systemctl show -p MainPID --value docker.service; docker volume ls -q"), before,
                "default daemon.json, docker.service (same PID: never restarted) and its data are unchanged");
            assert.equal(hostOk(FRESH, dockerB(SOCK, "info --format '{{.DefaultRuntime}}'")), "sysbox-runc");
            assert.doesNotMatch(hostOk(FRESH, dockerB(SOCK, "volume ls -q")), /precious/, "the isolated daemon does not see the default one's volumes");
            const d = s.destroy();
            assert.equal(d.code, 0, d.out);
            assert.equal(hostOk(FRESH, "systemctl is-active docker.service"), "active", "destroy leaves the default Docker running");
            assert.equal(hostOk(FRESH, "dpkg-query -W -f='${Status}' docker.io"), "install ok installed", "an engine we did not install stays");
        } finally {
            s.cleanup();
        }
    });

    it("12. non-root operator: host changes go through sudo; context and socket work for that user without sudo", () => {
        lab("reset", String(FRESH));
        hostOk(FRESH, `useradd -m -s /bin/bash ops
    install -d -m 700 -o ops -g ops /home/ops/.ssh
    install -m 600 -o ops -g ops /root/.ssh/authorized_keys /home/ops/.ssh/authorized_keys
    echo 'ops ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/ops && chmod 440 /etc/sudoers.d/ops`);
        const cfg = labConfig(FRESH) as any;
        cfg["containai:ssh"].user = "ops";
        const s = new Stack("e2e-nonroot", cfg);
        try {
            const r = s.up();
            assert.equal(r.code, 0, r.out);
            const asOps = (cmd: string): string => hostOk(FRESH, `su - ops -c ${JSON.stringify(cmd)}`);
            assert.equal(asOps("docker context inspect -f '{{.Endpoints.docker.Host}}' containai-docker"), `unix://${SOCK}`);
            assert.equal(asOps("docker --context containai-docker info --format '{{.DefaultRuntime}}'"), "sysbox-runc",
                "the operator reaches the isolated daemon through the socket group, no sudo");
            assert.equal(onHost(FRESH, "test -e /root/.docker/contexts").code, 1, "the context belongs to the login user, not root");
            assert.equal(s.preview("--refresh", "--expect-no-changes").code, 0);
        } finally {
            s.cleanup();
        }
    });

    it("the checkout holds no stack files written by these tests", () => {
        assert.deepEqual(checkoutStackFiles(), stackFilesBefore);
    });
});
