// A devcontainer.json, property by property, against the rule table: each
// gets a verdict (rules.ts), and what it contributes to the agent is written
// in the shape of a containai:agents[] entry. That entry then goes through
// the agents' own validator (components/config/agents.ts), so a mount, an env
// variable or a sysctl from a devcontainer.json meets exactly the guardrails
// a hand-written one does; each refusal becomes a BLOCKED verdict on the
// property it came from. Pure: no Pulumi imports.
import * as fs from "fs";
import * as path from "path";
import { parse as parseCsv } from "csv-parse/sync";
import { DaemonPaths, validateAgents } from "../config/agents";
import { Collector, isObj } from "../config/collect";
import { rule, Verdict, VERDICT_ORDER } from "./rules";

export type Command = string | string[] | Record<string, string | string[]>;

export interface Finding {
    /** Where in the file: "runArgs[3]", "containerEnv.FOO", "features[\"./hello\"]". */
    property: string;
    /** The value as written in the file (never a substituted one). */
    value: string;
    verdict: Verdict;
    /** The rule that decided the verdict (rules.ts). */
    rule: string;
    reason: string;
    fix?: string;
}

export interface LocalFeature {
    id: string;
    /** Absolute folder of the feature (holds install.sh). */
    dir: string;
    options: Record<string, string | boolean>;
}

/** What a devcontainer.json contributes to an agent. */
export interface DevcontainerAgent {
    /** Keys of a containai:agents[] entry (user, env, mounts, ports, sysctls, cpus, memory, workspace, workspacePath). */
    raw: Record<string, unknown>;
    image?: string;
    build?: { dockerfile: string; context: string; args: Record<string, string>; target?: string };
    features: LocalFeature[];
    lifecycle: { onCreateCommand?: Command; updateContentCommand?: Command; postCreateCommand?: Command; postStartCommand?: Command };
    /** Where lifecycle commands run (workspaceFolder). */
    workdir?: string;
    forwardPorts: number[];
    /** Login environment; null unsets. */
    remoteEnv: Record<string, string | null>;
}

export interface DevcontainerContext {
    /** The devcontainer.json's path (relative paths in it are relative to its folder). */
    file: string;
    /** Agent name (${devcontainerId}). */
    name: string;
    /** The agent's workspace on the host (${localWorkspaceFolder}). */
    workspace: string;
    /** The workspace inside the agent unless the file sets it (${containerWorkspaceFolder}). */
    workspacePath: string;
    /** Environment of `pulumi up` (${localEnv:X}). */
    env: Record<string, string | undefined>;
    daemons: DaemonPaths[];
}

const KNOWN = new Set(["name", "$schema", "customizations", "shutdownAction", "extensions", "settings", "image", "build", "dockerFile",
    "context", "dockerComposeFile", "service", "runServices", "features", "overrideFeatureInstallOrder", "remoteUser", "containerUser",
    "updateRemoteUserUID", "userEnvProbe", "containerEnv", "remoteEnv", "mounts", "workspaceMount", "workspaceFolder", "privileged",
    "capAdd", "securityOpt", "init", "runArgs", "initializeCommand", "onCreateCommand", "updateContentCommand", "postCreateCommand",
    "postStartCommand", "postAttachCommand", "waitFor", "overrideCommand", "forwardPorts", "appPort", "portsAttributes",
    "otherPortsAttributes", "hostRequirements"]);

/** Rules whose detail is the agents validator's own message (it names the fix). */
const GUARDRAIL_RULES = ["guardrail", "mount.refused", "sysctl.refused"];

function explain(ruleId: string, detail?: string): string {
    const r = rule(ruleId);
    if (detail === undefined) return r.what;
    return GUARDRAIL_RULES.includes(ruleId) ? `${r.what}: ${detail}` : `${r.what} (${detail})`;
}

