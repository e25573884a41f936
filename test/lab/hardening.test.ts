// End-to-end hardening on lab host 4: our isolated daemon beside a running
// default Docker (firewall chains, published ports, isolation both ways,
// destroy leaves no rule of ours), and the host-side lock that keeps two runs
// from changing a host side by side. Real engine, real SSH, real dockerd and
// iptables on the lab host; sysbox is REAL: the lab build of 0.7.0
// (lab/sysbox-lab), so the busybox containers of our daemon run under it.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { checkoutStackFiles, ensureLab, execOnHost, hostOk, lab, labConfig as doubleConfig, labSysbox, onHost, Stack } from "./harness";
import { describe, it, before, after } from "mocha";

describe("lab e2e: beside a default Docker, firewall, host lock (host 4)", () => {
    const H = 4;
    let sysbox: Record<string, unknown>;
    const labConfig = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> =>
        ({ ...doubleConfig(i, extra), "containai:sysbox": sysbox });
    const OURS = "/var/run/containai-docker.sock";
    let stack: Stack;
    let hostIp = "";
    let gw = "";
    const stackFilesBefore = checkoutStackFiles();

    const ours = (args: string): string => `docker -H unix://${OURS} ${args}`;

    /**
     * HTTP GET from this machine to the lab host's own address (not loopback).
     * A web server just started (or restarted with its daemon) may answer a
     * moment later, under sysbox more than under runc: up to 60 tries, half a
     * second apart, until it answers `want`; the last answer otherwise.
     */
    function fetchFromOutside(port: number, want: string): string {
        let last = "";
        for (let i = 0; i < 60; i++) {
            const r = spawnSync("curl", ["-fsS", "--max-time", "5", `http://${hostIp}:${port}/`], { encoding: "utf8" });
            last = r.status === 0 ? r.stdout.trim() : `curl failed (${r.status}): ${r.stderr.trim()}`;
            if (last === want) break;
            spawnSync("sleep", ["0.5"]);
        }
        return last;
    }

    /**
     * HTTP GET from inside a container, with busybox nc (its wget crashes without
     * NSS files in these minimal images); the response's first line, or "" when
     * it cannot connect.
     */
    function httpFrom(docker: string, container: string, ip: string, port: number): string {
        const r = onHost(H, `${docker} exec ${container} /bin/busybox sh -c ` +
            `"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 3 ${ip} ${port}" 2>/dev/null | head -n1`);
        return r.code === 0 ? r.out.trim() : "";
    }

    before(() => {
        ensureLab(H);
        lab("reset", String(H));
        gw = lab("serve").replace(/\/$/, "");
        hostIp = spawnSync("docker", ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", `containai-lab-${H}`], { encoding: "utf8" }).stdout.trim();
        // A default Docker that was here first, with a published web server.
        hostOk(H, `apt-get -o DPkg::Lock::Timeout=300 install -y -qq docker.io busybox-static >/dev/null 2>&1
    systemctl start docker
    mkdir -p /srv/www0 /srv/www1 && echo default > /srv/www0/index.html && echo ours > /srv/www1/index.html
    tar -chf /root/bb.tar /bin/busybox /srv 2>/dev/null
    docker import /root/bb.tar e2e-bb >/dev/null
    docker run -d --name web0 --restart always -p 8081:8080 e2e-bb /bin/busybox httpd -f -p 8080 -h /srv/www0 >/dev/null`);
        sysbox = labSysbox("v0.7.0").config;
        stack = new Stack("e2e-network", labConfig(H));
    });
    after(() => stack?.cleanup());

    const dnat8081 = (): string => hostOk(H, "iptables -t nat -S DOCKER 2>/dev/null | grep -c -- '--dport 8081' || true");

    it("N1. up beside a running default Docker: it keeps its firewall rules; ours live in our own chains", () => {
        assert.equal(dnat8081(), "1", "default Docker's DNAT rule for its published port exists before");
        assert.equal(fetchFromOutside(8081, "default"), "default");
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        assert.equal(dnat8081(), "1", "default Docker's DNAT rule survives our daemon's start");
        assert.match(hostOk(H, "iptables -S DOCKER-ISOLATION-STAGE-1"), /-i docker0/, "default Docker's isolation rules survive");
        assert.equal(fetchFromOutside(8081, "default"), "default");
        // Our daemon never touches the shared chains: no DOCKER rule mentions cai0.
        assert.equal(hostOk(H, "iptables-save | grep -E '^-A DOCKER' | grep -c cai0 || true"), "0");
        const save = hostOk(H, "iptables-save");
        assert.match(save, /^-A FORWARD -j CAI-cai0$/m);
        assert.match(save, /^-A CAI-cai0-ISO -o cai0 -j DROP$/m);
        assert.match(save, /^-A CAI-cai0-NAT -s 172\.30\.0\.0\/16 ! -o cai0 -j MASQUERADE$/m);
        assert.equal(hostOk(H, "jq -r '.iptables' /etc/containai/docker/daemon.json"), "false");
    });

    it("N2. agents on our bridge: published port answers, outbound works, no way into or out of the default Docker's bridge", () => {
        hostOk(H, `${ours("import /root/bb.tar e2e-bb")} >/dev/null
    ${ours("run -d --name web1 --restart always -p 8082:8080 e2e-bb /bin/busybox httpd -f -p 8080 -h /srv/www1")} >/dev/null`);
        assert.equal(fetchFromOutside(8082, "ours"), "ours", "our published port answers from outside the host");
        const ip0 = hostOk(H, "docker inspect -f '{{.NetworkSettings.IPAddress}}' web0");
        const ip1 = hostOk(H, ours("inspect -f '{{.NetworkSettings.IPAddress}}' web1"));
        assert.match(ip1, /^172\.30\./);
        // Outbound (NAT through the host): the lab's package server outside the host. It sits at a
        // private address (the lab machine's docker bridge), which agents may not reach by default
        // (daemons[].egress); an allow-list entry for exactly that address and port opens it.
        const [gwIp, gwPort] = gw.replace(/^http:\/\//, "").split(":");
        assert.match(gwIp, /^(10|172|192)\./, `the lab server ${gwIp} is in a private range`);
        assert.equal(httpFrom(ours(""), "web1", gwIp, Number(gwPort)), "", "a private address is blocked by default");
        stack.setConfig(labConfig(H, { "containai:daemons": [{ egress: { allow: [{ cidr: gwIp, ports: [Number(gwPort)] }] } }] }));
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        assert.match(httpFrom(ours(""), "web1", gwIp, Number(gwPort)), /200 OK/, "outbound from our bridge works (allow-listed)");
        assert.match(httpFrom("docker", "web0", gwIp, Number(gwPort)), /200 OK/, "outbound from the default bridge still works");
        // Isolation, both ways.
        assert.equal(httpFrom(ours(""), "web1", ip0, 8080), "", "our agent reached a default-Docker container");
        assert.equal(httpFrom("docker", "web0", ip1, 8080), "", "a default-Docker container reached our agent");
        // Same bridge still talks.
        hostOk(H, `${ours("run -d --name web1b e2e-bb /bin/busybox httpd -f -p 8080 -h /srv/www1")} >/dev/null`);
        assert.match(httpFrom(ours(""), "web1b", ip1, 8080), /200 OK/, "containers on our own bridge reach each other");
    });

    it("N3. restarts: ours keeps answering through the default Docker's restart, and the other way round", () => {
        hostOk(H, "systemctl restart docker");
        hostOk(H, "for i in $(seq 1 30); do docker inspect -f '{{.State.Running}}' web0 2>/dev/null | grep -q true && break; sleep 1; done");
        assert.equal(fetchFromOutside(8082, "ours"), "ours", "our published port after the default Docker restarted");
        assert.match(hostOk(H, "iptables-save"), /^-A CAI-cai0-ISO -o cai0 -j DROP$/m, "our chains survive its restart");
        hostOk(H, "systemctl restart containai-docker.service");
        hostOk(H, `for i in $(seq 1 30); do ${ours("inspect -f '{{.State.Running}}' web1")} 2>/dev/null | grep -q true && break; sleep 1; done`);
        assert.equal(dnat8081(), "1", "default Docker's DNAT rule survives our restart");
        assert.equal(fetchFromOutside(8081, "default"), "default");
        assert.equal(fetchFromOutside(8082, "ours"), "ours");
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
    });

    it("N4. a deleted firewall rule of ours is drift: preview --refresh reports it, up restores it without restarting dockerd", () => {
        const pid = hostOk(H, "systemctl show -p MainPID --value containai-docker.service");
        hostOk(H, "iptables -t mangle -D FORWARD -j CAI-cai0-ISO");
        stack.driftReportedThenRestored(/host-containai-docker-instance/);
        assert.match(hostOk(H, "iptables-save -t mangle"), /^-A FORWARD -j CAI-cai0-ISO$/m);
        assert.equal(hostOk(H, "systemctl show -p MainPID --value containai-docker.service"), pid, "dockerd was not restarted");
    });

    it("N4c. rules an earlier release's daemon (iptables on) left in the shared chains are drift, and up removes them", () => {
        // Exactly what dockerd 20.10 with iptables on wrote for cai0 (captured
        // from a host converged by the previous release of this program).
        const legacy = [
            "-t filter -A FORWARD -o cai0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-t filter -A FORWARD -o cai0 -j DOCKER",
            "-t filter -A FORWARD -i cai0 ! -o cai0 -j ACCEPT",
            "-t filter -A FORWARD -i cai0 -o cai0 -j ACCEPT",
            "-t filter -A DOCKER-ISOLATION-STAGE-1 -i cai0 ! -o cai0 -j DOCKER-ISOLATION-STAGE-2",
            "-t filter -A DOCKER-ISOLATION-STAGE-2 -o cai0 -j DROP",
            "-t nat -A POSTROUTING -s 172.30.0.0/16 ! -o cai0 -j MASQUERADE",
            "-t nat -A DOCKER -i cai0 -j RETURN",
        ];
        hostOk(H, legacy.map((r) => `iptables -w ${r}`).join("\n"));
        const shared = (): string => hostOk(H, "iptables-save | grep -E '^-A (FORWARD|POSTROUTING|DOCKER[A-Z0-9-]*) ' | grep -E '(-i|-o) cai0( |$)' | grep -cv -- '-j CAI-' || true");
        assert.equal(shared(), "8");
        stack.driftReportedThenRestored(/host-containai-docker-instance/);
        assert.equal(shared(), "0", "no rule naming our bridge is left in the shared chains");
        assert.match(hostOk(H, "iptables-save"), /^-A CAI-cai0-NAT -s 172\.30\.0\.0\/16 ! -o cai0 -j MASQUERADE$/m, "ours stay");
        assert.equal(dnat8081(), "1", "the default Docker's own rules stay");
        assert.equal(fetchFromOutside(8082, "ours"), "ours");
    });

    it("N4b. a drift audit costs one SSH connection to the host, not one per resource", () => {
        // Counted from sshd's journal through docker exec (no SSH of our own).
        const logins = (): number => Number(execOnHost(H, "journalctl -u ssh --no-pager -o cat | grep -c 'Accepted publickey' || true").out.trim());
        const before = logins();
        const r = stack.preview("--refresh", "--expect-no-changes");
        assert.equal(r.code, 0, r.out);
        assert.equal(logins() - before, 1, "SSH connections opened by one preview --refresh");
    });

    it("N5. host lock: an up waits for another holder of the lock, says so, and changes the host only after it is released", () => {
        // Another "run" holds the lock for 10 s, then records when it let go.
        hostOk(H, "rm -f /run/e2e-released; nohup setsid flock /run/lock/containai.lock sh -c 'sleep 10; date +%s.%N > /run/e2e-released' >/dev/null 2>&1 &");
        hostOk(H, "for i in $(seq 1 20); do lslocks -n -o PATH | grep -q containai.lock && break; sleep 0.2; done");
        hostOk(H, "jq '. + {\"debug\": true}' /etc/containai/docker/daemon.json > /tmp/d && mv /tmp/d /etc/containai/docker/daemon.json");
        const r = stack.up("--refresh");
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /the host lock \/run\/lock\/containai\.lock is held by PID \d+/);
        assert.match(r.out, /waiting up to 900s/);
        const released = Number(hostOk(H, "cat /run/e2e-released"));
        const written = Number(hostOk(H, "stat -c %.9Y /etc/containai/docker/daemon.json"));
        assert.ok(written >= released, `daemon.json rewritten at ${written}, before the lock was released at ${released}`);
        assert.equal(hostOk(H, "jq -r '.debug // \"unset\"' /etc/containai/docker/daemon.json"), "unset");
    });

    it("N6. destroy: no rule or chain of ours stays; the default Docker keeps serving with its rules", () => {
        const d = stack.destroy();
        assert.equal(d.code, 0, d.out);
        assert.equal(hostOk(H, "iptables-save | grep -c 'CAI-' || true"), "0", hostOk(H, "iptables-save | grep CAI- || true"));
        assert.equal(hostOk(H, "ip6tables-save | grep -c 'CAI-' || true"), "0", "no IPv6 chain of ours either");
        assert.equal(hostOk(H, "ls /etc/containai/network 2>/dev/null | wc -l"), "0", "the egress policy file is gone");
        assert.equal(onHost(H, "ip link show cai0").code, 1, "our bridge is gone");
        assert.equal(hostOk(H, "systemctl is-active docker.service"), "active");
        assert.equal(dnat8081(), "1");
        assert.equal(fetchFromOutside(8081, "default"), "default");
    });

    it("the checkout holds no stack files written by these tests", () => {
        assert.deepEqual(checkoutStackFiles(), stackFilesBefore);
    });
});
