/* eslint-disable @typescript-eslint/no-require-imports */
// npm run bench: measures, prints a table and JSON. Not a test: no thresholds.
//   cold up on a bare lab host; no-op preview; up after a one-line config
//   change (and which daemons restarted); fleet of 3 hosts in parallel vs one.
import { ensureLab, hostOk, lab, labConfig, Stack } from "../test/lab/harness";

interface Row { measure: string; seconds: number; detail: string; }

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

const UNITS = ["containai-docker.service", "bench-b.service"];
function startTimes(i: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const u of UNITS) out[u] = hostOk(i, `systemctl show -p ActiveEnterTimestampMonotonic --value ${u}`);
    return out;
}

async function main(): Promise<void> {
    ensureLab(5, 6, 7, 8);
    const rows: Row[] = [];
    const daemons = (cidr: string): Record<string, unknown> => ({
        "containai:daemons": [{}, { name: "bench-b", bridge: { name: "caib", cidr } }],
    });

    lab("reset", "5");
    const s = new Stack("bench-one", labConfig(5, daemons("172.40.0.1/16")));
    try {
        const [cold, tCold] = timed(() => s.up());
        must(cold, "cold up");
        rows.push({ measure: "cold up, bare host (engine + sysbox + 2 daemons)", seconds: tCold, detail: "apt archive cache warm" });
        const [noop, tNoop] = timed(() => s.preview("--expect-no-changes"));
        must(noop, "no-op preview");
        rows.push({ measure: "no-op preview", seconds: tNoop, detail: "no changes" });
        const [noopR, tNoopR] = timed(() => s.preview("--refresh", "--expect-no-changes"));
        must(noopR, "no-op preview --refresh");
        rows.push({ measure: "no-op preview --refresh (drift audit)", seconds: tNoopR, detail: "probes every resource over SSH" });
        const before = startTimes(5);
        s.setConfig(labConfig(5, daemons("172.41.0.1/16")));
        const [chg, tChg] = timed(() => s.up());
        must(chg, "up after change");
        const after = startTimes(5);
        const restarted = UNITS.filter((u) => before[u] !== after[u]);
        rows.push({ measure: "up after one-line change (daemons[1].bridge.cidr)", seconds: tChg, detail: `restarted: ${restarted.join(", ") || "none"}` });
    } finally {
        s.destroy();
        s.cleanup();
    }

    for (const i of [6, 7, 8]) lab("reset", String(i));
    const fleet = [6, 7, 8].map((i) => new Stack(`bench-fleet-${i}`, labConfig(i)));
    try {
        const [results, tFleet] = await timedAsync(() => Promise.all(fleet.map((f) => f.upAsync())));
        results.forEach((r, k) => must(r, `fleet up ${k}`));
        rows.push({ measure: "fleet: 3 bare hosts in parallel (1 daemon each)", seconds: tFleet, detail: "3 stacks, 3 engines" });
        lab("reset", "6");
        const one = new Stack("bench-fleet-one", labConfig(6));
        try {
            const [r1, tOne] = timed(() => one.up());
            must(r1, "single up");
            rows.push({ measure: "fleet: 1 bare host alone (1 daemon)", seconds: tOne, detail: `parallel speed-up ${(3 * tOne / tFleet).toFixed(2)}x vs 3 sequential` });
        } finally {
            one.cleanup();
        }
    } finally {
        fleet.forEach((f) => f.cleanup());
    }

    const w = Math.max(...rows.map((r) => r.measure.length));
    console.log(`\n${"measure".padEnd(w)}  seconds  detail`);
    for (const r of rows) console.log(`${r.measure.padEnd(w)}  ${r.seconds.toFixed(1).padStart(7)}  ${r.detail}`);
    console.log("\n" + JSON.stringify({ machine: `${process.platform} ${require("os").cpus().length} cpus`, rows }, null, 2));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
