// Verdicts as text: the table `check` prints and the block a preview prints.
import { Finding } from "./assess";
import { VERDICT_ORDER } from "./rules";

/** Findings as an aligned table: property, value, verdict, reason (and fix). */
export function formatFindings(findings: Finding[]): string {
    if (findings.length === 0) return "  (nothing to report)";
    const sorted = [...findings].sort((a, b) => VERDICT_ORDER.indexOf(b.verdict) - VERDICT_ORDER.indexOf(a.verdict));
    const w = (k: "property" | "value") => Math.min(40, Math.max(k.length, ...sorted.map((f) => f[k].length)));
    const pw = w("property"), vw = w("value");
    const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 3)}...` : s).padEnd(n);
    const head = `  ${"PROPERTY".padEnd(pw)}  ${"VALUE".padEnd(vw)}  ${"VERDICT".padEnd(10)}  REASON`;
    const rows = sorted.map((f) => `  ${cut(f.property, pw)}  ${cut(f.value, vw)}  ${f.verdict.padEnd(10)}  ${f.reason}` +
        (f.fix && f.verdict !== "COMPATIBLE" && f.verdict !== "ADJUSTED" ? `. Fix: ${f.fix}` : ""));
    return [head, ...rows].join("\n");
}

/** The summary line: how many of each verdict. */
export function summary(findings: Finding[]): string {
    return VERDICT_ORDER.map((v) => `${findings.filter((f) => f.verdict === v).length} ${v}`).join(", ");
}
