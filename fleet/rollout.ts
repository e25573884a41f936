// npm run rollout -- ...: roll changes out across the fleet (one stack per
// machine) with Pulumi's Automation API, or audit it for drift.
//
//   npm run rollout -- --group web [--canary web-01] [--wave-size 2] [--parallel 2] [--report out.json]
//   npm run rollout -- --stacks web-01,web-02 | --all
//   npm run rollout -- --drift --all            # preview --refresh --expect-no-changes on every stack, in parallel
//   npm run rollout -- --preview --all          # previews only (pull requests): what each stack would change
//
// Rollout: every selected stack is previewed first (nothing is applied if a
// preview fails); then the canary is applied alone, then the others in waves
// of --wave-size (each wave --parallel at a time). The first failure halts
// the rollout: later waves are left untouched. A live line per step, a
// summary table and a JSON report (--report FILE, or stdout with --json).
// Exit: 0 all applied / no drift; 1 a failure or drift; 2 bad arguments.
// State: whatever backend the project uses (PULUMI_BACKEND_URL: file://,
// s3://, gs://, azblob://, Pulumi Cloud). Docs: docs/fleet.md.
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { changeCounts, driftReport, FleetStack, planWaves, selectStacks, StackReport, summaryTable, urnName } from "./plan";

interface Options {
    cwd: string;
    all: boolean;
    names?: string[];
    group?: string;
    canary?: string;
    waveSize: number;
    parallel: number;
    drift: boolean;
    preview: boolean;
    report?: string;
    json: boolean;
}

function usage(msg: string): never {
    process.stderr.write(`rollout: ${msg}\nusage: npm run rollout -- (--all | --stacks a,b | --group G) [--canary S] ` +
        "[--wave-size N] [--parallel N] [--drift | --preview] [--report FILE] [--json] [--cwd DIR]\n");
    process.exit(2);
}

export function parseArgs(argv: string[]): Options {
    const o: Options = { cwd: process.cwd(), all: false, waveSize: 1, parallel: 2, drift: false, preview: false, json: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const val = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) usage(`${a} needs a value`);
            return v;
        };
        const num = (): number => {
            const v = val();
            if (!/^\d+$/.test(v) || Number(v) < 1) usage(`${a} ${v}: must be a whole number >= 1`);
            return Number(v);
        };
        switch (a) {
            case "--all": o.all = true; break;
            case "--stacks": o.names = val().split(",").map((s) => s.trim()).filter(Boolean); break;
            case "--group": o.group = val(); break;
            case "--canary": o.canary = val(); break;
            case "--wave-size": o.waveSize = num(); break;
            case "--parallel": o.parallel = num(); break;
            case "--drift": o.drift = true; break;
            case "--preview": o.preview = true; break;
            case "--report": o.report = val(); break;
            case "--json": o.json = true; break;
            case "--cwd": o.cwd = path.resolve(val()); break;
            default: usage(`unknown argument ${a}`);
        }
    }
    return o;
}

/**
 * Steps the engine runs at once per stack (its default is 4 x this machine's
 * CPUs). Each docker step opens an SSH connection to the host; at most 10 at
 * once stay within sshd's default MaxStartups (10 unauthenticated connections)
 * before the first one has become the shared master connection. See
 * docs/troubleshooting.md ("Session open refused").
 */
export const STEPS_PER_HOST = 10;

/** Run f over items with at most n at once; results in item order. */
async function pool<T, R>(items: T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await f(items[i]);
        }
    }));
    return out;
}

const t0 = Date.now();
function say(stack: string, line: string): void {
    const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`${s}s  ${stack.padEnd(20)} ${line}\n`);
}

/** Live progress from engine events: one line per resource step that is not "same". */
function progress(stack: string): (e: EngineEvent) => void {
    return (e: EngineEvent) => {
        const m = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
        if (e.resOutputsEvent && m && m.op !== "same" && m.type !== "pulumi:pulumi:Stack") say(stack, `${m.op} ${urnName(m.urn)} done`);
        if (e.resOpFailedEvent && m) say(stack, `${m.op} ${urnName(m.urn)} FAILED`);
        if (e.diagnosticEvent?.severity === "error" && !e.diagnosticEvent.urn?.endsWith("pulumi:pulumi:Stack")) {
            say(stack, `error: ${e.diagnosticEvent.message.trim().split("\n")[0]}`);
        }
    };
}

function errorText(e: unknown): string {
    const s = String((e as Error)?.message ?? e);
    const lines = s.split("\n").map((l) => l.trim()).filter((l) => /error:|ERROR:|refused|failed/.test(l));
    return (lines.length > 0 ? lines.slice(0, 3).join(" | ") : s.split("\n")[0]).slice(0, 500);
}

async function drift(stacks: Stack[], parallel: number): Promise<StackReport[]> {
    return pool(stacks, parallel, async (st) => {
        const start = Date.now();
        const found: NonNullable<StackReport["drift"]> = [];
        say(st.name, "drift audit (preview --refresh --expect-no-changes)");
        try {
            const r = await st.preview({
                refresh: true, expectNoChanges: true, diff: true, parallel: STEPS_PER_HOST,
                onEvent: (e) => {
                    const m = e.resourcePreEvent?.metadata;
                    if (m && m.op !== "same" && m.op !== "read" && m.type !== "pulumi:pulumi:Stack") {
                        found.push({ resource: urnName(m.urn), type: m.type, op: m.op,
                            properties: [...new Set([...(m.diffs ?? []), ...Object.keys(m.detailedDiff ?? {})])].sort() });
                    }
                },
            });
            say(st.name, "clean");
            return { stack: st.name, result: "clean", changes: changeCounts(r.changeSummary), seconds: (Date.now() - start) / 1000 };
        } catch (e) {
            const isDrift = found.length > 0 && /no changes were expected/.test(String((e as Error).message));
            say(st.name, isDrift ? `DRIFT in ${found.length} resource(s)` : "audit FAILED");
            return { stack: st.name, result: isDrift ? "drift" : "failed", changes: {}, seconds: (Date.now() - start) / 1000,
                drift: found, error: isDrift ? undefined : errorText(e) };
        }
    });
}

