// Dynamic providers that converge host state over SSH and can READ it back.
//
// @pulumi/command implements no Read, so hand edits on a host would be
// invisible to `pulumi preview --refresh`. These providers probe the host in
// `read`, store what they saw in `observed`, and `diff` compares that against
// `desired`: drift shows up as an update, and `pulumi up` puts it back.
// Design notes: docs/architecture.md.
import * as pulumi from "../sdk";
import { DynamicResource, namedProvider } from "../dynamic";
import { Connection, operatorError, parseKv, runOk, withEnv } from "./remote";
import { evaluate, HostFacts, Policy } from "./rules";

export interface HostStateInputs {
    connection: Connection;
    /** What this resource manages, for messages ("sysbox", "daemon containai-docker"). */
    label: string;
    /** Converge: idempotent, prints warnings on stderr, exits non-zero on failure. */
    applyScript: string;
    /** Probe: read-only, prints key=value lines. */
    probeScript: string;
    /** Undo on destroy (keeps data unless configured). */
    removeScript: string;
    env: Record<string, string>;
    /** Probe keys and the values a converged host shows. */
    desired: Record<string, string>;
    /** What an apply will do beyond the files, shown in `preview --diff` when it changes. */
    notice?: string;
}

export interface HostStateOutputs extends HostStateInputs {
    observed: Record<string, string>;
    /** Last apply's stderr lines starting with WARNING (e.g. a sysbox fallback). */
    warnings: string[];
}

/**
 * Health probes started early, for the health check of the same run. Two
 * places start one: the preflight of a preview (beside its own probe, on the
 * same connection), and a health check's own `read` in a refresh (which runs
 * before the program, so the probe overlaps everything up to the check).
 * Everything runs in this provider process (the engine keeps one for the
 * whole command): the health check takes the result instead of probing
 * again, and takes it whether or not it uses it. Keyed by the host and the
 * probe; an entry started by a read also carries the `after` it was read
 * with (the outputs of every step before), and is used only when the check's
 * `after` is the same: nothing before it changed. Forgotten as soon as a step
 * changes a host, so it never outlives a change (an update probes live).
 */
interface EarlyHealth {
    after?: string;
    result: Promise<HealthObservation>;
}

function healthStash(): Map<string, EarlyHealth> {
    const g = globalThis as unknown as { __containaiHealthStash?: Map<string, EarlyHealth> };
    if (!g.__containaiHealthStash) g.__containaiHealthStash = new Map();
    return g.__containaiHealthStash;
}

function forgetEarlyHealth(): void {
    healthStash().clear();
}

function driftKeys(desired: Record<string, string>, observed: Record<string, string> | undefined): string[] {
    return Object.keys(desired).filter((k) => (observed ?? {})[k] !== desired[k]);
}

function retryWarning(label: string): (m: string) => Promise<void> {
    return (m: string) => pulumi.log.warn(`${label}: ${m}`);
}

async function probe(i: HostStateInputs): Promise<Record<string, string>> {
    const r = await runOk(i.connection, withEnv(i.env, i.probeScript), `probe of ${i.label}`, { onRetry: retryWarning(i.label) });
    return parseKv(r.stdout);
}

async function converge(i: HostStateInputs): Promise<HostStateOutputs> {
    forgetEarlyHealth();
    const r = await runOk(i.connection, withEnv(i.env, i.applyScript), `${i.label}`,
        { onRetry: retryWarning(i.label), changesHost: true });
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("WARNING"));
    for (const w of warnings) await pulumi.log.warn(`${i.label}: ${w}`);
    const observed = await probe(i);
    const drift = driftKeys(i.desired, observed);
    if (drift.length > 0) {
        throw operatorError(`${i.label} did not converge on ${i.connection.host}: ` +
            drift.map((k) => `${k} is "${observed[k] ?? ""}", want "${i.desired[k]}"`).join("; "));
    }
    return { ...i, observed, warnings };
}

