import * as assert from "node:assert/strict";
import { evaluate, HostFacts, Policy, versionAtLeast } from "../../components/host/rules";
import { describe, it } from "mocha";

describe("host compatibility rules", () => {
    const ok: HostFacts = { os_id: "ubuntu", os_version: "24.04", kernel: "6.8.0-45-generic", arch: "amd64", pid1: "systemd",
        disk_free_mb: "50000", missing_tools: "", apparmor: "yes" };
    const policy: Policy = { sysboxVersion: "0.7.1", allowUnfixedOpenat2: false, checksumArches: ["amd64"],
        checksumKey: "containai:sysbox.sha256", minFreeMb: 2048 };

    const table: { name: string; facts: Partial<HostFacts>; policy?: Partial<Policy>; refusal?: RegExp; dropin?: boolean; dac?: boolean }[] = [
        { name: "Ubuntu 24.04 on 6.8 passes", facts: {} },
        { name: "Ubuntu 24.04 on 6.5 is too old", facts: { kernel: "6.5.0-1-generic" }, refusal: /older than 6\.8, the minimum for ubuntu 24\.04/ },
        { name: "Ubuntu 22.04 needs 5.15", facts: { os_version: "22.04", kernel: "5.10.0" }, refusal: /older than 5\.15/ },
        { name: "Debian 11 on 5.10 passes", facts: { os_id: "debian", os_version: "11", kernel: "5.10.0-28-amd64", apparmor: "no" } },
        { name: "Fedora is refused", facts: { os_id: "fedora", os_version: "40" }, refusal: /built from source/ },
        { name: "riscv64 is refused", facts: { arch: "riscv64" }, refusal: /architecture riscv64 is not supported/ },
        { name: "arm64 without a pinned checksum", facts: { arch: "arm64" }, refusal: /no sha256 pinned for sysbox 0\.7\.1 on arm64; set containai:sysbox\.sha256\.arm64/ },
        { name: "non-systemd PID 1", facts: { pid1: "tini" }, refusal: /systemd must be PID 1 \(found "tini"\)/ },
        { name: "Ubuntu 25.10 with 6.17", facts: { os_version: "25.10", kernel: "6.17.0-14-generic" }, refusal: /failed to set rootfs parent mount propagation to private: Permission denied/ },
        { name: "sysbox 0.6.7 refused (openat2)", facts: {}, policy: { sysboxVersion: "0.6.7" }, refusal: /unsafe procfs detected: openat2/ },
        { name: "sysbox 0.6.7 allowed with override", facts: {}, policy: { sysboxVersion: "0.6.7", allowUnfixedOpenat2: true } },
        { name: "little disk", facts: { disk_free_mb: "100" }, refusal: /only 100 MB free/ },
        { name: "missing tools", facts: { missing_tools: "curl ip" }, refusal: /required tools missing: curl ip/ },
        { name: "Ubuntu 25.04 needs the AppArmor drop-in", facts: { os_version: "25.04", kernel: "6.14.0" }, dropin: true, dac: false },
        { name: "Ubuntu 26.04 needs dac_override too", facts: { os_version: "26.04", kernel: "6.18.0" }, dropin: true, dac: true },
    ];

    for (const row of table) {
        it(`preflight: ${row.name}`, () => {
            const v = evaluate({ ...ok, ...row.facts }, { ...policy, ...row.policy });
            if (row.refusal) {
                assert.ok(v.refusals.some((r) => row.refusal!.test(r)), `no refusal matching ${row.refusal}: ${JSON.stringify(v.refusals)}`);
            } else {
                assert.deepEqual(v.refusals, []);
            }
            if (row.dropin !== undefined) assert.equal(v.apparmorDropin, row.dropin);
            if (row.dac !== undefined) assert.equal(v.apparmorDacOverride, row.dac);
        });
    }

    it("idmapped mounts are reported from 5.12", () => {
        assert.equal(evaluate({ ...ok, os_id: "debian", os_version: "10", kernel: "5.10.0" }, policy).idmappedMounts, false);
        assert.equal(evaluate(ok, policy).idmappedMounts, true);
    });

    const bridges = [
        { key: "containai:daemons[0].bridge.cidr", name: "cai0", cidr: "172.30.0.1/16" },
        { key: "containai:daemons[1].bridge.cidr", name: "cai1", cidr: "172.17.5.1/24" },
    ];

    it("preflight: a bridge CIDR overlapping the host's own routes is refused, naming the key; our own bridges' routes are not counted", () => {
        const routes = "172.17.0.0/16@eth0 172.30.0.0/16@cai0 10.8.0.0/24@tun0";
        const v = evaluate({ ...ok, routes }, { ...policy, bridges });
        assert.deepEqual(v.refusals.map((r) => r.split(" overlaps")[0]), ["containai:daemons[1].bridge.cidr 172.17.5.1/24"]);
        assert.match(v.refusals[0], /overlaps the host's route 172\.17\.0\.0\/16 on eth0; .*pick a range the host does not use/);
        // A CIDR that contains a host route is refused too (the route would be shadowed).
        const wide = evaluate({ ...ok, routes: "10.8.0.0/24@tun0" }, { ...policy, bridges: [{ key: "k", name: "cai0", cidr: "10.0.0.1/8" }] });
        assert.match(wide.refusals.join(), /k 10\.0\.0\.1\/8 overlaps the host's route 10\.8\.0\.0\/24 on tun0/);
        assert.deepEqual(evaluate({ ...ok, routes: "192.168.1.0/24@eth0" }, { ...policy, bridges }).refusals, []);
    });

    it("preflight: a data-root another dockerd on the host uses (or nests with) is refused, naming the key", () => {
        const dataRoots = [{ key: "containai:daemons[0].dataRoot", path: "/srv/docker/cai" }];
        const v = evaluate({ ...ok, other_data_roots: "/srv/docker" }, { ...policy, dataRoots });
        assert.match(v.refusals.join(), /containai:daemons\[0\]\.dataRoot \/srv\/docker\/cai overlaps \/srv\/docker, the data-root of another dockerd/);
        assert.deepEqual(evaluate({ ...ok, other_data_roots: "/var/lib/docker" }, { ...policy, dataRoots }).refusals, []);
    });

    it("version comparison", () => {
        assert.ok(versionAtLeast("6.18.44-fc-v595", "6.8"));
        assert.ok(!versionAtLeast("5.4.0", "5.15"));
        assert.ok(versionAtLeast("0.7.0", "0.7.0"));
    });
});
