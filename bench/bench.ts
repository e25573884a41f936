/* eslint-disable @typescript-eslint/no-require-imports */
// npm run bench: measures, prints a table and JSON. Not a test: no thresholds.
// Every time is also given as a ratio to the same command on an EMPTY Pulumi
// program measured in this same run, so the overhead of our program is visible
// whatever the machine's speed.
// Every bench host runs REAL sysbox (the lab build of 0.7.0, lab/sysbox-lab).
//   lab host 5: cold up (1 daemon); no-op preview and preview --refresh
//               (median of 5) and the SSH connections each costs; then a
//               second daemon and an up after a one-line change to it
//   lab host 5 again: 10 agents (lab agent image, lab build of the docker
//               plugin): cold up, one agent's boot to sshd-ready, no-op preview,
//               preview --refresh, and an up after one agent's memory change
//               (which containers it touched)
//   lab hosts 6-8: fleet of 3 bare hosts in parallel vs one alone; the rollout
//               command applying a one-line change to 1 host vs 3 (waves), and
//               the drift audit of 3
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { DOUBLE_DIR, ensureLab, execOnHost, hostOk, LAB_DIR, lab, labConfig as doubleConfig, labSysbox, ROOT, Stack } from "../test/lab/harness";

interface Row { measure: string; seconds: number; ratio?: number; detail: string; }
const RUNS = 5;

/** Every bench host runs REAL sysbox: the lab build of 0.7.0 (lab/sysbox-lab). */
let SYSBOX: { version: string; config: Record<string, unknown> };
function labConfig(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...doubleConfig(i, extra), "containai:sysbox": SYSBOX.config };
}

