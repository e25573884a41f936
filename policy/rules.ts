// The guardrails as CrossGuard policies (pure: no PolicyPack is started here,
// so unit tests can call every check with fake resource args). The pack
// itself is policy/index.ts; run it with `pulumi preview --policy-pack policy`.
//
// The program already refuses these at validation (components/config); the
// policies guard what validation cannot see: a program that composes these
// components differently, hand-written resources in the same stack, or a
// future change to the components themselves.
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { AGENT_RUNTIME, MANAGED_BY } from "../components/config/agents";
import { DEFAULT_DOCKER_PATHS, HOST_SECRET_PATHS, inWorkspacesDir, pathsNest } from "../components/config/checks";
import { defaultDaemon, MIN_FIXED_SYSBOX } from "../components/config/schema";
import { versionAtLeast } from "../components/host/rules";

export const CONTAINER = "docker:index/container:Container";
export const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
export const DOCKER_PROVIDER = "pulumi:providers:docker";
/** Oldest sysbox with the openat2 fix: the same rule the config validation applies. */
export const MIN_SYSBOX = MIN_FIXED_SYSBOX;

type Props = Record<string, unknown>;

/**
 * Paths no agent may mount from the host: runtime state (every Docker socket
 * lives under /run), the default Docker's and containerd's paths, our default
 * daemon's data-root, kernel interfaces and the host's secrets (HOST_SECRET_PATHS);
 * pathsNest compares normalised paths, so no spelling walks past it. (A policy sees one resource, not
 * the stack config, so other configured data-roots are the validation's job.)
 */
const HOST_PATHS = ["/run", ...DEFAULT_DOCKER_PATHS.map((p) => p.path), defaultDaemon().dataRoot, "/proc", "/sys", "/dev",
    ...HOST_SECRET_PATHS.map((p) => p.path)];

/**
 * A container is an agent when it carries our label (other containers in the
 * stack are not judged). Only that label's value is read: during a preview
 * others may be unknown, and reading an unknown value makes a check advisory.
 */
export function isAgent(p: Props): boolean {
    const l = p.labels;
    if (!Array.isArray(l)) return false;
    const hit = l.find((x: { label?: string }) => x.label === "containai.managed-by") as { value?: unknown } | undefined;
    return hit !== undefined && hit.value === MANAGED_BY;
}

export function runtimeViolations(p: Props): string[] {
    return p.runtime === AGENT_RUNTIME ? [] : [`runs under ${JSON.stringify(p.runtime ?? "the daemon's default")}, not ${AGENT_RUNTIME}`];
}

export function privilegeViolations(p: Props): string[] {
    const out: string[] = [];
    if (p.privileged === true) out.push("is privileged");
    for (const k of ["networkMode", "pidMode", "ipcMode", "usernsMode", "cgroupnsMode"]) {
        if (p[k] === "host") out.push(`shares the host's namespace (${k}: host)`);
    }
    if (Array.isArray(p.devices) && p.devices.length > 0) out.push("has host devices");
    return out;
}

export function mountViolations(p: Props): string[] {
    const out: string[] = [];
    const sources: { source: string; target: string }[] = [];
    for (const m of (Array.isArray(p.mounts) ? p.mounts : []) as { type?: string; source?: string; target?: string }[]) {
        if (m.type === "bind" && typeof m.source === "string") sources.push({ source: m.source, target: String(m.target ?? "") });
    }
    for (const v of (Array.isArray(p.volumes) ? p.volumes : []) as { hostPath?: string; containerPath?: string }[]) {
        if (typeof v.hostPath === "string") sources.push({ source: v.hostPath, target: String(v.containerPath ?? "") });
    }
    for (const s of sources) {
        // An agent's own workspace lives under WORKSPACES_DIR (inside one of HOST_SECRET_PATHS' places).
        const workspace = inWorkspacesDir(s.source);
        const hit = HOST_PATHS.find((h) => pathsNest(s.source, h) && !(workspace && h === "/var/lib/containai"))
            ?? (/docker\.sock$/.test(s.source) ? s.source : undefined);
        if (hit) out.push(`mounts the host's ${s.source} (at ${s.target}), which overlaps ${hit}`);
    }
    return out;
}