function shown(v: unknown): string {
    const s = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

class Assessment {
    readonly findings: Finding[] = [];
    readonly agent: DevcontainerAgent = { raw: {}, features: [], lifecycle: {}, forwardPorts: [], remoteEnv: {} };
    /** agents[] key (as the validator names it) → the finding it came from. */
    readonly origins = new Map<string, Finding>();
    constructor(readonly ctx: DevcontainerContext) {}

    add(property: string, value: unknown, ruleId: string, detail?: string): Finding {
        const r = rule(ruleId);
        const f: Finding = { property, value: shown(value), verdict: r.verdict, rule: r.id, reason: explain(ruleId, detail), fix: r.fix };
        this.findings.push(f);
        return f;
    }
    /**
     * Raise a finding to a more severe rule. A BLOCKED one says only why; a
     * WARNED one keeps what is done with the value after the warning.
     */
    raise(f: Finding, ruleId: string, detail?: string): void {
        const r = rule(ruleId);
        const what = explain(ruleId, detail);
        if (VERDICT_ORDER.indexOf(r.verdict) > VERDICT_ORDER.indexOf(f.verdict)) {
            f.reason = r.verdict === "BLOCKED" ? what : `${what}; ${f.reason}`;
            f.verdict = r.verdict;
            f.rule = r.id;
            f.fix = r.fix;
        } else if (!f.reason.includes(what)) {
            f.reason = `${f.reason}; ${what}`;
        }
    }
    typeError(property: string, value: unknown, expected: string): Finding {
        return this.add(property, value, "type", `expected ${expected}`);
    }

    /** ${...} variables of the spec; ${localEnv:X} and unknown ones are noted on f. */
    sub(s: string, f: Finding, containerEnv = false): string {
        return s.replace(/\$\{([^}]*)\}/g, (all, v: string) => {
            const base = (p: string) => p.split("/").filter(Boolean).pop() ?? "";
            switch (v) {
                case "localWorkspaceFolder": return this.ctx.workspace;
                case "localWorkspaceFolderBasename": return base(this.ctx.workspace);
                case "containerWorkspaceFolder": return this.workspacePath();
                case "containerWorkspaceFolderBasename": return base(this.workspacePath());
                case "devcontainerId": return this.ctx.name;
            }
            const env = /^localEnv:([A-Za-z_][A-Za-z0-9_]*)(?::(.*))?$/.exec(v);
            if (env) {
                this.raise(f, "localEnv", `\${localEnv:${env[1]}}`);
                return this.ctx.env[env[1]] ?? env[2] ?? "";
            }
            const cenv = /^containerEnv:([A-Za-z_][A-Za-z0-9_]*)$/.exec(v);
            if (cenv && containerEnv) return `\${${cenv[1]}}`;
            this.raise(f, "variable.unknown", all);
            return all;
        });
    }
    workspacePath(): string {
        return (this.agent.raw.workspacePath as string | undefined) ?? this.ctx.workspacePath;
    }

    /** Put value at an agents[] key, remembering which finding it came from. */
    set(key: string, value: unknown, f: Finding): void {
        const m = /^(env|sysctls)\.(.+)$/.exec(key);
        if (m) {
            const map = (this.agent.raw[m[1]] ??= {}) as Record<string, unknown>;
            map[m[2]] = value;
        } else {
            this.agent.raw[key] = value;
        }
        this.origins.set(key, f);
    }
    push(list: "mounts" | "ports", value: unknown, f: Finding): void {
        const arr = (this.agent.raw[list] ??= []) as unknown[];
        this.origins.set(`${list}[${arr.length}]`, f);
        arr.push(value);
    }
}

// ------------------------------------------------------------------ pieces

