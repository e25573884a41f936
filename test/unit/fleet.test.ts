import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { projectRoot } from "../helpers";
import { describe, it } from "mocha";
import { changeCounts, driftReport, planWaves, selectStacks, summaryTable, urnName } from "../../fleet/plan";
import { parseArgs } from "../../fleet/rollout";
import { checkConfig } from "../../components/config/schema";

describe("fleet: selection, waves, reports", () => {
    const fleet = [{ name: "web-02", group: "web" }, { name: "db-01", group: "db" }, { name: "web-01", group: "web" }, { name: "web-03", group: "web" }];

    it("selects all, by name or by group tag, in name order; unknown names and empty groups are errors", () => {
        assert.deepEqual(selectStacks(fleet, { all: true }).map((s) => s.name), ["db-01", "web-01", "web-02", "web-03"]);
        assert.deepEqual(selectStacks(fleet, { group: "web" }).map((s) => s.name), ["web-01", "web-02", "web-03"]);
        assert.deepEqual(selectStacks(fleet, { names: ["web-03", "db-01"] }).map((s) => s.name), ["db-01", "web-03"]);
        assert.throws(() => selectStacks(fleet, { names: ["nope"] }), /--stacks: no stack named nope/);
        assert.throws(() => selectStacks(fleet, { group: "cache" }), /no stack has containai:fleet\.group cache/);
        assert.throws(() => selectStacks(fleet, {}), /select stacks with --all/);
    });

    it("waves: the canary alone, then waves of --wave-size", () => {
        const names = ["web-01", "web-02", "web-03", "web-04", "web-05"];
        assert.deepEqual(planWaves(names, undefined, 2), [["web-01"], ["web-02", "web-03"], ["web-04", "web-05"]]);
        assert.deepEqual(planWaves(names, "web-04", 3), [["web-04"], ["web-01", "web-02", "web-03"], ["web-05"]]);
        assert.throws(() => planWaves(names, "db-01", 1), /--canary db-01 is not among the selected stacks/);
        assert.throws(() => planWaves(names, undefined, 0), /--wave-size 0/);
    });

    it("reports: change counts, a table, a drift report naming stack, resource and property", () => {
        assert.deepEqual(changeCounts({ same: 20, update: 2, create: 0 }), { update: 2 });
        const t = summaryTable([
            { stack: "web-01", wave: 0, result: "succeeded", changes: { update: 2 }, seconds: 12.34 },
            { stack: "web-02", wave: 1, result: "skipped", changes: {}, seconds: 0 },
        ]);
        assert.equal(t.split("\n")[0], "stack   wave  result     changes   duration");
        assert.match(t, /web-01 {2}0 {5}succeeded {2}update 2 {2}12\.3s/);
        assert.match(t, /web-02 {2}1 {5}skipped {4}none {6}0\.0s/);
        assert.equal(driftReport([{ stack: "web-01", result: "clean", changes: {}, seconds: 1 }]), "no drift");
        assert.equal(driftReport([{ stack: "web-02", result: "drift", changes: {}, seconds: 1,
            drift: [{ resource: "host-containai-docker-instance", type: "pulumi-nodejs:dynamic:Resource", op: "update", properties: ["observed.config_sha256"] }] }]),
            "web-02: host-containai-docker-instance (pulumi-nodejs:dynamic:Resource) update: observed.config_sha256");
        assert.equal(urnName("urn:pulumi:s::p::containai:host:Host$pulumi-nodejs:dynamic:Resource::host-health"), "host-health");
    });

    it("arguments: bad values are refused before anything runs", () => {
        const o = parseArgs(["--group", "web", "--canary", "web-01", "--wave-size", "2", "--parallel", "3", "--report", "r.json"]);
        assert.deepEqual([o.group, o.canary, o.waveSize, o.parallel, o.drift], ["web", "web-01", 2, 3, false]);
        assert.deepEqual(parseArgs(["--stacks", "a, b", "--drift"]).names, ["a", "b"]);
    });

    it("containai:fleet.group is part of the validated stack config", () => {
        const SSH = { host: "10.0.0.5", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==", privateKeyFile: "/k" };
        assert.deepEqual(checkConfig({ ssh: SSH, fleet: { group: "web" } }).config.fleet, { group: "web" });
        assert.match(checkConfig({ ssh: SSH, fleet: { group: "a b" } }).problems[0].message, /is not a group name/);
        assert.match(checkConfig({ ssh: SSH, fleet: { wave: 1 } }).problems[0].key, /containai:fleet\.wave/);
    });

    it("CI workflows: preview on pull requests, rollout on main, drift on a schedule; actionlint-clean; secrets only through env", () => {
        const dir = path.join(projectRoot(), ".github", "workflows");
        const wf = (f: string): { text: string; doc: any } => {
            const text = fs.readFileSync(path.join(dir, f), "utf8");
            return { text, doc: YAML.parse(text) };
        };
        const pr = wf("fleet-preview.yml");
        assert.ok(pr.doc.on.pull_request);
        assert.match(pr.text, /npm run rollout -- --preview "\$\{select\[@\]\}"/);
        assert.match(pr.text, /sed -n 's\/\^Pulumi/, "affected stacks from the changed stack files");
        assert.match(pr.text, /gh pr comment/);
        const main = wf("fleet-rollout.yml");
        assert.deepEqual(main.doc.on.push.branches, ["main"]);
        assert.match(main.text, /npm run rollout -- "\$\{select\[@\]\}" --wave-size 2/);
        const drift = wf("fleet-drift.yml");
        assert.ok(drift.doc.on.schedule[0].cron);
        assert.match(drift.text, /npm run rollout -- --drift --all/);
        for (const f of ["fleet-preview.yml", "fleet-rollout.yml", "fleet-drift.yml"]) {
            // A secret appears only as an env value, never inside a run script.
            for (const job of Object.values(wf(f).doc.jobs) as any[]) {
                for (const step of job.steps) assert.doesNotMatch(step.run ?? "", /secrets\./, `${f}: a secret inline in a run script`);
            }
        }
        const actionlint = process.env.CONTAINAI_ACTIONLINT;
        assert.ok(actionlint && fs.existsSync(actionlint), "actionlint not found: npm test builds it; set CONTAINAI_ACTIONLINT");
        const r = spawnSync(actionlint, fs.readdirSync(dir).map((f) => path.join(dir, f)), { encoding: "utf8" });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });
});