async function rollout(stacks: Stack[], o: Options): Promise<{ reports: StackReport[]; waves: string[][]; halted?: string }> {
    const byName = new Map(stacks.map((s) => [s.name, s]));
    const waves = planWaves(stacks.map((s) => s.name), o.canary, o.waveSize);
    const reports = new Map<string, StackReport>();
    // 1. Preview everything first: nothing is applied when a preview fails.
    const previews = await pool(stacks, o.parallel, async (st) => {
        say(st.name, "preview");
        try {
            const r = await st.preview({ onEvent: progress(st.name), parallel: STEPS_PER_HOST });
            const changes = changeCounts(r.changeSummary);
            say(st.name, `preview: ${Object.entries(changes).map(([k, v]) => `${k} ${v}`).join(", ") || "no changes"}`);
            return { st, changes, error: undefined as string | undefined };
        } catch (e) {
            say(st.name, "preview FAILED");
            return { st, changes: {}, error: errorText(e) };
        }
    });
    const badPreview = previews.find((p) => p.error);
    if (o.preview) {
        for (const p of previews) {
            reports.set(p.st.name, { stack: p.st.name, result: p.error ? "failed" : "previewed", changes: p.changes, seconds: 0, error: p.error });
        }
        return { reports: stacks.map((s) => reports.get(s.name) as StackReport), waves };
    }
    if (badPreview) {
        for (const p of previews) {
            reports.set(p.st.name, { stack: p.st.name, result: p.error ? "failed" : "skipped", changes: p.changes, seconds: 0, error: p.error });
        }
        return { reports: stacks.map((s) => reports.get(s.name) as StackReport), waves, halted: `preview of ${badPreview.st.name} failed` };
    }
    // 2. Waves: canary alone, then the rest; halt at the first failure.
    let halted: string | undefined;
    for (const [w, names] of waves.entries()) {
        if (halted) {
            for (const n of names) reports.set(n, { stack: n, wave: w, result: "skipped", changes: {}, seconds: 0 });
            continue;
        }
        say(`wave ${w}`, `${w === 0 ? "canary " : ""}${names.join(", ")}`);
        const results = await pool(names, o.parallel, async (n) => {
            const st = byName.get(n) as Stack;
            const start = new Date();
            try {
                const r = await st.up({ onEvent: progress(n), parallel: STEPS_PER_HOST });
                const end = new Date();
                say(n, "up: done");
                return { stack: n, wave: w, result: "succeeded", changes: changeCounts(r.summary.resourceChanges),
                    seconds: (end.getTime() - start.getTime()) / 1000, startedAt: start.toISOString(), endedAt: end.toISOString() } as StackReport;
            } catch (e) {
                const end = new Date();
                say(n, "up: FAILED");
                return { stack: n, wave: w, result: "failed", changes: {}, seconds: (end.getTime() - start.getTime()) / 1000,
                    startedAt: start.toISOString(), endedAt: end.toISOString(), error: errorText(e) } as StackReport;
            }
        });
        for (const r of results) reports.set(r.stack, r);
        const failed = results.find((r) => r.result === "failed");
        if (failed) halted = `${failed.stack} failed in wave ${w}; later waves were not started`;
    }
    return { reports: stacks.map((s) => reports.get(s.name) as StackReport), waves, halted };
}

export async function main(argv: string[]): Promise<number> {
    const o = parseArgs(argv);
    if (o.drift && o.preview) usage("--drift and --preview are exclusive");
    const ws = await LocalWorkspace.create({ workDir: o.cwd });
    const summaries = await ws.listStacks();
    const fleet: FleetStack[] = await Promise.all(summaries.map(async (s) => {
        const cfg = await ws.getAllConfig(s.name);
        let group: string | undefined;
        const raw = cfg["containai:fleet"]?.value;
        if (raw) {
            try {
                group = (JSON.parse(raw) as { group?: string }).group;
            } catch {
                group = undefined;
            }
        }
        return { name: s.name, group };
    }));
    let selected: FleetStack[];
    try {
        selected = selectStacks(fleet, { all: o.all, names: o.names, group: o.group });
    } catch (e) {
        usage((e as Error).message);
    }
    const stacks = await Promise.all(selected.map((s) => Stack.select(s.name, ws)));
    const report = o.drift
        ? { mode: "drift", reports: await drift(stacks, o.parallel), waves: [] as string[][], halted: undefined as string | undefined }
        : { mode: o.preview ? "preview" : "rollout", ...(await rollout(stacks, o)) };
    const text = JSON.stringify(report, null, 2);
    if (o.report) fs.writeFileSync(o.report, `${text}\n`);
    process.stdout.write(`\n${summaryTable(report.reports)}\n`);
    if (o.drift) process.stdout.write(`\n${driftReport(report.reports)}\n`);
    if (report.halted) process.stdout.write(`\nHALTED: ${report.halted}\n`);
    if (o.json) process.stdout.write(`${text}\n`);
    const ok = report.reports.every((r) => ["succeeded", "clean", "previewed"].includes(r.result));
    return ok ? 0 : 1;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
        process.stderr.write(`rollout: ${(e as Error).message}\n`);
        process.exit(1);
    });
}