/** One `--mount` (CSV of key=value) or mounts[] entry (string or object). */
function mount(a: Assessment, property: string, v: unknown, f?: Finding): void {
    let fields: Record<string, string | true> = {};
    if (isObj(v)) {
        for (const [k, x] of Object.entries(v)) fields[k] = typeof x === "boolean" ? (x ? true : "false") : String(x);
    } else if (typeof v === "string") {
        try {
            const rows = parseCsv(v, { relax_column_count: true }) as string[][];
            for (const kv of rows[0] ?? []) {
                const i = kv.indexOf("=");
                fields[i < 0 ? kv.trim() : kv.slice(0, i).trim()] = i < 0 ? true : kv.slice(i + 1);
            }
        } catch {
            a.typeError(property, v, "a --mount value like source=/srv/data,target=/data,type=bind");
            return;
        }
    } else {
        a.typeError(property, v, "a --mount string or { type, source, target }");
        return;
    }
    fields = Object.fromEntries(Object.entries(fields).map(([k, x]) => [k.toLowerCase(), x]));
    const g = f ?? a.add(property, v, "mount");
    const type = String(fields.type ?? "volume");
    const rawSource = fields.source ?? fields.src;
    const rawTarget = fields.target ?? fields.destination ?? fields.dst;
    const ro = fields.readonly ?? fields.ro;
    const readOnly = ro === true || ro === "true" || ro === "1";
    if (type === "tmpfs" || (type === "volume" && rawSource === undefined) || fields["volume-driver"] !== undefined ||
        Object.keys(fields).some((k) => k.startsWith("volume-opt") || k.startsWith("tmpfs-"))) {
        a.raise(g, "mount.unsupported", type === "tmpfs" ? "tmpfs" : rawSource === undefined ? "anonymous volume" : "volume options");
        return;
    }
    if (type !== "bind" && type !== "volume") {
        a.raise(g, "type", `mount type ${type}: bind or volume`);
        return;
    }
    if (typeof rawSource !== "string" || typeof rawTarget !== "string") {
        a.raise(g, "type", "a mount needs source and target");
        return;
    }
    const source = a.sub(rawSource, g);
    const target = a.sub(rawTarget, g);
    if ((type === "bind") !== source.startsWith("/")) {
        a.raise(g, "type", type === "bind" ? "a bind mount's source is an absolute host path" : "a volume's source is a volume name");
        return;
    }
    a.push("mounts", { source, target, readOnly }, g);
}

/** `-v SRC:DST[:OPTS]`. */
function volumeFlag(a: Assessment, property: string, v: string, f: Finding): void {
    const parts = v.split(":");
    if (parts.length === 1) {
        a.raise(f, "mount.unsupported", "anonymous volume");
        return;
    }
    const [src, dst, opts = ""] = parts;
    mount(a, property, { type: src.startsWith("/") || src.startsWith("${") ? "bind" : "volume", source: src, target: dst,
        readonly: opts.split(",").includes("ro") }, f);
}

/** `-p [IP:][HOST:]CONTAINER[/PROTO]`, or an appPort entry. */
function publish(a: Assessment, property: string, v: unknown, f: Finding): void {
    const s = String(v);
    const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(s);
    if (!m) {
        a.raise(f, /-/.test(s) ? "publish.unsupported" : "type", /-/.test(s) ? "port range" : "expected [IP:][HOST:]PORT[/tcp|udp]");
        return;
    }
    const container = Number(m[3]);
    a.push("ports", { container, host: m[2] !== undefined ? Number(m[2]) : container, bind: m[1] ?? "127.0.0.1", protocol: m[4] ?? "tcp" }, f);
    void property;
}

function securityOpt(a: Assessment, property: string, v: unknown, f?: Finding): void {
    if (typeof v !== "string") {
        a.typeError(property, v, "a string like seccomp=unconfined");
        return;
    }
    const id = /^systempaths\s*[=:]\s*unconfined$/.test(v.trim()) ? "securityOpt.systempaths" : "securityOpt";
    if (f) a.raise(f, id);
    else a.add(property, v, id);
}

function isCommand(v: unknown): v is Command {
    const strs = (x: unknown) => Array.isArray(x) && x.length > 0 && x.every((y) => typeof y === "string");
    return typeof v === "string" || strs(v) || (isObj(v) && Object.values(v).every((x) => typeof x === "string" || strs(x)));
}

// ------------------------------------------------------------------ runArgs