export function limitViolations(p: Props): string[] {
    const out: string[] = [];
    if (typeof p.memory !== "number" || p.memory <= 0) out.push("has no memory limit");
    else if (p.memorySwap !== p.memory) out.push(`has memory-swap ${String(p.memorySwap)} != memory ${p.memory}`);
    const cpus = typeof p.cpus === "string" && Number(p.cpus) > 0;
    if (!cpus && !(typeof p.cpuQuota === "number" && p.cpuQuota > 0)) out.push("has no CPU limit");
    return out;
}

/** Our dynamic host steps carry `connection`: its hostKey must be pinned. */
export function hostKeyViolations(p: Props): string[] {
    const c = p.connection as { hostKey?: unknown } | undefined;
    if (c === undefined || c === null || typeof c !== "object") return [];
    return typeof c.hostKey === "string" && /^\S+ \S+/.test(c.hostKey) ? [] : ["connects over SSH without a pinned host key"];
}

/** The docker provider's OpenSSH client must check the host key against a file. */
export function dockerProviderViolations(p: Props): string[] {
    const host = typeof p.host === "string" ? p.host : "";
    if (!host.startsWith("ssh://")) return [];
    const raw = p.sshOpts;
    const opts: string[] = Array.isArray(raw) ? raw.map(String) : typeof raw === "string" ? (JSON.parse(raw) as string[]) : [];
    const text = opts.join(" ");
    return /StrictHostKeyChecking=yes/.test(text) && /UserKnownHostsFile=/.test(text) ? []
        : ["reaches the daemon over SSH without StrictHostKeyChecking=yes and a pinned UserKnownHostsFile"];
}

/** The sysbox install step's candidates ("url sha256 label version" lines): every version meets the table. */
export function sysboxVersionViolations(p: Props): string[] {
    const env = p.env as { SYSBOX_CANDIDATES?: unknown } | undefined;
    if (!env || typeof env.SYSBOX_CANDIDATES !== "string") return [];
    return env.SYSBOX_CANDIDATES.split("\n").filter(Boolean).map((l) => l.split(" ")[3] ?? "")
        .filter((v) => v !== "" && !versionAtLeast(v, MIN_SYSBOX))
        .map((v) => `installs sysbox ${v}, older than ${MIN_SYSBOX} (no openat2 fix; Docker >= 28.5.2 inside agents breaks)`);
}

function policy(name: string, description: string, check: (args: ResourceValidationArgs) => string[]): ResourceValidationPolicy {
    return {
        name, description, enforcementLevel: "mandatory",
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            for (const v of check(args)) report(`${args.name} ${v}`);
        },
    };
}

const agent = (f: (p: Props) => string[]) => (a: ResourceValidationArgs): string[] =>
    (a.type === CONTAINER && isAgent(a.props) ? f(a.props) : []);

export const policies: ResourceValidationPolicy[] = [
    policy("agents-run-sysbox", "Agent containers run under sysbox-runc.", agent(runtimeViolations)),
    policy("agents-unprivileged", "Agent containers are not privileged, share no host namespace and get no host devices.", agent(privilegeViolations)),
    policy("agents-no-host-runtime-mounts", "Agent containers mount no Docker socket, /run, /var/run, Docker data-root, /proc, /sys, /dev or secret of the host.",
        agent(mountViolations)),
    policy("agents-limited", "Agent containers have memory (= memory-swap) and CPU limits.", agent(limitViolations)),
    policy("ssh-host-keys-pinned", "Every remote connection pins the host's key.",
        (a) => (a.type === DYNAMIC ? hostKeyViolations(a.props) : a.type === DOCKER_PROVIDER ? dockerProviderViolations(a.props) : [])),
    policy("sysbox-version-compatible", `The installed sysbox is ${MIN_SYSBOX} or later (compatibility table).`,
        (a) => (a.type === DYNAMIC && a.name.endsWith("-sysbox-install") ? sysboxVersionViolations(a.props) : [])),
];
