// Helpers for the config validators: a collector of problems that names
// each stack-config key, and typed readers that report instead of throwing.
// Pure: no Pulumi imports.
import { normalizePath } from "./checks";

export const NS = "containai";

export interface ConfigProblem {
    key: string;
    message: string;
}

// ---------------------------------------------------------------- helpers

export type Obj = Record<string, unknown>;

export class Collector {
    readonly problems: ConfigProblem[] = [];
    readonly warnings: ConfigProblem[] = [];
    add(key: string, message: string): void {
        this.problems.push({ key: `${NS}:${key}`, message });
    }
    warn(key: string, message: string): void {
        this.warnings.push({ key: `${NS}:${key}`, message });
    }
}

export function isObj(v: unknown): v is Obj {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function show(v: unknown): string {
    return typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

export function unknownKeys(c: Collector, key: string, o: Obj, allowed: string[]): void {
    for (const k of Object.keys(o)) {
        if (!allowed.includes(k)) {
            c.add(`${key}.${k}`, `unknown setting; allowed here: ${allowed.join(", ")}`);
        }
    }
}

export function str(c: Collector, key: string, v: unknown, def?: string): string | undefined {
    if (v === undefined || v === null) return def;
    if (typeof v === "string" && v.trim() === "") {
        c.add(key, `is empty; set a value, or remove the key to get the default: pulumi config rm --path ${NS}:${key}`);
        return def;
    }
    if (typeof v !== "string") {
        c.add(key, `${show(v)} is not a string`);
        return def;
    }
    return v;
}

export function bool(c: Collector, key: string, v: unknown, def: boolean): boolean {
    if (v === undefined || v === null) return def;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    c.add(key, `${show(v)} is not true or false`);
    return def;
}

export function int(c: Collector, key: string, v: unknown, def: number | undefined, min: number, max: number,
    fix: string): number | undefined {
    if (v === undefined || v === null || v === "") return def;
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n)) {
        c.add(key, `${show(v)} is not a whole number; ${fix}`);
        return def;
    }
    if (n < min || n > max) {
        c.add(key, `${n} is outside ${min}-${max}; ${fix}`);
        return def;
    }
    return n;
}

/** An absolute path setting, in its normal form (normalizePath): what every check and the host see. */
export function absPath(c: Collector, key: string, v: unknown, def: string): string {
    const s = str(c, key, v, def) ?? def;
    const n = normalizePath(s);
    if (n.problem !== undefined) c.add(key, `${show(s)} ${n.problem}`);
    return n.path ?? s;
}

/** A name used for units, namespaces, hostnames: lowercase, digits, '-'; at most `max` characters. */
export function checkName(c: Collector, key: string, v: string, max: number): void {
    if (v.length > max) c.add(key, `${show(v)} is too long (${v.length} characters; at most ${max})`);
    else if (!/^[a-z0-9][a-z0-9-]*$/.test(v)) c.add(key, `${show(v)} must be lowercase letters, digits and '-', starting with a letter or digit`);
}

/** A positive number from a parser; 0 and negatives say "must be > 0", not "does not parse". */
export function positive(c: Collector, key: string, v: unknown, parse: (x: unknown) => number | undefined, example: string): number | undefined {
    const n = parse(v);
    if (n !== undefined) return n;
    const numeric = typeof v === "number" ? v : typeof v === "string" ? Number.parseFloat(v) : NaN;
    if (Number.isFinite(numeric) && numeric <= 0) c.add(key, `${show(v)} must be > 0`);
    else c.add(key, `${show(v)} does not parse; use ${example}`);
    return undefined;
}

// --------------------------------------------------------- size parsing

const UNITS: Record<string, number> = {
    "": 1, b: 1, k: 1024, kb: 1024, ki: 1024, kib: 1024,
    m: 1024 ** 2, mb: 1024 ** 2, mi: 1024 ** 2, mib: 1024 ** 2,
    g: 1024 ** 3, gb: 1024 ** 3, gi: 1024 ** 3, gib: 1024 ** 3,
    t: 1024 ** 4, tb: 1024 ** 4, ti: 1024 ** 4, tib: 1024 ** 4,
};

/** "8g", "512Mi", "1.5GiB", 1073741824 → bytes; undefined when it does not parse. */
export function parseMemory(v: unknown): number | undefined {
    if (typeof v === "number") return Number.isInteger(v) && v > 0 ? v : undefined;
    if (typeof v !== "string") return undefined;
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
    if (!m) return undefined;
    const unit = UNITS[m[2].toLowerCase()];
    if (unit === undefined) return undefined;
    const bytes = Math.floor(Number(m[1]) * unit);
    return bytes > 0 ? bytes : undefined;
}

/** "2", 1.5, "500m" (millicpus) → cpus; undefined when it does not parse. */
export function parseCpus(v: unknown): number | undefined {
    if (typeof v === "number") return v > 0 && Number.isFinite(v) ? v : undefined;
    if (typeof v !== "string") return undefined;
    const milli = /^\s*(\d+)m\s*$/.exec(v);
    if (milli) return Number(milli[1]) > 0 ? Number(milli[1]) / 1000 : undefined;
    if (!/^\s*\d+(\.\d+)?\s*$/.test(v)) return undefined;
    const n = Number(v);
    return n > 0 ? n : undefined;
}