type FlagKind = "privileged" | "capAdd" | "capDrop" | "securityOpt" | "sysctl" | "network" | "ns" | "device" | "volume" | "mount"
    | "env" | "envFile" | "publish" | "publishAll" | "cpus" | "memory" | "init" | "runtime" | "entrypoint" | "user" | "name"
    | "ignored" | "volumesFrom";
/** docker run flags: does it take a value, and what is it. */
const FLAGS: Record<string, [boolean, FlagKind]> = {
    "--privileged": [false, "privileged"], "--cap-add": [true, "capAdd"], "--cap-drop": [true, "capDrop"],
    "--security-opt": [true, "securityOpt"], "--sysctl": [true, "sysctl"], "--network": [true, "network"], "--net": [true, "network"],
    "--pid": [true, "ns"], "--ipc": [true, "ns"], "--uts": [true, "ns"], "--userns": [true, "ns"], "--cgroupns": [true, "ns"],
    "--device": [true, "device"], "--gpus": [true, "device"], "--device-cgroup-rule": [true, "device"],
    "-v": [true, "volume"], "--volume": [true, "volume"], "--mount": [true, "mount"], "--volumes-from": [true, "volumesFrom"],
    "-e": [true, "env"], "--env": [true, "env"], "--env-file": [true, "envFile"],
    "-p": [true, "publish"], "--publish": [true, "publish"], "-P": [false, "publishAll"], "--publish-all": [false, "publishAll"],
    "--cpus": [true, "cpus"], "-m": [true, "memory"], "--memory": [true, "memory"], "--init": [false, "init"],
    "--runtime": [true, "runtime"], "--entrypoint": [true, "entrypoint"], "-u": [true, "user"], "--user": [true, "user"],
    "--name": [true, "name"], "-h": [true, "name"], "--hostname": [true, "name"],
    "--rm": [false, "ignored"], "-i": [false, "ignored"], "-t": [false, "ignored"], "-d": [false, "ignored"], "-it": [false, "ignored"],
    "-ti": [false, "ignored"], "--interactive": [false, "ignored"], "--tty": [false, "ignored"], "--detach": [false, "ignored"],
};