const hostStateProvider: pulumi.dynamic.ResourceProvider = namedProvider("host-state", {
    async diff(_id: string, olds: HostStateOutputs, news: HostStateInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces: string[] = [];
        if (olds.connection?.host !== news.connection.host) replaces.push("connection");
        const changed: string[] = [];
        for (const k of ["applyScript", "probeScript", "removeScript", "label", "notice"] as const) {
            if (olds[k] !== news[k]) changed.push(k);
        }
        if (JSON.stringify(olds.env) !== JSON.stringify(news.env)) changed.push("env");
        if (JSON.stringify(olds.desired) !== JSON.stringify(news.desired)) changed.push("desired");
        // Drift: what the last read saw differs from what we want.
        for (const k of driftKeys(news.desired, olds.observed)) changed.push(`observed.${k}`);
        const changes = changed.length > 0 || replaces.length > 0;
        return { changes, replaces, deleteBeforeReplace: true };
    },
    async create(inputs: HostStateInputs): Promise<pulumi.dynamic.CreateResult> {
        const outs = await converge(inputs);
        return { id: `${inputs.label}@${inputs.connection.host}:${inputs.connection.port}`, outs };
    },
    async update(_id: string, _olds: HostStateOutputs, news: HostStateInputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: await converge(news) };
    },
    async read(id: string, props: HostStateOutputs): Promise<pulumi.dynamic.ReadResult> {
        const observed = await probe(props);
        return { id, props: { ...props, observed } };
    },
    async delete(_id: string, props: HostStateOutputs): Promise<void> {
        forgetEarlyHealth();
        await runOk(props.connection, withEnv(props.env, props.removeScript), `removal of ${props.label}`, { changesHost: true });
    },
});

export type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** One piece of converged, readable host state. */
export class HostState extends DynamicResource {
    public readonly observed!: pulumi.Output<Record<string, string>>;
    public readonly warnings!: pulumi.Output<string[]>;
    constructor(name: string, args: Inputs<HostStateInputs>, opts?: pulumi.CustomResourceOptions) {
        super(hostStateProvider, name, { ...args, observed: undefined, warnings: undefined },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] }));
    }
}

// ------------------------------------------------------------- preflight

/** A read-only probe script and its environment. */
export interface Probe {
    script: string;
    env: Record<string, string>;
}

/** A health probe's result as data: the problems, or why the probe failed. */
export interface HealthObservation {
    problems?: string[];
    error?: string;
}

/** The health probe (run as the login user): what is not "ok". */
async function healthProblems(connection: Connection, probe: Probe): Promise<string[]> {
    const r = await runOk({ ...connection, sudo: false }, withEnv(probe.env, probe.script), "health check");
    const seen = parseKv(r.stdout);
    return Object.keys(seen).filter((k) => seen[k] !== "ok").map((k) => `${k} ${seen[k]}`);
}

function healthKey(connection: Connection, probe: Probe): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require("crypto");
    return createHash("sha256").update(JSON.stringify([connection.user, connection.host, connection.port,
        connection.hostKey, probe.script, probe.env])).digest("hex");
}

/**
 * Start the health probe now (its result, a failure included, waits in the
 * stash). `after`: what the steps before looked like when it started (a
 * read); without it (the preflight), a probe already started is kept.
 */
function startHealthProbe(connection: Connection, probe: Probe, after?: string): void {
    const key = healthKey(connection, probe);
    if (after === undefined && healthStash().has(key)) return;
    healthStash().set(key, {
        after,
        result: healthProblems(connection, probe).then((problems) => ({ problems }), (e) => ({ error: (e as Error).message })),
    });
}

/** Take (and forget) the early result for this probe, if one was started for these same steps before. */
function takeEarlyHealth(connection: Connection, probe: Probe, after: string): Promise<HealthObservation> | undefined {
    const key = healthKey(connection, probe);
    const early = healthStash().get(key);
    healthStash().delete(key);
    if (!early || (early.after !== undefined && early.after !== after)) return undefined;
    return early.result;
}

/** The health probe's result: the early one of this run when there is one, else probed now. */
async function healthNow(early: Promise<HealthObservation> | undefined, connection: Connection, probe: Probe): Promise<string[]> {
    if (!early) return healthProblems(connection, probe);
    const seen = await early;
    if (seen.error !== undefined) throw operatorError(seen.error);
    return seen.problems ?? [];
}

