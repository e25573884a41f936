// Fleet rollout planning and reporting. Pure (no Pulumi imports): the
// rollout command (rollout.ts) feeds it stack names and engine results.

export interface FleetStack {
    name: string;
    /** containai:fleet.group of the stack, if any. */
    group?: string;
}

export interface Selection {
    all?: boolean;
    names?: string[];
    group?: string;
}

/** The stacks a selection names, in name order; unknown names are an error. */
export function selectStacks(stacks: FleetStack[], sel: Selection): FleetStack[] {
    const byName = new Map(stacks.map((s) => [s.name, s]));
    if (sel.names && sel.names.length > 0) {
        const unknown = sel.names.filter((n) => !byName.has(n));
        if (unknown.length > 0) throw new Error(`--stacks: no stack named ${unknown.join(", ")} (have: ${[...byName.keys()].join(", ") || "none"})`);
        return [...new Set(sel.names)].sort().map((n) => byName.get(n) as FleetStack);
    }
    if (sel.group !== undefined) {
        const g = stacks.filter((s) => s.group === sel.group).sort((a, b) => a.name.localeCompare(b.name));
        if (g.length === 0) throw new Error(`--group ${sel.group}: no stack has containai:fleet.group ${sel.group}`);
        return g;
    }
    if (sel.all) return [...stacks].sort((a, b) => a.name.localeCompare(b.name));
    throw new Error("select stacks with --all, --stacks a,b or --group <name>");
}

/**
 * Waves: the canary alone first (default: the first selected stack), then the
 * others in waves of `waveSize`, in name order.
 */
export function planWaves(selected: string[], canary: string | undefined, waveSize: number): string[][] {
    if (selected.length === 0) return [];
    if (!Number.isInteger(waveSize) || waveSize < 1) throw new Error(`--wave-size ${waveSize}: must be a whole number >= 1`);
    const first = canary ?? selected[0];
    if (!selected.includes(first)) throw new Error(`--canary ${first} is not among the selected stacks (${selected.join(", ")})`);
    const rest = selected.filter((s) => s !== first);
    const waves = [[first]];
    for (let i = 0; i < rest.length; i += waveSize) waves.push(rest.slice(i, i + waveSize));
    return waves;
}

export type StackResult = "succeeded" | "failed" | "skipped" | "drift" | "clean" | "previewed";

export interface StackReport {
    stack: string;
    wave?: number;
    result: StackResult;
    /** Planned/applied changes per operation (create, update, replace, delete). */
    changes: Record<string, number>;
    seconds: number;
    startedAt?: string;
    endedAt?: string;
    /** For --drift: resource (URN name) → properties that differ. */
    drift?: { resource: string; type: string; op: string; properties: string[] }[];
    error?: string;
}

/** Counts of non-"same" operations. */
export function changeCounts(opMap: Record<string, number> | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [op, n] of Object.entries(opMap ?? {})) if (op !== "same" && n > 0) out[op] = n;
    return out;
}

/** A fixed-width table of the reports (one line per stack). */
export function summaryTable(reports: StackReport[]): string {
    const rows = reports.map((r) => [
        r.stack, r.wave === undefined ? "-" : String(r.wave), r.result,
        Object.entries(r.changes).map(([k, v]) => `${k} ${v}`).join(", ") || "none", `${r.seconds.toFixed(1)}s`,
    ]);
    const head = ["stack", "wave", "result", "changes", "duration"];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd();
    return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n");
}

/** The readable drift report: which host, which resource, which property. */
export function driftReport(reports: StackReport[]): string {
    const lines: string[] = [];
    for (const r of reports) {
        if (r.result === "failed") lines.push(`${r.stack}: the audit failed: ${r.error ?? "unknown error"}`);
        for (const d of r.drift ?? []) {
            lines.push(`${r.stack}: ${d.resource} (${d.type}) ${d.op}${d.properties.length ? `: ${d.properties.join(", ")}` : ""}`);
        }
    }
    return lines.length === 0 ? "no drift" : lines.join("\n");
}

/** The resource name in a URN (its last `::` part). */
export function urnName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}