function runArgs(a: Assessment, list: unknown): void {
    if (!Array.isArray(list)) {
        a.typeError("runArgs", list, "an array of docker run arguments");
        return;
    }
    for (let i = 0; i < list.length; i++) {
        const arg = list[i] as unknown;
        if (typeof arg !== "string") {
            a.typeError(`runArgs[${i}]`, arg, "a string");
            continue;
        }
        let flag = arg, value: string | undefined, text = arg, property = `runArgs[${i}]`;
        const eq = arg.indexOf("=");
        if (arg.startsWith("--") && eq > 0) {
            flag = arg.slice(0, eq);
            value = arg.slice(eq + 1);
        } else if (/^-[a-zA-Z]./.test(arg) && !FLAGS[arg] && FLAGS[arg.slice(0, 2)]?.[0]) {
            flag = arg.slice(0, 2);
            value = arg.slice(2);
        }
        const spec = FLAGS[flag];
        if (!arg.startsWith("-")) {
            a.add(property, arg, "runArgs.other", "not a flag");
            continue;
        }
        if (!spec) {
            a.add(property, arg, "runArgs.other");
            continue;
        }
        const [takes, kind] = spec;
        if (takes && value === undefined) {
            value = list[i + 1] as string | undefined;
            if (typeof value !== "string") {
                a.typeError(property, arg, `a value after ${flag}`);
                continue;
            }
            text = `${arg} ${value}`;
            property = `runArgs[${i}..${i + 1}]`;
            i++;
        }
        const off = !takes && value !== undefined && /^(false|0)$/i.test(value);
        const v = value ?? "";
        switch (kind) {
            case "privileged": a.add(property, text, off ? "privileged.false" : "privileged"); break;
            case "init": a.add(property, text, off ? "init.false" : "init"); break;
            case "ignored": a.add(property, text, "runArgs.ignored"); break;
            case "publishAll": a.add(property, text, off ? "runArgs.ignored" : "publish.unsupported"); break;
            case "capAdd": a.add(property, text, "capAdd"); break;
            case "capDrop": a.add(property, text, "capDrop"); break;
            case "securityOpt": securityOpt(a, property, v, a.add(property, text, "securityOpt")); break;
            case "device": a.add(property, text, "device"); break;
            case "volumesFrom": a.add(property, text, "volumesFrom"); break;
            case "envFile": a.add(property, text, "envFile"); break;
            case "entrypoint": a.add(property, text, "overrideCommand"); break;
            case "user": a.add(property, text, "user.flag"); break;
            case "name": a.add(property, text, "name.flag"); break;
            case "runtime": a.add(property, text, v === "sysbox-runc" ? "runtime" : "runtime.other"); break;
            case "network": {
                const id = v === "host" || v.startsWith("container:") ? "namespace.host" : v === "bridge" || v === "default" ? "namespace.private" : "network.other";
                a.add(property, text, id);
                break;
            }
            case "ns": a.add(property, text, v === "host" || v.startsWith("container:") ? "namespace.host" : "namespace.private"); break;
            case "sysctl": {
                const f = a.add(property, text, "sysctl");
                const j = v.indexOf("=");
                if (j <= 0) a.raise(f, "type", "expected NAME=VALUE");
                else a.set(`sysctls.${v.slice(0, j)}`, v.slice(j + 1), f);
                break;
            }
            case "env": {
                const f = a.add(property, text, "containerEnv");
                const j = v.indexOf("=");
                // `-e NAME` copies NAME from the environment docker runs in: here, `pulumi up`'s.
                const val = j < 0 ? a.sub(`\${localEnv:${v}}`, f) : a.sub(v.slice(j + 1), f);
                a.set(`env.${j < 0 ? v : v.slice(0, j)}`, val, f);
                break;
            }
            case "volume": volumeFlag(a, property, v, a.add(property, text, "mount")); break;
            case "mount": mount(a, property, v, a.add(property, text, "mount")); break;
            case "publish": publish(a, property, v, a.add(property, text, "publish")); break;
            case "cpus": a.set("cpus", v, a.add(property, text, "limits")); break;
            case "memory": a.set("memory", v, a.add(property, text, "limits")); break;
        }
    }
}

// ------------------------------------------------------------------ features

function features(a: Assessment, raw: unknown): void {
    if (!isObj(raw)) {
        a.typeError("features", raw, "an object of feature id: options");
        return;
    }
    const dir = path.dirname(path.resolve(a.ctx.file));
    for (const [id, opts] of Object.entries(raw)) {
        const property = `features[${JSON.stringify(id)}]`;
        if (id.startsWith("./") || id.startsWith("../")) {
            const featureDir = path.resolve(dir, id);
            const inside = (root: string, p: string) => { const r = path.relative(root, p); return r !== "" && !r.startsWith("..") && !path.isAbsolute(r); };
            if (!inside(dir, featureDir)) {
                a.add(property, id, "feature.outside");
                continue;
            }
            // Symlinks resolved too: what is read is what is inside.
            let real: string | undefined;
            try {
                real = fs.realpathSync(featureDir);
            } catch {
                a.typeError(property, id, `a folder ${featureDir} (not found)`);
                continue;
            }
            if (!inside(fs.realpathSync(dir), real)) {
                a.add(property, id, "feature.outside", `a symlink to ${real}`);
                continue;
            }
            if (!fs.existsSync(path.join(real, "install.sh"))) {
                a.typeError(property, id, `a feature folder with install.sh (none in ${real})`);
                continue;
            }
            const options: Record<string, string | boolean> = {};
            const f = a.add(property, id, "feature.local");
            if (isObj(opts)) {
                for (const [k, v] of Object.entries(opts)) {
                    if (typeof v === "string" || typeof v === "boolean") options[k] = v;
                    else a.raise(f, "type", `option ${k}: a string or boolean`);
                }
            } else if (typeof opts !== "string" && typeof opts !== "boolean") {
                a.raise(f, "type", "options: an object");
            }
            a.agent.features.push({ id, dir: real, options });
            continue;
        }
        const last = id.replace(/[:@].*$/, "").split("/").pop() ?? id;
        if (last === "docker-in-docker") a.add(property, id, "feature.dind");
        else if (last === "docker-outside-of-docker" || last === "docker-from-docker") a.add(property, id, "feature.dood");
        else a.add(property, id, "feature.remote");
    }
}