/** Facts whose change means the host itself changed (new kernel, OS upgrade). */
export const IDENTITY_FACTS: (keyof HostFacts)[] = ["os_id", "os_version", "kernel", "arch", "pid1", "apparmor"];

export interface PreflightInputs {
    connection: Connection;
    probeScript: string;
    policy: Policy;
    /**
     * Previews only: the host's health probe, started beside the preflight
     * probe on the same connection. Nothing changes on the host during a
     * preview, so the health check at the end of the run takes its result
     * instead of a second round trip (see healthNow). Not kept in state.
     */
    healthProbe?: Probe;
}

export interface PreflightOutputs extends PreflightInputs {
    facts: HostFacts;
    warnings: string[];
    apparmorDropin: boolean;
    apparmorDacOverride: boolean;
}

async function inspect(i: PreflightInputs): Promise<{ facts: HostFacts; verdict: ReturnType<typeof evaluate> }> {
    const env = { OWN_CONFIG_FILES: (i.policy.ownConfigFiles ?? []).join(" ") };
    const r = await runOk(i.connection, withEnv(env, i.probeScript), "preflight probe", { noSudo: true });
    const facts = parseKv(r.stdout) as unknown as HostFacts;
    return { facts, verdict: evaluate(facts, i.policy) };
}

/**
 * Read-only. `check` runs on every preview and update, before anything is
 * created: it probes the host and refuses incompatible ones, so a refusal
 * fails the run with nothing changed. Facts are recorded; a change in them
 * (new kernel, ...) shows as a diff.
 */
const preflightProvider: pulumi.dynamic.ResourceProvider = namedProvider("preflight", {
    async check(_olds: PreflightInputs, news: PreflightInputs): Promise<pulumi.dynamic.CheckResult> {
        const { healthProbe, ...rest } = news;
        // Both probes at once, as two channels of one connection.
        if (healthProbe) startHealthProbe(news.connection, healthProbe);
        const { facts, verdict } = await inspect(rest);
        if (verdict.refusals.length > 0) {
            return {
                failures: verdict.refusals.map((reason) => ({
                    property: "host", reason: `preflight refused ${news.connection.host}: ${reason}`,
                })),
            };
        }
        return {
            inputs: {
                ...rest, facts, warnings: verdict.warnings,
                apparmorDropin: verdict.apparmorDropin, apparmorDacOverride: verdict.apparmorDacOverride,
            },
        };
    },
    async diff(_id: string, olds: PreflightOutputs, news: PreflightOutputs): Promise<pulumi.dynamic.DiffResult> {
        const changed: string[] = [];
        // Only what identifies the host counts as a change; free disk space
        // and tool presence are re-checked on every run, not recorded as drift.
        const identity = (f: HostFacts | undefined): string =>
            JSON.stringify(IDENTITY_FACTS.map((k) => (f ?? ({} as HostFacts))[k]));
        if (identity(olds.facts) !== identity(news.facts)) changed.push("facts");
        if (JSON.stringify(olds.policy) !== JSON.stringify(news.policy)) changed.push("policy");
        if (olds.probeScript !== news.probeScript) changed.push("probeScript");
        const replaces = olds.connection?.host !== news.connection.host ? ["connection"] : [];
        return { changes: changed.length + replaces.length > 0, replaces };
    },
    async create(inputs: PreflightOutputs): Promise<pulumi.dynamic.CreateResult> {
        for (const w of inputs.warnings ?? []) await pulumi.log.warn(`preflight: ${w}`);
        return { id: `preflight@${inputs.connection.host}:${inputs.connection.port}`, outs: inputs };
    },
    async update(_id: string, _olds: PreflightOutputs, news: PreflightOutputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: news };
    },
    async read(id: string, props: PreflightOutputs): Promise<pulumi.dynamic.ReadResult> {
        const { facts } = await inspect(props);
        return { id, props: { ...props, facts } };
    },
});

