// End-to-end with REAL sysbox: a LAB BUILD of sysbox-ce (lab/sysbox-lab:
// built from the upstream sources by scripts/build-sysbox.sh's go builder,
// with the pins that cannot be fetched here substituted and two lab patches;
// all named in its version) installed by the program's own custom-release
// path on lab host 4, agents created by the real engine, reached with the real
// OpenSSH client through the generated SSH config.
//
// What runs for real here: sysbox-runc (user namespace, ID-mapped mounts),
// sysbox-mgr and sysbox-fs (FUSE), systemd as PID 1 inside agents, the inner
// dockerd (bookworm's docker.io, and sid's docker.io 28.5.2 with runc 1.3.x),
// nested containers. The negative control (a v0.6.7 lab build) shows the
// openat2 test can fail, with the seed's error text.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as path from "path";
import { agentSsh, agentSshOk, DOUBLE_DIR, hostOk, LAB_DIR, lab, labConfig, labSysbox, previousProgram, realSysboxHost, Result, ROOT, Stack } from "./harness";
import { describe, it, before, after } from "mocha";

describe("lab e2e: real sysbox (host 4)", () => {
    const H = 4;
    const D = "docker -H unix:///var/run/containai-docker.sock";
    const STACK = "e2e-sysbox";
    // The kernel-fs mount units this lab kernel cannot provide (no configfs,
    // debugfs and tracefs are not virtualised by sysbox): the only failed units
    // an agent may have. Any other failed unit fails the boot test.
    const KERNEL_FS_UNITS = ["sys-kernel-config.mount", "sys-kernel-debug.mount", "sys-kernel-tracing.mount"];
    // The seed's error (runc >= 1.3.3 under sysbox without sysbox-fs 1302a6f).
    // The last program before data layout 2 (inner containerd on volumes): the agents are created by it,
    // so the upgrade and the opt-in with its carry-over run on real sysbox.
    const LAYOUT_1 = "3c0228ff1ff2ce907e665a67e8ceeaee0d523197";
    let previous: string | undefined;
    /** sid (created before layout 2) opts in to inner containerd on volumes in S7b. */
    let sidOptIn = false;
    const OPENAT2_ERROR = /unsafe procfs detected: openat2 \/proc\/\.\/sys\/net\/ipv4\/ip_unprivileged_port_start: invalid cross-device link/;
    let stack: Stack;
    let sshDir: string;
    let gw: string;
    let sysbox: { version: string; config: Record<string, unknown> };
    const pub = fs.readFileSync(path.join(LAB_DIR, "id_ed25519.pub"), "utf8").trim();
    const images = path.join(DOUBLE_DIR, "agent-images");
    const archive = (v: string): { url: string; sha256: string } => ({
        url: `${gw}/agent-images/containai-lab-agent_${v}.tar`,
        sha256: fs.readFileSync(path.join(images, `containai-lab-agent_${v}.tar.sha256`), "utf8").split(/\s+/)[0],
    });
    const agent = (name: string, v: string): Record<string, unknown> => ({
        name, image: `containai-lab-agent:${v}`, imageArchive: archive(v), memory: "1g", authorizedKeys: [pub],
    });
    const config = (): Record<string, unknown> => ({
        ...labConfig(H, {
            "containai:agents": [agent("deb", "dind-bookworm"), { ...agent("sid", "dind-sid"), ...(sidOptIn ? { containerdVolumes: true } : {}) }],
            "containai:operator": { sshConfig: true, sshDir },
        }),
        "containai:sysbox": sysbox.config,
    });
    const alias = (name: string): string => `${STACK}-${name}`;

    const ssh = (name: string, cmd: string, input?: Buffer): Result => agentSsh(sshDir, alias(name), cmd, input);
    const sshOk = (name: string, cmd: string, input?: Buffer): string => agentSshOk(sshDir, alias(name), cmd, input);
    const inspect = (name: string, fmt: string): string => hostOk(H, `${D} inspect -f '${fmt}' ${name}`);
    /** The agent's systemd has finished booting: its state and its failed units. */
    function booted(name: string): { state: string; failed: string[] } {
        const state = ssh(name, "timeout 120 systemctl is-system-running --wait").out.trim().split("\n").pop() as string;
        const failed = sshOk(name, "systemctl list-units --failed --plain --no-legend | awk '{print $1}'").split("\n").filter(Boolean).sort();
        return { state, failed };
    }
    /** Nested containers work in the agent: a run, a published port, a build. */
    function dockerInDocker(name: string): void {
        sshOk(name, "docker image inspect tiny >/dev/null 2>&1 || docker import - tiny", fs.readFileSync(path.join(images, "tiny.tar")));
        assert.equal(sshOk(name, "docker run --rm tiny echo nested-ok"), "nested-ok");
        sshOk(name, "docker rm -f web >/dev/null 2>&1; docker run -d --name web -p 127.0.0.1:8080:80 tiny httpd -f -p 80 -h /www >/dev/null");
        assert.equal(sshOk(name, "for _ in $(seq 1 20); do docker run --rm --network host tiny wget -qO- http://127.0.0.1:8080/ 2>/dev/null && exit 0; sleep 0.5; done; exit 1"),
            "tiny-www-ok");
        sshOk(name, "docker rm -f web >/dev/null");
        sshOk(name, "d=$(mktemp -d) && printf 'FROM tiny\\nRUN echo built-inside > /built.txt\\nCMD [\"cat\", \"/built.txt\"]\\n' > $d/Dockerfile " +
            "&& DOCKER_BUILDKIT=0 docker build -q -t built $d >/dev/null && rm -rf $d");
        assert.equal(sshOk(name, "docker run --rm built"), "built-inside");
    }

    before(() => {
        ({ gw, sysbox, sshDir } = realSysboxHost(H));
        stack = new Stack(STACK, config());
    });
    after(() => {
        if (previous) fs.rmSync(previous, { recursive: true, force: true });
        stack?.cleanup();
        if (sshDir) fs.rmSync(sshDir, { recursive: true, force: true });
    });

    /** Volume mounts of an agent's container: "destination=volume", sorted by destination. */
    const volumesOf = (name: string): string =>
        inspect(name, '{{range .Mounts}}{{if eq .Type "volume"}}{{.Destination}}={{.Name}} {{end}}{{end}}').trim().split(" ").sort().join(" ");

    it("S1. up installs the LAB BUILD through the custom-release path; the daemon runs it by default", () => {
        assert.match(sysbox.version, /^0\.7\.0\+lab\.[a-z0-9.-]+$/);
        // Created by the program before data layout 2 (upgraded in S1b).
        previous = previousProgram(LAYOUT_1);
        stack.useProgram(previous);
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        const out = stack.pulumi("stack", "output", "sysboxVersion");
        assert.equal(out.out.trim(), sysbox.version);
        const v = hostOk(H, "sysbox-runc --version");
        assert.match(v, /edition:\s+CE/);
        assert.match(v, new RegExp(`version:\\s+${sysbox.version.replace(/[.+]/g, "\\$&")}`));
        assert.doesNotMatch(v, /TEST DOUBLE/);
        assert.equal(hostOk(H, "systemctl is-active sysbox sysbox-mgr sysbox-fs"), "active\nactive\nactive");
        assert.match(hostOk(H, `${D} info --format '{{.DefaultRuntime}} {{.Driver}}'`), /^sysbox-runc overlay2$/);
    });

    it("S1b. the upgrade to data layout 2 re-creates and restarts no agent; older agents keep inner containerd in their root filesystem", () => {
        const containers = (): Record<string, string> => ({ deb: inspect("deb", "{{.Id}} {{.State.StartedAt}}"), sid: inspect("sid", "{{.Id}} {{.State.StartedAt}}") });
        const before = containers();
        stack.useProgram(ROOT);
        stack.upReplacingNothing(containers, before);
        assert.equal(volumesOf("sid"), "/home/agent=containai-sid-home /var/lib/docker=containai-sid-docker");
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
    });

    it("S2. agents boot under real sysbox: a user namespace, systemd up (only the kernel-fs units this kernel lacks failed), sshd and inner dockerd active", () => {
        for (const name of ["deb", "sid"]) {
            const { state, failed } = booted(name);
            assert.match(state, /^(running|degraded)$/, `${name}: systemd ${state}`);
            for (const u of failed) assert.ok(KERNEL_FS_UNITS.includes(u), `${name}: unexpected failed unit ${u} (failed: ${failed.join(", ")})`);
            assert.equal(sshOk(name, "systemctl is-active ssh docker"), "active\nactive");
            // Root inside is not root outside: sysbox's user namespace (the double had none).
            const map = sshOk(name, "cat /proc/self/uid_map").trim().split(/\s+/).map(Number);
            assert.equal(map[0], 0);
            assert.notEqual(map[1], 0, `uid 0 inside maps to host uid ${map[1]}`);
            // procfs virtualised by sysbox-fs.
            assert.match(sshOk(name, "grep -c sysboxfs /proc/self/mountinfo"), /^[1-9]\d*$/);
        }
        assert.match(sshOk("deb", "runc --version | head -1"), /runc version 1\.1\./);
        assert.match(sshOk("sid", "runc --version | head -1"), /runc version 1\.3\./);
        assert.match(sshOk("sid", "docker version --format '{{.Server.Version}}'"), /^28\.5\.2/);
    });

    it("S3. Docker-in-Docker: a nested run, a published port and a build inside each agent (no registry)", () => {
        dockerInDocker("deb");
        dockerInDocker("sid");
        assert.equal(sshOk("deb", "docker info --format '{{.Driver}}'"), "overlay2");
    });

    it("S4. the openat2 case: runc 1.3.x inside (sid) runs a nested container that reads ip_unprivileged_port_start", () => {
        assert.equal(sshOk("sid", "docker run --rm tiny cat /proc/sys/net/ipv4/ip_unprivileged_port_start"), "0");
        assert.equal(sshOk("sid", "docker run --rm --network none tiny echo nested-none-ok"), "nested-none-ok");
    });

    it("S5. files the agent writes in its workspace: the owner the host sees", () => {
        sshOk("deb", "echo from-agent > ~/workspace/owner.txt");
        const ws = hostOk(H, `${D} inspect -f '{{range .Mounts}}{{if eq .Destination "/home/agent/workspace"}}{{.Source}}{{end}}{{end}}' deb`);
        assert.ok(ws, "workspace mount not found");
        assert.equal(hostOk(H, `stat -c '%u:%g' ${ws}/owner.txt`), "1000:1000");
        assert.equal(hostOk(H, `cat ${ws}/owner.txt`), "from-agent");
    });

    it("S6. the audit is clean under real sysbox: preview --refresh --expect-no-changes", () => {
        const p = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(p.code, 0, p.out);
    });

    it("S7. inner Docker data survives a re-creation of the agent (removed by hand, up --refresh)", () => {
        sshOk("deb", "docker rm -f keep >/dev/null 2>&1; docker create --name keep tiny echo kept >/dev/null");
        const id = inspect("deb", "{{.Id}}");
        hostOk(H, `${D} rm -f deb >/dev/null`);
        const u = stack.up("--refresh");
        assert.equal(u.code, 0, u.out);
        assert.notEqual(inspect("deb", "{{.Id}}"), id, "the agent was not re-created");
        booted("deb");
        assert.equal(sshOk("deb", "docker image inspect -f ok tiny built"), "ok\nok");
        assert.equal(sshOk("deb", "docker start -a keep"), "kept");
        assert.equal(sshOk("deb", "cat ~/workspace/owner.txt"), "from-agent");
    });

    it("S7b. the containerd image store inside: an older agent opts in, its inner containerd data is carried over to volumes, and survives a re-creation", () => {
        // Docker 28's containerd image store (Docker 29's default): images and snapshots in /var/lib/containerd.
        const store = "echo '{\"features\":{\"containerd-snapshotter\":true}}' | sudo tee /etc/docker/daemon.json >/dev/null " +
            "&& sudo systemctl restart docker && docker info -f '{{.DriverStatus}}'";
        assert.match(sshOk("sid", store), /io\.containerd\.snapshotter\.v1/);
        sshOk("sid", "docker image inspect tiny >/dev/null 2>&1 || docker import - tiny", fs.readFileSync(path.join(images, "tiny.tar")));
        sshOk("sid", "docker rm -f keepc >/dev/null 2>&1; docker create --name keepc tiny echo kept-in-containerd >/dev/null");
        assert.equal(sshOk("sid", "docker start -a keepc"), "kept-in-containerd");
        assert.match(sshOk("sid", "sudo ctr -n moby images ls -q"), /tiny/, "the image is containerd's");
        // The opt-in: the container is re-created once; the data is carried over first.
        const id = inspect("sid", "{{.Id}}");
        sidOptIn = true;
        stack.setConfig(config());
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        assert.notEqual(inspect("sid", "{{.Id}}"), id, "the opted-in agent was re-created");
        assert.match(hostOk(H, "ls /var/lib/containai-docker/volumes/containai-sid-containerd/_data"), /io\.containerd\.metadata\.v1\.bolt/);
        assert.equal(volumesOf("sid"), "/home/agent=containai-sid-home " +
            "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs=containai-sid-snapshots " +
            "/var/lib/containerd=containai-sid-containerd /var/lib/docker=containai-sid-docker");
        const check = (): void => {
            booted("sid");
            // The image store setting lives in the root filesystem (a re-creation resets it); the data does not.
            assert.match(sshOk("sid", "sudo ctr -n moby images ls -q"), /tiny/, "containerd's image survived");
            assert.match(sshOk("sid", store), /io\.containerd\.snapshotter\.v1/);
            assert.equal(sshOk("sid", "docker start -a keepc"), "kept-in-containerd");
            assert.equal(sshOk("sid", "docker run --rm tiny echo nested-from-containerd"), "nested-from-containerd");
        };
        check();
        // By construction from here on: a re-creation (removed by hand) keeps it too (upstream sysbox#1021).
        hostOk(H, `${D} rm -f sid >/dev/null`);
        const r = stack.up("--refresh");
        assert.equal(r.code, 0, r.out);
        check();
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
        // Taking the opt-in back would re-create the agent without its containerd volumes: refused before anything changes.
        sidOptIn = false;
        stack.setConfig(config());
        const back = stack.up();
        assert.notEqual(back.code, 0, back.out);
        assert.match(back.out, /agent sid keeps inner containerd's data on volumes .*containerdVolumes/);
        assert.equal(inspect("sid", "{{.State.Running}}"), "true", "sid untouched");
        sidOptIn = true;
        stack.setConfig(config());
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
    });

    it("S8. negative control: a v0.6.7 LAB BUILD (no openat2 fix) fails the same nested run with the seed's error; an interrupted upgrade back to 0.7.0 recovers with the agents' data", () => {
        const fixed = sysbox;
        sysbox = labSysbox("v0.6.7");
        assert.match(sysbox.version, /^0\.6\.7\+lab\./);
        stack.setConfig(config());
        try {
            const u = stack.up();
            assert.equal(u.code, 0, u.out);
            assert.match(hostOk(H, "sysbox-runc --version"), /version:\s+0\.6\.7\+lab/);
            booted("sid");
            // runc 1.1 (bookworm) still works on 0.6.7; runc 1.3.x (sid) does not.
            assert.equal(sshOk("deb", "docker run --rm tiny echo nested-ok"), "nested-ok");
            const bad = ssh("sid", "docker run --rm tiny cat /proc/sys/net/ipv4/ip_unprivileged_port_start");
            assert.notEqual(bad.code, 0, `the nested run passed on sysbox 0.6.7: ${bad.out}`);
            assert.match(bad.out, OPENAT2_ERROR);
        } finally {
            sysbox = fixed;
            stack.setConfig(config());
        }
        // Back to 0.7.0 through an interrupted upgrade: sysbox cannot be enabled while masked,
        // so the install fails after the agents were stopped. They stay on the record, are
        // drift, and the next up installs 0.7.0 and starts them.
        hostOk(H, "systemctl mask sysbox.service >/dev/null 2>&1");
        const failed = stack.up();
        assert.notEqual(failed.code, 0, failed.out);
        assert.equal(inspect("sid", "{{.State.Running}}"), "false", "the upgrade stopped the agent");
        assert.match(hostOk(H, "cat /var/lib/containai/sysbox/stopped-containers"), /containai-docker\.sock [0-9a-f]{12}/);
        hostOk(H, "systemctl unmask sysbox.service >/dev/null 2>&1");
        stack.driftReportedThenRestored(/host-sysbox-install/, "a stopped agent that should run is drift");
        assert.match(hostOk(H, "sysbox-runc --version"), /version:\s+0\.7\.0\+lab/);
        assert.equal(inspect("sid", "{{.State.Running}}"), "true", "the agent runs again");
        booted("sid");
        // The agents came back with their data, and the fix is back.
        assert.equal(sshOk("sid", "docker run --rm tiny cat /proc/sys/net/ipv4/ip_unprivileged_port_start"), "0");
        assert.equal(sshOk("deb", "docker start -a keep"), "kept");
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
    });

    it("S9. a power cut: agents come back with their image files ID-mapped (the rootfs guard runs before the daemon); without the guard the audit reports it and up repairs it", () => {
        const GUARD = "containai-docker-rootfs-guard.service";
        /** The lab host loses power (its init killed, nothing stopped cleanly) and boots again. */
        const powerCut = (): void => {
            const k = spawnSync("docker", ["kill", `containai-lab-${H}`], { encoding: "utf8" });
            assert.equal(k.status, 0, k.stderr);
            lab("hosts", String(H));
        };
        /** The agent's systemd has booted (seen from the host: a login may be impossible). */
        const up = (name: string): void => {
            hostOk(H, `for _ in $(seq 1 120); do [ "$(${D} inspect -f '{{.State.Running}}' ${name} 2>/dev/null)" = true ] && break; sleep 1; done
                ${D} exec ${name} timeout 120 systemctl is-system-running --wait >/dev/null || true`);
        };
        const login = (name: string): void => {
            assert.equal(sshOk(name, "id -un; stat -c %u:%g /etc/shadow; sudo -n cat /etc/shadow >/dev/null && echo shadow-ok"), "agent\n0:42\nshadow-ok");
        };
        // While an agent runs, sysbox keeps its upper layer shifted to the agent's host IDs: a power cut leaves it so.
        const upper = inspect("deb", "{{.GraphDriver.Data.UpperDir}}");
        assert.notEqual(hostOk(H, `stat -c %u ${upper}`), "0");
        assert.equal(hostOk(H, `systemctl is-enabled ${GUARD}`), "enabled");

        powerCut();
        for (const name of ["deb", "sid"]) up(name);
        const repaired = hostOk(H, `journalctl -b -u ${GUARD} -o cat | grep -c 'rootfs-guard: repaired' || true`);
        assert.equal(repaired, "2", hostOk(H, `journalctl -b -u ${GUARD} -o cat`));
        for (const name of ["deb", "sid"]) login(name);
        assert.equal(sshOk("deb", "docker start -a keep"), "kept", "inner Docker data kept");
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);

        // Without the guard (disabled by hand; also a host converged before it existed): sysbox maps nothing,
        // image files are nobody's inside and every login fails. The audit reports it; up repairs it.
        hostOk(H, `systemctl disable ${GUARD} 2>/dev/null`);
        powerCut();
        up("deb");
        assert.equal(hostOk(H, `${D} exec deb stat -c %u /etc/passwd`), "65534", "the image files are unmapped");
        assert.notEqual(ssh("deb", "id -un").code, 0, "a login works on an unmapped agent");
        // Even a plain preview says so: sshd answers, but the health check looks at the image files too.
        const health = stack.preview();
        assert.notEqual(health.code, 0, health.out);
        assert.match(health.out, /agent\.deb root filesystem unmapped: \/usr is owned by host uid 0.*logins fail/);
        const audit = stack.driftReportedThenRestored(/agents-containai-docker-running/, "an unmapped agent is drift");
        assert.match(audit.out, /host-containai-docker-instance/, "the disabled guard is drift");
        assert.equal(hostOk(H, `systemctl is-enabled ${GUARD}`), "enabled");
        for (const name of ["deb", "sid"]) {
            up(name);
            login(name);
        }
        assert.equal(sshOk("deb", "docker start -a keep"), "kept", "inner Docker data kept");
        assert.equal(sshOk("deb", "cat ~/workspace/owner.txt"), "from-agent");
        const after = stack.preview("--refresh", "--expect-no-changes");
        // On failure, what differs (the plain output names the resource only).
        assert.equal(after.code, 0, after.code === 0 ? "" : stack.preview("--refresh", "--diff").out);
    });

    it("S10. destroy removes the agents and keeps their volumes", () => {
        const d = stack.destroy();
        assert.equal(d.code, 0, d.out);
        assert.equal(hostOk(H, "ls /var/lib/containai-docker/containers | wc -l"), "0", "no container left");
        assert.equal(hostOk(H, "ls /var/lib/containai-docker/volumes | grep -c '^containai-'"), "6", "the agents' volumes kept: deb's two (layout 1), sid's four (inner containerd and its snapshots too)");
        assert.equal(hostOk(H, "for f in /etc/systemd/system/containai-docker-rootfs-guard.service /usr/local/libexec/containai; do [ ! -e $f ] || echo $f; done"), "",
            "the rootfs guard and its unit are gone");
        assert.equal(hostOk(H, "cat /var/lib/containai/workspaces/deb/owner.txt"), "from-agent");
    });
});