// ------------------------------------------------------------------ the file

/** The login user a file names: remoteUser, else a containerUser other than root. */
export function fileUser(doc: Record<string, unknown>): string | undefined {
    const u = doc.remoteUser ?? (doc.containerUser !== "root" ? doc.containerUser : undefined);
    return typeof u === "string" ? u : undefined;
}

export interface Assessed {
    findings: Finding[];
    agent: DevcontainerAgent;
}

/** Every property of `doc` with its verdict, and what it contributes to the agent. */
export function assessDevcontainer(doc: Record<string, unknown>, ctx: DevcontainerContext): Assessed {
    const a = new Assessment(ctx);
    const dir = path.dirname(path.resolve(ctx.file));

    // workspace first: ${containerWorkspaceFolder} in other values follows it
    if (doc.workspaceMount !== undefined) {
        const f = a.add("workspaceMount", doc.workspaceMount, "workspace");
        const probe = new Assessment(ctx);
        mount(probe, "workspaceMount", doc.workspaceMount, f);
        const m = (probe.agent.raw.mounts as { source: string; target: string }[] | undefined)?.[0];
        if (f.verdict === "ADJUSTED" && m === undefined) a.raise(f, "type", "the workspace is a host folder: type=bind");
        if (m) {
            if (m.source !== ctx.workspace) a.set("workspace", m.source, f);
            a.set("workspacePath", m.target, f);
        }
    }
    if (doc.workspaceFolder !== undefined) {
        const f = a.add("workspaceFolder", doc.workspaceFolder, "workspace");
        if (typeof doc.workspaceFolder !== "string") a.raise(f, "type", "a path");
        else if (doc.workspaceMount === undefined) a.set("workspacePath", a.sub(doc.workspaceFolder, f), f);
        else a.agent.workdir = a.sub(doc.workspaceFolder, f);
    }

    for (const [key, v] of Object.entries(doc)) {
        switch (key) {
            case "workspaceMount": case "workspaceFolder": break;
            case "name": case "$schema": case "customizations": case "shutdownAction": case "extensions": case "settings":
                a.add(key, v, "metadata");
                break;
            case "image":
                if (typeof v !== "string" || v.trim() === "") a.typeError(key, v, "an image reference");
                else if (doc.build !== undefined || doc.dockerFile !== undefined) a.add(key, v, "image.ignored");
                else {
                    a.add(key, v, "image");
                    a.agent.image = v;
                }
                break;
            case "build": case "dockerFile": case "context": {
                if (key === "context" && (doc.build !== undefined || doc.dockerFile !== undefined)) {
                    a.add(key, v, "build");
                    break;
                }
                const b = key === "build" ? v : key === "dockerFile" ? { dockerfile: v, context: doc.context } : undefined;
                if (b === undefined) {
                    a.add(key, v, "unknown", "context without dockerFile");
                    break;
                }
                if (!isObj(b) || typeof b.dockerfile !== "string") {
                    a.typeError(key, v, key === "build" ? "{ dockerfile, context, args, target }" : "a Dockerfile path");
                    break;
                }
                const f = a.add(key, key === "build" ? b.dockerfile : v, "build");
                const args: Record<string, string> = {};
                if (b.args !== undefined) {
                    if (!isObj(b.args)) a.raise(f, "type", "build.args: an object");
                    else for (const [k, x] of Object.entries(b.args)) args[k] = a.sub(String(x), f);
                }
                for (const extra of ["cacheFrom", "options"]) {
                    if (b[extra] === undefined) continue;
                    const opts = Array.isArray(b[extra]) ? (b[extra] as unknown[]).map(String) : [String(b[extra])];
                    const host = extra === "options" && opts.some((o, j) => /^--network(=host)?$/.test(o) && (o.endsWith("=host") || opts[j + 1] === "host"));
                    a.add(`build.${extra}`, b[extra], host ? "build.network-host" : "build.ignored");
                }
                for (const k of Object.keys(b)) {
                    if (!["dockerfile", "context", "args", "target", "cacheFrom", "options"].includes(k)) a.add(`build.${k}`, b[k], "unknown");
                }
                a.agent.build = {
                    dockerfile: path.resolve(dir, b.dockerfile),
                    context: path.resolve(dir, typeof b.context === "string" ? b.context : "."),
                    args, ...(typeof b.target === "string" ? { target: b.target } : {}),
                };
                // The context is what is sent to the host's daemon; the Dockerfile travels in it.
                if (path.relative(a.agent.build.context, a.agent.build.dockerfile).startsWith("..")) {
                    a.raise(f, "type", `the Dockerfile ${a.agent.build.dockerfile} is outside the build context ${a.agent.build.context}; ` +
                        "set build.context to a folder that holds it");
                }
                break;
            }
            case "dockerComposeFile": a.add(key, v, "compose"); break;
            case "service": case "runServices": a.add(key, v, "compose.part"); break;
            case "features": features(a, v); break;
            case "overrideFeatureInstallOrder":
                if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) a.typeError(key, v, "an array of feature ids");
                else a.add(key, v, "feature.order");
                break;
            case "remoteUser": case "containerUser": {
                if (typeof v !== "string") {
                    a.typeError(key, v, "a user name");
                    break;
                }
                if (key === "containerUser" && v === "root") {
                    a.add(key, v, "containerUser.root");
                    break;
                }
                const f = a.add(key, v, key === "remoteUser" ? "remoteUser" : "containerUser");
                if (key === "remoteUser" || doc.remoteUser === undefined) a.set("user", v, f);
                break;
            }
            case "updateRemoteUserUID": a.add(key, v, "updateRemoteUserUID"); break;
            case "userEnvProbe": a.add(key, v, "userEnvProbe"); break;
            case "containerEnv": case "remoteEnv":
                if (!isObj(v)) {
                    a.typeError(key, v, "an object of NAME: value");
                    break;
                }
                for (const [name, x] of Object.entries(v)) {
                    const property = `${key}.${name}`;
                    if (key === "remoteEnv" && x === null) {
                        a.add(property, x, "remoteEnv");
                        a.agent.remoteEnv[name] = null;
                    } else if (typeof x !== "string") {
                        a.typeError(property, x, "a string");
                    } else if (key === "containerEnv") {
                        const f = a.add(property, x, "containerEnv");
                        a.set(`env.${name}`, a.sub(x, f), f);
                    } else {
                        const f = a.add(property, x, "remoteEnv");
                        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) a.raise(f, "type", "an environment variable name");
                        else a.agent.remoteEnv[name] = a.sub(x, f, true);
                    }
                }
                break;
            case "mounts":
                if (!Array.isArray(v)) a.typeError(key, v, "an array of --mount strings or { type, source, target }");
                else v.forEach((m, j) => mount(a, `mounts[${j}]`, m));
                break;
            case "privileged": case "init": case "overrideCommand":
                // true: the rule named after the property; false: its ".false" row.
                if (typeof v !== "boolean") a.typeError(key, v, "true or false");
                else a.add(key, v, v ? key : `${key}.false`);
                break;
            case "capAdd":
                if (!Array.isArray(v)) a.typeError(key, v, "an array of capability names");
                else v.forEach((c, j) => a.add(`capAdd[${j}]`, c, "capAdd"));
                break;
            case "securityOpt":
                if (!Array.isArray(v)) a.typeError(key, v, "an array of security options");
                else v.forEach((o, j) => securityOpt(a, `securityOpt[${j}]`, o));
                break;
            case "runArgs": runArgs(a, v); break;
            case "initializeCommand": a.add(key, v, "initializeCommand"); break;
            case "onCreateCommand": case "updateContentCommand": case "postCreateCommand": case "postStartCommand":
                if (!isCommand(v)) a.typeError(key, v, "a command: a string, an array of strings, or an object of them");
                else {
                    a.add(key, v, key === "postStartCommand" ? "postStartCommand" : "createCommand");
                    a.agent.lifecycle[key] = v;
                }
                break;
            case "postAttachCommand": a.add(key, v, "postAttachCommand"); break;
            case "waitFor": a.add(key, v, "waitFor"); break;
            case "forwardPorts":
                if (!Array.isArray(v)) {
                    a.typeError(key, v, "an array of ports");
                    break;
                }
                v.forEach((p, j) => {
                    const property = `forwardPorts[${j}]`;
                    if (typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535) {
                        a.add(property, p, "forwardPorts");
                        a.agent.forwardPorts.push(p);
                    } else if (typeof p === "string" && /^[a-z0-9-]+:\d{1,5}$/.test(p)) {
                        const [host, port] = p.split(":");
                        if (host === "localhost" || host === "127.0.0.1") {
                            a.add(property, p, "forwardPorts");
                            a.agent.forwardPorts.push(Number(port));
                        } else a.add(property, p, "forwardPorts.other");
                    } else a.typeError(property, p, "a port number or \"host:port\"");
                });
                break;
            case "appPort":
                for (const [j, p] of (Array.isArray(v) ? v : [v]).entries()) {
                    const property = Array.isArray(v) ? `appPort[${j}]` : "appPort";
                    publish(a, property, p, a.add(property, p, "publish"));
                }
                break;
            case "portsAttributes": case "otherPortsAttributes": a.add(key, v, "portsAttributes"); break;
            case "hostRequirements":
                if (!isObj(v)) {
                    a.typeError(key, v, "an object { cpus, memory, storage, gpu }");
                    break;
                }
                for (const [k, x] of Object.entries(v)) {
                    const property = `hostRequirements.${k}`;
                    if (k === "cpus" || k === "memory") {
                        // An explicit runArgs limit wins over a minimum.
                        const f = a.add(property, x, "limits");
                        if (a.agent.raw[k] === undefined) a.set(k, x, f);
                    } else if (k === "storage") a.add(property, x, "storage");
                    else if (k === "gpu") a.add(property, x, x === false ? "gpu.false" : x === "optional" ? "gpu.optional" : "device");
                    else a.add(property, x, "unknown");
                }
                break;
            default:
                a.add(key, v, KNOWN.has(key) ? "metadata" : "unknown");
        }
    }
    if (doc.image === undefined && doc.build === undefined && doc.dockerFile === undefined && doc.dockerComposeFile === undefined) {
        a.add("(file)", path.basename(ctx.file), "no-image");
    }
    guardrails(a);
    return { findings: a.findings, agent: a.agent };
}

/**
 * The contributed agent entry through the agents' own validator; a refusal
 * becomes a BLOCKED verdict on the property the value came from.
 */
function guardrails(a: Assessment): void {
    const c = new Collector();
    const entry = { name: a.ctx.name, image: "devcontainer-check:1", ...a.agent.raw };
    validateAgents(c, [entry], a.ctx.daemons, undefined);
    for (const p of c.problems) {
        const key = p.key.replace(/^[^:]*:agents\[0\]\./, "");
        const origin = [...a.origins.entries()].filter(([k]) => key === k || key.startsWith(`${k}.`) || key.startsWith(`${k}[`))
            .sort((x, y) => y[0].length - x[0].length)[0];
        if (!origin) continue;
        const [k, f] = origin;
        const id = k.startsWith("mounts") ? "mount.refused" : k.startsWith("sysctls") ? "sysctl.refused" : "guardrail";
        a.raise(f, id, p.message);
    }
}
