// End-to-end: the fleet rollout command (fleet/rollout.ts, Automation API)
// over three lab hosts as three stacks of one project. Team state: every
// stack lives in the lab's S3-compatible object store (MinIO, started by
// lab/lab.sh s3), so the rollout and the drift audit run against s3://.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkoutStackFiles, ensureLab, hostOk, lab, labConfig, labS3, ROOT, Stack } from "./harness";
import { describe, it, before, after } from "mocha";

describe("lab e2e: fleet rollout (hosts 2-4)", () => {
    const HOSTS = [2, 3, 4];
    const stackFilesBefore = checkoutStackFiles();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-e2e-fleet-"));
    // The bucket outlives a run: stack names are unique per run, and removed at the end.
    const run = Date.now().toString(36);
    const name = (i: number): string => `fleet-${run}-${i}`;
    let stacks: Stack[] = [];

    interface Report {
        mode: string; waves: string[][]; halted?: string;
        reports: { stack: string; wave?: number; result: string; startedAt?: string; endedAt?: string; error?: string;
            drift?: { resource: string; properties: string[] }[] }[];
    }
    function rollout(...args: string[]): { code: number; out: string; report: Report } {
        const file = path.join(dir, `report-${Date.now()}.json`);
        const r = spawnSync("node", [path.join(ROOT, "dist", "fleet", "rollout.js"), "--cwd", dir, "--report", file, ...args],
            { env: stacks[0].env, encoding: "utf8", timeout: 20 * 60 * 1000 });
        const out = `${r.stdout}${r.stderr}`;
        assert.ok(fs.existsSync(file), `no report written:\n${out}`);
        return { code: r.status ?? 1, out, report: JSON.parse(fs.readFileSync(file, "utf8")) as Report };
    }
    const byStack = (rep: Report): Record<string, Report["reports"][number]> => Object.fromEntries(rep.reports.map((r) => [r.stack, r]));

    before(() => {
        ensureLab(...HOSTS);
        for (const i of HOSTS) lab("reset", String(i));
        const s3 = labS3();
        assert.match(s3.PULUMI_BACKEND_URL, /^s3:\/\//);
        const env = { AWS_ACCESS_KEY_ID: s3.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: s3.AWS_SECRET_ACCESS_KEY, AWS_REGION: s3.AWS_REGION };
        stacks = HOSTS.map((i) => new Stack(name(i), labConfig(i, { "containai:fleet": { group: "lab" } }),
            { projectDir: dir, backendUrl: s3.PULUMI_BACKEND_URL, env }));
    });
    after(() => {
        for (const s of stacks) s.pulumi("stack", "rm", "--force", "--yes");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("F1. a rollout (state in s3://) converges the group: previews all, the canary first and alone, then a wave of two", () => {
        const r = rollout("--group", "lab", "--canary", name(3), "--wave-size", "2", "--parallel", "2");
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(r.report.waves, [[name(3)], [name(2), name(4)]]);
        const s = byStack(r.report);
        for (const i of HOSTS) {
            assert.equal(s[name(i)].result, "succeeded", JSON.stringify(s[name(i)]));
            assert.equal(hostOk(i, "systemctl is-active containai-docker.service"), "active");
        }
        // The canary finished before the next wave started.
        for (const i of [2, 4]) assert.ok(Date.parse(s[name(3)].endedAt as string) <= Date.parse(s[name(i)].startedAt as string));
        assert.match(r.out, /stack\s+wave\s+result\s+changes\s+duration/);
        assert.match(r.out, /preview: create \d+/);
    });

    it("F2. --drift reports a hand edit on one host (host, resource, property) and passes on the others", () => {
        hostOk(4, "printf ' ' >> /etc/containai/docker/daemon.json");
        const r = rollout("--drift", "--group", "lab", "--parallel", "3");
        assert.equal(r.code, 1, r.out);
        const s = byStack(r.report);
        assert.equal(s[name(2)].result, "clean");
        assert.equal(s[name(3)].result, "clean");
        assert.equal(s[name(4)].result, "drift");
        assert.ok(s[name(4)].drift?.some((d) => d.resource === "host-containai-docker-instance"), JSON.stringify(s[name(4)]));
        assert.ok(r.out.includes(`${name(4)}: host-containai-docker-instance (pulumi-nodejs:dynamic:Resource) update`), r.out);
        assert.equal(stacks[2].up("--refresh").code, 0);
        assert.equal(rollout("--drift", "--group", "lab").code, 0);
    });

    it("F3. a host that fails halts the rollout there: the next wave is untouched", () => {
        const change = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> => labConfig(i, {
            "containai:fleet": { group: "lab" },
            "containai:daemons": [{ bridge: { name: "cai0", cidr: "172.31.0.1/16" }, ...extra }],
        });
        stacks[0].setConfig(change(2));
        stacks[1].setConfig(change(3, { storageDriver: "zfs" }));   // valid config; dockerd cannot start on it here
        stacks[2].setConfig(change(4));
        const r = rollout("--group", "lab", "--canary", name(2), "--wave-size", "1");
        assert.equal(r.code, 1, r.out);
        assert.deepEqual(r.report.waves, [[name(2)], [name(3)], [name(4)]]);
        const s = byStack(r.report);
        assert.equal(s[name(2)].result, "succeeded");
        assert.equal(s[name(3)].result, "failed");
        assert.equal(s[name(4)].result, "skipped");
        assert.equal(r.report.halted, `${name(3)} failed in wave 1; later waves were not started`);
        assert.match(r.out, /HALTED/);
        assert.equal(hostOk(2, "ip -4 -o addr show cai0 | awk '{print $4}'"), "172.31.0.1/16");
        // Host 3 rolled back to its last good daemon; host 4 was never touched.
        assert.equal(hostOk(3, "systemctl is-active containai-docker.service"), "active");
        assert.equal(hostOk(4, "ip -4 -o addr show cai0 | awk '{print $4}'"), "172.30.0.1/16");
        assert.doesNotMatch(hostOk(4, "cat /etc/containai/docker/daemon.json"), /172\.31/);
    });

    it("F4. the state lives in the S3 store: the stacks are objects in its bucket", () => {
        const r = stacks[0].pulumi("stack", "ls", "--json");
        assert.equal(r.code, 0, r.out);
        const listed = (JSON.parse(r.out.slice(r.out.indexOf("["))) as { name: string }[]).map((s) => s.name);
        for (const i of HOSTS) assert.ok(listed.includes(name(i)), `${name(i)} not in ${listed.join(", ")}`);
        const data = path.join(process.env.CONTAINAI_CACHE ?? path.join(os.homedir(), ".cache", "containai-infra"), "lab", "s3-data", "containai-state");
        assert.ok(fs.existsSync(data), "MinIO holds the bucket");
        assert.match(stacks[0].env.PULUMI_BACKEND_URL ?? "", /^s3:\/\/containai-state\?/);
    });

    it("F5. the fleet tests left no stack file in the checkout", () => {
        assert.deepEqual(checkoutStackFiles(), stackFilesBefore);
    });
});