export class PreflightCheck extends DynamicResource {
    public readonly facts!: pulumi.Output<HostFacts>;
    public readonly apparmorDropin!: pulumi.Output<boolean>;
    public readonly apparmorDacOverride!: pulumi.Output<boolean>;
    constructor(name: string, args: Inputs<PreflightInputs>, opts?: pulumi.CustomResourceOptions) {
        super(preflightProvider, name, {
            ...args, facts: undefined, warnings: undefined, apparmorDropin: undefined, apparmorDacOverride: undefined,
        }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] }));
    }
}

// ------------------------------------------------------------------ health

export interface HealthInputs {
    connection: Connection;
    probeScript: string;
    env: Record<string, string>;
    /** Outputs of every step before: unknown in a preview where one changes. */
    after: string;
}

/** How the engine passes an unknown value (a preview's pending output) to a dynamic provider. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";


function healthError(host: string, problems: string[]): string {
    return `health check failed on ${host}: ${problems.join("; ")}. ` +
        "Run `pulumi up --refresh` to restore what drifted, or see docs/troubleshooting.md.";
}

/**
 * The end-of-run health check. Its `check` runs on every preview and update
 * once the host has been converged, after every other step (its inputs are
 * their outputs): services active, sockets answer with the configured
 * default runtime, contexts point at their sockets. While an earlier step is
 * pending in a preview its inputs are unknown and it waits for the update.
 */
const healthProvider: pulumi.dynamic.ResourceProvider = namedProvider("health", {
    async check(olds: HealthInputs, news: HealthInputs): Promise<pulumi.dynamic.CheckResult> {
        // Only the real inputs: the serialized provider code (__provider)
        // contains this very constant.
        const pending = JSON.stringify([news.after, news.env, news.connection]).includes(UNKNOWN);
        const probe = { script: news.probeScript, env: news.env };
        const early = takeEarlyHealth(news.connection, probe, news.after);
        if (!pending && olds && (olds as Partial<HealthInputs>).probeScript !== undefined) {
            const problems = await healthNow(early, news.connection, probe);
            if (problems.length > 0) {
                return { failures: [{ property: "health", reason: healthError(news.connection.host, problems) }] };
            }
        }
        return { inputs: news };
    },
    async diff(_id: string, olds: HealthInputs, news: HealthInputs): Promise<pulumi.dynamic.DiffResult> {
        const changes = olds.probeScript !== news.probeScript || JSON.stringify(olds.env) !== JSON.stringify(news.env)
            || olds.after !== news.after;
        return { changes, replaces: olds.connection?.host !== news.connection.host ? ["connection"] : [] };
    },
    async create(inputs: HealthInputs): Promise<pulumi.dynamic.CreateResult> {
        const problems = await healthProblems(inputs.connection, { script: inputs.probeScript, env: inputs.env });
        if (problems.length > 0) throw operatorError(healthError(inputs.connection.host, problems));
        return { id: `health@${inputs.connection.host}:${inputs.connection.port}`, outs: inputs };
    },
    async update(_id: string, _olds: HealthInputs, news: HealthInputs): Promise<pulumi.dynamic.UpdateResult> {
        const problems = await healthProblems(news.connection, { script: news.probeScript, env: news.env });
        if (problems.length > 0) throw operatorError(healthError(news.connection.host, problems));
        return { outs: news };
    },
    /**
     * A refresh reads every resource before the program runs: start the probe
     * here, for this run's check to take (when nothing before it changed), so
     * it runs beside the other reads instead of at the end of the run. The
     * state itself is not changed by a read.
     */
    async read(id: string, props: HealthInputs): Promise<pulumi.dynamic.ReadResult> {
        if (props.probeScript !== undefined && props.connection !== undefined) {
            startHealthProbe(props.connection, { script: props.probeScript, env: props.env }, props.after);
        }
        return { id, props };
    },
});

export class HealthCheck extends DynamicResource {
    constructor(name: string, args: Inputs<HealthInputs>, opts?: pulumi.CustomResourceOptions) {
        super(healthProvider, name, args, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] }));
    }
}