function timed<T>(f: () => T): [T, number] {
    const t = process.hrtime.bigint();
    const r = f();
    return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

async function timedAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
    const t = process.hrtime.bigint();
    const r = await f();
    return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

function must(r: { code: number; out: string }, what: string): void {
    if (r.code !== 0) throw new Error(`${what} failed:\n${r.out}`);
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median wall time of RUNS runs of f (each must succeed). */
function medianOf(f: () => { code: number; out: string }, what: string): number {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        const [r, t] = timed(f);
        must(r, what);
        times.push(t);
    }
    return median(times);
}

/** SSH logins lab host i accepted so far (sshd's journal, read through docker exec: no login of its own). */
function sshLogins(i: number): number {
    return Number(execOnHost(i, "journalctl -u ssh --no-pager -o cat | grep -c 'Accepted publickey' || true").out.trim());
}

/** A stack of an empty Pulumi program (no resources), same engine and env. */
function emptyProgram(): { preview: () => { code: number; out: string }; cleanup: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-bench-empty-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML.stringify({ name: "empty", runtime: "nodejs", main: "index.js" }));
    fs.writeFileSync(path.join(dir, "index.js"), "// An empty Pulumi program: the baseline.\nrequire(\"@pulumi/pulumi\");\n");
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const probe = new Stack("bench-env", {});
    const env = { ...probe.env, PULUMI_HOME: path.join(dir, "home"), PULUMI_BACKEND_URL: `file://${dir}` };
    probe.cleanup();
    const run = (...args: string[]): { code: number; out: string } => {
        const r = spawnSync("pulumi", [...args, "--stack", "empty", "--non-interactive"], { cwd: dir, env, encoding: "utf8" });
        return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
    };
    must(run("stack", "init"), "empty stack init");
    must(run("up", "--yes", "--skip-preview"), "empty up");
    return { preview: () => run("preview"), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const UNITS = ["containai-docker.service", "bench-b.service"];
function startTimes(i: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const u of UNITS) out[u] = hostOk(i, `systemctl show -p ActiveEnterTimestampMonotonic --value ${u}`);
    return out;
}

/** 10 agents on lab host 5: what a host with agents costs to audit and to change. */
async function benchAgents(rows: Row[], base: number): Promise<void> {
    const N = 10;
    const dir = path.join(DOUBLE_DIR, "agent-images");
    lab("agent-image");
    const gw = lab("serve").replace(/\/$/, "");
    const sha = fs.readFileSync(path.join(dir, "containai-lab-agent_v1.tar.sha256"), "utf8").split(/\s+/)[0];
    const pub = fs.readFileSync(path.join(LAB_DIR, "id_ed25519.pub"), "utf8").trim();
    const agents = (mem: (i: number) => string): Record<string, unknown> => ({
        "containai:agents": Array.from({ length: N }, (_, i) => ({
            name: `a${i}`, image: "containai-lab-agent:v1", memory: mem(i), authorizedKeys: [pub],
            imageArchive: { url: `${gw}/agent-images/containai-lab-agent_v1.tar`, sha256: sha },
        })),
    });
    const D = "docker -H unix:///var/run/containai-docker.sock";
    const containers = (): Record<string, string> => Object.fromEntries(hostOk(5, `${D} ps --format '{{.Names}}' | sort | ` +
        `while read -r n; do echo "$n $(${D} inspect -f '{{.Id}}{{.State.StartedAt}}' "$n")"; done`).split("\n").map((l) => l.split(" ")));
    lab("reset", "5");
    const s = new Stack("bench-agents", labConfig(5, agents(() => "256m")));
    try {
        const [cold, tCold] = timed(() => s.up());
        must(cold, "cold up with agents");
        rows.push({ measure: `cold up, bare host + ${N} agents`, seconds: tCold, ratio: tCold / base, detail: "sysbox installed, image loaded from the lab archive" });
        // One agent from stopped to its sshd answering (systemd boot under real sysbox), timed on the host.
        hostOk(5, `${D} stop a0 >/dev/null`);
        const ms = Number(hostOk(5, `port=$(${D} inspect -f '{{(index (index .HostConfig.PortBindings "22/tcp") 0).HostPort}}' a0)
            t0=$(date +%s%N); ${D} start a0 >/dev/null
            for _ in $(seq 1 1200); do ssh-keyscan -T 1 -t ed25519 -p "$port" 127.0.0.1 2>/dev/null | grep -q ssh-ed25519 && break; sleep 0.05; done
            echo $(( ($(date +%s%N) - t0) / 1000000 ))`));
        rows.push({ measure: "agent boot: docker start to sshd answering (real sysbox)", seconds: ms / 1000, detail: "one agent, lab agent image v1, timed on the host" });
        let logins = sshLogins(5);
        const tNoop = medianOf(() => s.preview("--expect-no-changes"), "no-op preview (agents)");
        rows.push({ measure: `no-op preview, ${N} agents`, seconds: tNoop, ratio: tNoop / base,
            detail: `median of ${RUNS}; ${(sshLogins(5) - logins) / RUNS} SSH connection(s) per run` });
        logins = sshLogins(5);
        const tRefresh = medianOf(() => s.preview("--refresh", "--expect-no-changes"), "preview --refresh (agents)");
        rows.push({ measure: `preview --refresh (drift audit), ${N} agents`, seconds: tRefresh, ratio: tRefresh / base,
            detail: `median of ${RUNS}; ${(sshLogins(5) - logins) / RUNS} SSH connection(s) per run (ours + the docker provider's)` });
        // The engine's default parallelism on an 8-core machine: more docker
        // sessions at once than sshd's default MaxSessions (see agents-sshd).
        const tP32 = medianOf(() => s.preview("--refresh", "--expect-no-changes", "--parallel", "32"), "preview --refresh --parallel 32 (agents)");
        rows.push({ measure: `preview --refresh --parallel 32, ${N} agents`, seconds: tP32, ratio: tP32 / base,
            detail: `median of ${RUNS}; every run must pass (shared SSH connection open, sshd MaxSessions 128)` });
        const before = containers();
        s.setConfig(labConfig(5, agents((i) => (i === 3 ? "384m" : "256m"))));
        const [chg, tChg] = timed(() => s.up());
        must(chg, "up after one agent's memory change");
        const after = containers();
        const touched = Object.keys(before).filter((n) => before[n] !== after[n]);
        const a3mem = hostOk(5, `${D} inspect -f '{{.HostConfig.Memory}}' a3`);
        rows.push({ measure: `up after one agent's memory change (${N} agents)`, seconds: tChg, ratio: tChg / base,
            detail: `containers replaced or restarted: ${touched.join(", ") || "none"}; a3 memory now ${Number(a3mem) / 1024 ** 2} MiB` });
    } finally {
        s.destroy();
        s.cleanup();
    }
}

async function main(): Promise<void> {
    ensureLab(5, 6, 7, 8);
    SYSBOX = labSysbox("v0.7.0");
    const rows: Row[] = [];
    const empty = emptyProgram();
    let base = 0;
    try {
        base = medianOf(empty.preview, "empty preview");
        rows.push({ measure: "empty Pulumi program: preview (the baseline)", seconds: base, ratio: 1, detail: `median of ${RUNS}` });

        lab("reset", "5");
        const s = new Stack("bench-one", labConfig(5));
        try {
            const [cold, tCold] = timed(() => s.up());
            must(cold, "cold up");
            rows.push({ measure: "cold up, bare host (engine + sysbox + 1 daemon)", seconds: tCold, detail: "real sysbox (lab build) installed; apt archive cache warm" });
            let logins = sshLogins(5);
            const tNoop = medianOf(() => s.preview("--expect-no-changes"), "no-op preview");
            const perNoop = (sshLogins(5) - logins) / RUNS;
            rows.push({ measure: "no-op preview, 1 daemon", seconds: tNoop, ratio: tNoop / base, detail: `median of ${RUNS}; ${perNoop} SSH connection(s) per run` });
            logins = sshLogins(5);
            const tRefresh = medianOf(() => s.preview("--refresh", "--expect-no-changes"), "preview --refresh");
            const perRefresh = (sshLogins(5) - logins) / RUNS;
            rows.push({ measure: "preview --refresh (drift audit), 1 daemon", seconds: tRefresh, ratio: tRefresh / base,
                detail: `median of ${RUNS}; ${perRefresh} SSH connection(s) per run` });

            const daemons = (cidr: string): Record<string, unknown> => ({
                "containai:daemons": [{}, { name: "bench-b", bridge: { name: "caib", cidr } }],
            });
            s.setConfig(labConfig(5, daemons("172.40.0.1/16")));
            must(s.up(), "up with a second daemon");
            const before = startTimes(5);
            s.setConfig(labConfig(5, daemons("172.41.0.1/16")));
            const [chg, tChg] = timed(() => s.up());
            must(chg, "up after change");
            const after = startTimes(5);
            const restarted = UNITS.filter((u) => before[u] !== after[u]);
            rows.push({ measure: "up after one-line change (daemons[1].bridge.cidr)", seconds: tChg, ratio: tChg / base,
                detail: `restarted: ${restarted.join(", ") || "none"}` });
        } finally {
            s.destroy();
            s.cleanup();
        }

        await benchAgents(rows, base);

        for (const i of [6, 7, 8]) lab("reset", String(i));
        const fleetDir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-bench-fleet-"));
        const fleet = [6, 7, 8].map((i) => new Stack(`bench-fleet-${i}`, labConfig(i), { projectDir: fleetDir }));
        try {
            const [results, tFleet] = await timedAsync(() => Promise.all(fleet.map((f) => f.upAsync())));
            results.forEach((r, k) => must(r, `fleet up ${k}`));
            rows.push({ measure: "fleet: 3 bare hosts in parallel (1 daemon each)", seconds: tFleet, detail: "3 stacks, 3 engines" });
            // The rollout command (Automation API) applying a one-line change: 1 stack, then all 3 in waves.
            const rollout = (...args: string[]): { code: number; out: string } => {
                const r = spawnSync("node", [path.join(ROOT, "dist", "fleet", "rollout.js"), "--cwd", fleetDir, ...args],
                    { env: fleet[0].env, encoding: "utf8" });
                return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
            };
            const cidr = (i: number, c: string): Record<string, unknown> => labConfig(i, { "containai:daemons": [{ bridge: { name: "cai0", cidr: c } }] });
            fleet[0].setConfig(cidr(6, "172.42.0.1/16"));
            const [r1, t1] = timed(() => rollout("--stacks", "bench-fleet-6"));
            must(r1, "rollout of 1 stack");
            rows.push({ measure: "rollout: 1 host, one-line change (npm run rollout)", seconds: t1, ratio: t1 / base, detail: "preview, then up" });
            fleet.forEach((f, k) => f.setConfig(cidr(6 + k, "172.43.0.1/16")));
            const [r3, t3] = timed(() => rollout("--all", "--wave-size", "2", "--parallel", "2"));
            must(r3, "rollout of 3 stacks");
            rows.push({ measure: "rollout: 3 hosts, same change (canary, then a wave of 2)", seconds: t3, ratio: t3 / base,
                detail: `${(t3 / t1).toFixed(2)}x the 1-host rollout` });
            const [rd, td] = timed(() => rollout("--drift", "--all", "--parallel", "3"));
            must(rd, "drift audit of 3 stacks");
            rows.push({ measure: "drift audit: 3 hosts in parallel (npm run rollout -- --drift)", seconds: td, ratio: td / base, detail: "no drift" });
            lab("reset", "6");
            const one = new Stack("bench-fleet-one", labConfig(6));
            try {
                const [r1, tOne] = timed(() => one.up());
                must(r1, "single up");
                rows.push({ measure: "fleet: 1 bare host alone (1 daemon)", seconds: tOne,
                    detail: `parallel speed-up ${(3 * tOne / tFleet).toFixed(2)}x vs 3 sequential` });
            } finally {
                one.cleanup();
            }
        } finally {
            fs.rmSync(fleetDir, { recursive: true, force: true });
        }
    } finally {
        empty.cleanup();
    }

    const w = Math.max(...rows.map((r) => r.measure.length));
    console.log(`\n${"measure".padEnd(w)}  seconds  x empty  detail`);
    for (const r of rows) {
        const ratio = r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}x`;
        console.log(`${r.measure.padEnd(w)}  ${r.seconds.toFixed(2).padStart(7)}  ${ratio.padStart(7)}  ${r.detail}`);
    }
    console.log(`\nsysbox on every bench host: ${SYSBOX.version} (a LAB BUILD of real sysbox)`);
    console.log("\n" + JSON.stringify({ machine: `${process.platform} ${require("os").cpus().length} cpus`, sysbox: SYSBOX.version, runs: RUNS, rows }, null, 2));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
