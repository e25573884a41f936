// containai:agents[] and containai:operator: the agents' schema and its
// guardrails (the devcontainer compatibility matrix in the design seeds).
// Pure: no Pulumi imports. Every refusal names the agent's key and the fix.
import { authorizedKeyProblem, canonicalPath, DEFAULT_DOCKER_PATHS, hasUserinfo, HOST_SECRET_PATHS, inWorkspacesDir, normalizePath,
    pathsNest, redactUrl, unsafePathProblem, WORKSPACES_DIR } from "./checks";
import type { DevcontainerSpec } from "../devcontainer/expand";
import { absPath, bool, checkName, Collector, int, isObj, NS, Obj, parseCpus, parseMemory, positive, show, str,
    unknownKeys } from "./collect";

export const SSH_PORT_MIN = 2300;
export const SSH_PORT_MAX = 2500;
/** Inside the agent range but never handed out: Docker API (2375/2376) and swarm (2377). */
export const RESERVED_SSH_PORTS = [2375, 2376, 2377];
/** The runtime every agent runs under (systemd as PID 1, Docker-in-Docker without --privileged). */
export const AGENT_RUNTIME = "sysbox-runc";
/** Value of the `containai.managed-by` label on every agent container and volume (the policy pack keys on it). */
export const MANAGED_BY = "containai-infra";

export interface AgentMount {
    /** Host path (bind) or volume name. */
    source: string;
    /** Path inside the agent. */
    target: string;
    type: "bind" | "volume";
    readOnly: boolean;
}

export interface AgentPort {
    container: number;
    host: number;
    /** Host address the port is published on (default 127.0.0.1). */
    bind: string;
    protocol: "tcp" | "udp";
}

export interface AgentConfig {
    name: string;
    image: string;
    /** An image archive (`docker save`) the host downloads and loads when the image is missing. */
    imageArchive?: { url: string; sha256: string };
    daemon: string;
    /** Host directory bind-mounted at workspacePath. */
    workspace: string;
    workspacePath: string;
    /** The login user inside the image, and its uid (owns the workspace). */
    user: string;
    uid: number;
    /** Fixed port, or assigned from 2300-2500 when "auto". */
    sshPort: number | "auto";
    /** Host address the agent's sshd is published on; 127.0.0.1 = reached through the host (ProxyJump). */
    sshBind: string;
    cpus?: number;
    memoryBytes?: number;
    authorizedKeys: string[];
    env: Record<string, string>;
    /**
     * Files for /run/secrets inside the agent (name -> value). Only from a
     * secret config value; delivered by the agents-<daemon>-secrets step,
     * whose inputs are secret in state. Never put into any other resource.
     */
    secrets: Record<string, string>;
    mounts: AgentMount[];
    ports: AgentPort[];
    sysctls: Record<string, string>;
    /**
     * Opt-in for an agent created before 2026-12 (data layout 1): move inner
     * containerd's data onto retained volumes. Its container is re-created
     * once, the data carried over. Agents created since have them anyway.
     */
    containerdVolumes?: true;
    /** Built from a devcontainer.json (agents[i].devcontainer): its image is built on the host's daemon. */
    devcontainer?: DevcontainerSpec;
}

export interface OperatorConfig {
    /** Write ~/.ssh/containai.d/<stack>.conf and the Include line (opt-in). */
    sshConfig: boolean;
    /** Where ~/.ssh is ("~" is the home of the user running pulumi). */
    sshDir: string;
    /** Private key the SSH config names for the agents (default: ssh.privateKeyFile). */
    identityFile?: string;
}

export interface DaemonPaths {
    name: string;
    socket: string;
    /** The daemon's daemon.json (its directory is the daemon's configuration). */
    configFile?: string;
    dataRoot: string;
    execRoot: string;
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
/** Linux user names as useradd accepts them by default on Debian/Ubuntu. */
const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
const AGENT_KEYS = ["name", "image", "imageArchive", "daemon", "workspace", "workspacePath", "user", "uid", "sshPort",
    "sshBind", "exposeSsh", "cpus", "memory", "authorizedKeys", "env", "secrets", "mounts", "ports", "sysctls", "containerdVolumes",
    "devcontainer",
    // Accepted only to be refused with a reason (the guardrails):
    "privileged", "networkMode", "pidMode", "ipcMode", "utsMode", "usernsMode", "cgroupnsMode", "runtime", "devices", "egress"];
/** Paths inside an agent that the runtime or the built-in Docker-in-Docker owns. */
const RUNTIME_TARGETS = ["/proc", "/sys", "/dev"];
const DIND = "use the built-in Docker-in-Docker (each agent has its own dockerd and /var/lib/docker volume)";

/** Refusals for settings that would break the isolation model (each key → reason and fix). */
function refuseEscapes(c: Collector, k: string, r: Obj): void {
    if (r.privileged !== undefined && r.privileged !== false && r.privileged !== "false") {
        c.add(`${k}.privileged`, `privileged agents are refused: sysbox runs them unprivileged anyway, and ${DIND}; remove the key`);
    }
    for (const ns of ["networkMode", "pidMode", "ipcMode", "utsMode", "usernsMode", "cgroupnsMode"]) {
        if (r[ns] === undefined) continue;
        const what = r[ns] === "host" ? "host namespaces are refused (the agent would see and reach the host's processes or network)"
            : `${show(r[ns])} is not supported; agents use their own namespaces`;
        c.add(`${k}.${ns}`, `${what}; remove the key`);
    }
    if (r.runtime !== undefined && r.runtime !== AGENT_RUNTIME) {
        c.add(`${k}.runtime`, `${show(r.runtime)} is refused: agents run under ${AGENT_RUNTIME} (systemd as PID 1, ` +
            "Docker-in-Docker without --privileged); remove the key");
    }
    if (r.devices !== undefined) {
        c.add(`${k}.devices`, "host devices are refused (sysbox does not pass them through); remove the key");
    }
    if (r.egress !== undefined) {
        c.add(`${k}.egress`, "egress is set per daemon, not per agent: on a shared bridge root inside any agent can take another " +
            "agent's address, so a per-agent exception would not hold; give the agents that need other destinations a daemon of " +
            "their own (containai:daemons[j].egress.allow) and set this agent's daemon to it");
    }
}

function parseEnv(c: Collector, k: string, raw: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (raw === undefined) return out;
    if (!isObj(raw)) {
        c.add(`${k}.env`, `${show(raw)} must be a map of NAME: value`);
        return out;
    }
    for (const [name, v] of Object.entries(raw)) {
        const key = `${k}.env.${name}`;
        if (!ENV_NAME_RE.test(name)) c.add(key, "is not a valid environment variable name (letters, digits, _)");
        else if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") c.add(key, `${show(v)} must be a string`);
        else if (/^DOCKERD?_(OPTS|DATA_ROOT)$/.test(name) || (/^DOCKERD?_/.test(name) && /--data-root|(^|\s)-g(\s|$)/.test(String(v)))) {
            c.add(key, `an inner Docker data-root override is refused (sysbox requires /var/lib/docker); ${DIND}`);
        } else out[name] = String(v);
    }
    return out;
}

/**
 * Why a (normalised) host path may not be bind-mounted into an agent, or
 * undefined. Nesting counts both ways: a source that contains a forbidden
 * place exposes it too. The host step re-checks the path on the host itself
 * (symlinks, who may change it): host-scripts/agents-prepare-*.sh.
 */
export function hostSourceProblem(source: string, daemons: DaemonPaths[]): string | undefined {
    const cs = canonicalPath(source);
    if (cs === "/run" || cs.startsWith("/run/")) {
        return `the host's /run and /var/run hold Docker sockets and runtime state; ${DIND}`;
    }
    const own = daemons.flatMap((d) => [
        { path: d.socket, what: `daemon ${d.name}'s socket` },
        { path: d.dataRoot, what: `daemon ${d.name}'s data-root` },
        { path: d.execRoot, what: `daemon ${d.name}'s exec-root` },
        ...(d.configFile ? [{ path: d.configFile.replace(/\/[^/]*$/, ""), what: `daemon ${d.name}'s configuration directory` }] : []),
    ]);
    const docker = [...DEFAULT_DOCKER_PATHS, ...own].find((p) => pathsNest(cs, p.path));
    if (docker) return `it exposes ${docker.what} (the agent could control containers outside itself); ${DIND}`;
    if (pathsNest(cs, "/proc") || pathsNest(cs, "/sys") || pathsNest(cs, "/dev")) return "host kernel interfaces are not passed into agents";
    const secret = HOST_SECRET_PATHS.find((p) => pathsNest(cs, p.path));
    if (secret) return `it exposes ${secret.what}; mount a directory of its own`;
    if (cs.split("/").includes(".ssh")) return "it is or is inside a .ssh directory (SSH keys); mount a directory of its own";
    return undefined;
}

/** A secret's file name in /run/secrets. */
const SECRET_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Largest secret value, in bytes (it travels in the step's inputs and one exec per file). */
const SECRET_MAX_BYTES = 64 * 1024;

function parseSecrets(c: Collector, k: string, raw: unknown, secret: boolean): Record<string, string> {
    const out: Record<string, string> = {};
    if (raw === undefined) return out;
    if (!isObj(raw)) {
        c.add(`${k}.secrets`, "must be a map of NAME: value (each set with pulumi config set --secret)");
        return out;
    }
    if (!secret) {
        // Never echo the values: name the keys only.
        c.add(`${k}.secrets`, `${Object.keys(raw).join(", ")} in plaintext config: secrets are refused unless stored as Pulumi ` +
            `secrets; set each with pulumi config set --secret --path '${NS}:${k}.secrets.<NAME>' <value>`);
        return out;
    }
    for (const [name, v] of Object.entries(raw)) {
        const key = `${k}.secrets.${name}`;
        if (!SECRET_NAME_RE.test(name)) c.add(key, "is not a file name for /run/secrets (letters, digits, _ . -; not starting with . or -)");
        else if (typeof v !== "string" || v === "") c.add(key, "must be a non-empty string");
        else if (Buffer.byteLength(v) > SECRET_MAX_BYTES) c.add(key, `is larger than ${SECRET_MAX_BYTES / 1024} KiB; mount a file instead`);
        else out[name] = v;
    }
    return out;
}

function parseMounts(c: Collector, k: string, raw: unknown, daemons: DaemonPaths[]): AgentMount[] {
    const out: AgentMount[] = [];
    if (raw === undefined) return out;
    if (!Array.isArray(raw)) {
        c.add(`${k}.mounts`, `${show(raw)} must be a list of { source, target, readOnly }`);
        return out;
    }
    raw.forEach((m, j) => {
        const key = `${k}.mounts[${j}]`;
        if (!isObj(m)) {
            c.add(key, `${show(m)} must be an object { source, target, readOnly }`);
            return;
        }
        unknownKeys(c, key, m, ["source", "target", "readOnly"]);
        const rawSource = str(c, `${key}.source`, m.source);
        const rawTarget = str(c, `${key}.target`, m.target);
        const readOnly = bool(c, `${key}.readOnly`, m.readOnly, false);
        if (rawSource === undefined) c.add(`${key}.source`, "missing; a host path (/srv/data) or a volume name");
        if (rawTarget === undefined) c.add(`${key}.target`, "missing; the path inside the agent");
        if (rawSource === undefined || rawTarget === undefined) return;
        // Every check below, and the mount itself, use the normal form.
        const t = normalizePath(rawTarget);
        if (t.problem !== undefined) {
            c.add(`${key}.target`, `${show(rawTarget)} ${t.problem}`);
            return;
        }
        const target = t.path;
        const rt = RUNTIME_TARGETS.find((p) => pathsNest(target, p));
        if (rt) c.add(`${key}.target`, `${show(rawTarget)} is refused: ${rt} inside an agent is the runtime's (sysbox virtualizes it); remove the mount`);
        if (pathsNest(target, "/var/lib/docker") || pathsNest(target, "/etc/docker") || pathsNest(target, "/var/lib/containerd")) {
            c.add(`${key}.target`, `${show(rawTarget)} is refused: it would override the agent's inner Docker data or config; ${DIND}`);
        }
        const type: "bind" | "volume" = rawSource.startsWith("/") ? "bind" : "volume";
        let source = rawSource;
        if (type === "volume") {
            if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source)) c.add(`${key}.source`, `${show(source)} is neither an absolute host path nor a volume name`);
            else if (/^containai-/.test(source)) c.add(`${key}.source`, `${show(source)} is refused: containai-* volumes are the agents' own data`);
        } else {
            const s = normalizePath(rawSource);
            if (s.problem !== undefined) {
                c.add(`${key}.source`, `${show(rawSource)} ${s.problem}`);
            } else {
                source = s.path;
                const problem = hostSourceProblem(source, daemons);
                if (problem) c.add(`${key}.source`, `${show(rawSource)} is refused: ${problem}`);
            }
        }
        out.push({ source, target, type, readOnly });
    });
    return out;
}

function parsePorts(c: Collector, k: string, raw: unknown): AgentPort[] {
    const out: AgentPort[] = [];
    if (raw === undefined) return out;
    if (!Array.isArray(raw)) {
        c.add(`${k}.ports`, `${show(raw)} must be a list of { container, host, bind, protocol }`);
        return out;
    }
    raw.forEach((p, j) => {
        const key = `${k}.ports[${j}]`;
        if (!isObj(p)) {
            c.add(key, `${show(p)} must be an object { container, host, bind, protocol }`);
            return;
        }
        unknownKeys(c, key, p, ["container", "host", "bind", "protocol"]);
        const container = int(c, `${key}.container`, p.container, undefined, 1, 65535, "use a port number");
        const host = int(c, `${key}.host`, p.host, container, 1, 65535, "use a port number");
        const bind = str(c, `${key}.bind`, p.bind, "127.0.0.1") ?? "127.0.0.1";
        if (!IPV4_RE.test(bind)) c.add(`${key}.bind`, `${show(bind)} is not an IPv4 address; use 127.0.0.1 (default) or 0.0.0.0`);
        const protocol = str(c, `${key}.protocol`, p.protocol, "tcp") ?? "tcp";
        if (protocol !== "tcp" && protocol !== "udp") c.add(`${key}.protocol`, `${show(protocol)} must be tcp or udp`);
        if (container === undefined) {
            c.add(`${key}.container`, "missing; the port inside the agent");
            return;
        }
        if (container === 22 && protocol === "tcp") c.add(`${key}.container`, "22 is the agent's sshd, published by sshPort; remove this entry");
        if (host !== undefined && host >= SSH_PORT_MIN && host <= SSH_PORT_MAX) {
            c.add(`${key}.host`, `${host} is inside the agents' SSH range ${SSH_PORT_MIN}-${SSH_PORT_MAX}; pick another host port`);
        }
        if (host !== undefined) out.push({ container, host, bind, protocol: protocol as "tcp" | "udp" });
    });
    return out;
}

function parseSysctls(c: Collector, k: string, raw: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (raw === undefined) return out;
    if (!isObj(raw)) {
        c.add(`${k}.sysctls`, `${show(raw)} must be a map of name: value`);
        return out;
    }
    for (const [name, v] of Object.entries(raw)) {
        const key = `${k}.sysctls.${name}`;
        if (typeof v !== "string" && typeof v !== "number") c.add(key, `${show(v)} must be a string or number`);
        else if (name.startsWith("kernel.")) {
            c.add(key, "kernel.* sysctls are refused: they are not namespaced and would change the host's kernel; remove it");
        } else if (!/^net\.[a-z0-9_.]+$/.test(name)) {
            c.add(key, "only net.* sysctls (namespaced per agent) are allowed; remove it");
        } else out[name] = String(v);
    }
    return out;
}

/** containai:agents. `daemons` are the configured isolated daemons (the first is the default). */
export function validateAgents(c: Collector, raw: unknown, daemons: DaemonPaths[],
    capacity: { cpus?: number; memoryBytes?: number } | undefined, secret = false): AgentConfig[] {
    const key = "agents";
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) {
        c.add(key, `${show(raw)} must be a list of agents`);
        return [];
    }
    const out: AgentConfig[] = [];
    raw.forEach((r, i) => {
        const k = `${key}[${i}]`;
        if (!isObj(r)) {
            c.add(k, `${show(r)} must be an object`);
            return;
        }
        unknownKeys(c, k, r, AGENT_KEYS);
        refuseEscapes(c, k, r);
        const name = str(c, `${k}.name`, r.name);
        if (name === undefined) c.add(`${k}.name`, "missing; every agent needs a name");
        else checkName(c, `${k}.name`, name, 63);   // the container's hostname
        const image = str(c, `${k}.image`, r.image);
        if (image === undefined) c.add(`${k}.image`, "missing; name the agent's system-container image");
        else if (/\s/.test(image)) c.add(`${k}.image`, `${show(image)} is not an image reference (it contains whitespace)`);
        else if (!image.includes("@sha256:")) {
            const tag = /:([^/:@]+)$/.exec(image)?.[1];
            if (tag === undefined || tag === "latest") {
                c.warn(`${k}.image`, `${show(image)} is not pinned (${tag === undefined ? "no tag" : ":latest"}): ` +
                    "the image can change under the agent between runs; pin a version tag (and optionally @sha256:<digest>)");
            }
        }
        let imageArchive: AgentConfig["imageArchive"];
        if (r.imageArchive !== undefined) {
            const a = isObj(r.imageArchive) ? r.imageArchive : {};
            if (!isObj(r.imageArchive)) c.add(`${k}.imageArchive`, `${show(r.imageArchive)} must be an object { url, sha256 }`);
            unknownKeys(c, `${k}.imageArchive`, a, ["url", "sha256"]);
            const url = str(c, `${k}.imageArchive.url`, a.url);
            const sha = str(c, `${k}.imageArchive.sha256`, a.sha256);
            if (url === undefined || !/^https?:\/\/\S+$/.test(url)) {
                c.add(`${k}.imageArchive.url`, `${show(url === undefined ? url : redactUrl(url))} must be an http(s) URL of a \`docker save\` archive`);
            } else if (hasUserinfo(url) && !secret) {
                // As the sysbox URLs: credentials only from a secret value (then the image step's env is secret in state).
                c.add(`${k}.imageArchive.url`, `${show(redactUrl(url))} carries credentials in plaintext config; store the agents ` +
                    `as a secret: pulumi config set --secret --path '${NS}:${k}.imageArchive.url' <url>`);
            }
            if (sha === undefined || !SHA256_RE.test(sha)) {
                c.add(`${k}.imageArchive.sha256`, `${show(sha)} is not a sha256; run sha256sum on the archive`);
            }
            if (url !== undefined && sha !== undefined) imageArchive = { url, sha256: sha };
        }
        const daemon = str(c, `${k}.daemon`, r.daemon, daemons[0]?.name) ?? "";
        if (!daemons.some((d) => d.name === daemon)) {
            c.add(`${k}.daemon`, `${show(daemon)} is not a configured daemon; use one of ${daemons.map((d) => d.name).join(", ")}`);
        }
        const user = str(c, `${k}.user`, r.user, "agent") ?? "agent";
        if (!USER_RE.test(user)) c.add(`${k}.user`, `${show(user)} is not a user name (lowercase letters, digits, _ and -)`);
        else if (user === "root") c.add(`${k}.user`, "root logins are refused; use the image's unprivileged user (sudo works inside)");
        const uid = int(c, `${k}.uid`, r.uid, 1000, 1, 65533, "the agent user's uid in the image (default 1000)") ?? 1000;
        const workspace = absPath(c, `${k}.workspace`, r.workspace, `${WORKSPACES_DIR}/${name ?? i}`);
        const wsHit = [...DEFAULT_DOCKER_PATHS, ...daemons.map((d) => ({ path: d.dataRoot, what: `daemon ${d.name}'s data-root` }))]
            .find((p) => pathsNest(canonicalPath(workspace), p.path));
        if (wsHit) c.add(`${k}.workspace`, `${show(workspace)} overlaps ${wsHit.what}; keep workspaces outside Docker's data`);
        else if (["/", "/run", "/tmp", "/proc", "/sys", "/dev", "/etc", "/usr", "/var", "/home"].includes(canonicalPath(workspace))) {
            c.add(`${k}.workspace`, `${show(workspace)} is a system directory; use a directory of its own`);
        } else {
            // Under /var/lib/containai only in workspaces/ (the default's place); nothing else of HOST_SECRET_PATHS.
            const secret = inWorkspacesDir(workspace) ? undefined : hostSourceProblem(workspace, []);
            if (secret) c.add(`${k}.workspace`, `${show(workspace)} is refused: ${secret}`);
        }
        const workspacePath = absPath(c, `${k}.workspacePath`, r.workspacePath, `/home/${user}/workspace`);
        if (RUNTIME_TARGETS.some((p) => pathsNest(workspacePath, p)) || pathsNest(workspacePath, "/var/lib/docker") ||
            pathsNest(workspacePath, "/var/lib/containerd")) {
            c.add(`${k}.workspacePath`, `${show(workspacePath)} is refused (runtime or inner Docker path); use e.g. /home/${user}/workspace`);
        }
        let sshPort: number | "auto" = "auto";
        if (r.sshPort !== undefined && r.sshPort !== "auto") {
            sshPort = int(c, `${k}.sshPort`, r.sshPort, undefined, SSH_PORT_MIN, SSH_PORT_MAX,
                `pick a port in ${SSH_PORT_MIN}-${SSH_PORT_MAX} or "auto"`) ?? "auto";
            if (sshPort !== "auto" && RESERVED_SSH_PORTS.includes(sshPort)) {
                c.add(`${k}.sshPort`, `${sshPort} is reserved (2375/2376 Docker API, 2377 swarm); pick another port or "auto"`);
                sshPort = "auto";
            }
        }
        const sshBind = str(c, `${k}.sshBind`, r.sshBind, "127.0.0.1") ?? "127.0.0.1";
        const exposeSsh = bool(c, `${k}.exposeSsh`, r.exposeSsh, false);
        if (!IPV4_RE.test(sshBind)) {
            c.add(`${k}.sshBind`, `${show(sshBind)} is not an IPv4 address; keep 127.0.0.1 (reached through the host) or open it ` +
                `deliberately with 0.0.0.0 and ${k}.exposeSsh true`);
        } else if (!sshBind.startsWith("127.")) {
            const where = sshBind === "0.0.0.0" ? "every interface of the host" : `the host's address ${sshBind}`;
            if (!exposeSsh) {
                c.add(`${k}.sshBind`, `${show(sshBind)} would publish the agent's sshd on ${where}; keep 127.0.0.1 (reached ` +
                    `through the host's sshd with ProxyJump), or open it deliberately: pulumi config set --path '${NS}:${k}.exposeSsh' true`);
            } else {
                c.warn(`${k}.sshBind`, `the agent's sshd listens on ${where} (${k}.exposeSsh is true): anyone who reaches ` +
                    "that address can try to log in; firewall it, or set sshBind back to 127.0.0.1");
            }
        } else if (exposeSsh) {
            c.warn(`${k}.exposeSsh`, `true has no effect: sshBind ${show(sshBind)} is a loopback address; remove the key`);
        }
        let cpus: number | undefined;
        if (r.cpus !== undefined) {
            cpus = positive(c, `${k}.cpus`, r.cpus, parseCpus, 'a number like 2, 1.5 or "500m"');
            if (cpus !== undefined && capacity?.cpus !== undefined && cpus > capacity.cpus) {
                c.add(`${k}.cpus`, `${cpus} exceeds the host's ${capacity.cpus} CPUs; lower it or unset it for the default share`);
            }
        }
        let memoryBytes: number | undefined;
        if (r.memory !== undefined) {
            memoryBytes = positive(c, `${k}.memory`, r.memory, parseMemory, 'a size like "8g" or "512Mi"');
            if (memoryBytes !== undefined && memoryBytes < 64 * 1024 ** 2) {
                c.add(`${k}.memory`, `${show(r.memory)} is below 64Mi; systemd, sshd and dockerd need more`);
            } else if (memoryBytes !== undefined && capacity?.memoryBytes !== undefined && memoryBytes > capacity.memoryBytes) {
                c.add(`${k}.memory`, `${show(r.memory)} exceeds the host's memory (${capacity.memoryBytes} bytes); lower it`);
            }
        }
        const authorizedKeys = parseAuthorizedKeys(c, k, r.authorizedKeys);
        const env = parseEnv(c, k, r.env);
        const secrets = parseSecrets(c, k, r.secrets, secret);
        const mounts = parseMounts(c, k, r.mounts, daemons);
        mounts.forEach((m, j) => {
            if (m.target === workspacePath) {
                c.add(`${k}.mounts[${j}].target`, `${show(m.target)} is the workspace's own mount; set workspace instead`);
            }
        });
        const ports = parsePorts(c, k, r.ports);
        const sysctls = parseSysctls(c, k, r.sysctls);
        let containerdVolumes: true | undefined;
        if (r.containerdVolumes !== undefined) {
            if (bool(c, `${k}.containerdVolumes`, r.containerdVolumes, true)) containerdVolumes = true;
            else {
                c.add(`${k}.containerdVolumes`, "false is refused: agents created since 2026-12 keep inner containerd's data on " +
                    "volumes, and moving it back would lose it on the next re-creation; remove the key");
            }
        }
        if (name !== undefined && image !== undefined) {
            out.push({ name, image, imageArchive, daemon, workspace, workspacePath, user, uid, sshPort, sshBind, cpus, memoryBytes,
                authorizedKeys, env, secrets, mounts, ports, sysctls, ...(containerdVolumes ? { containerdVolumes } : {}) });
        }
    });
    const names = new Map<string, number>();
    out.forEach((a, i) => {
        const j = names.get(a.name);
        if (j !== undefined) c.add(`${key}[${i}].name`, `${show(a.name)} is already used by agents[${j}]; names must be unique`);
        else names.set(a.name, i);
    });
    const workspaces = new Map<string, string>();
    out.forEach((a) => {
        const other = [...workspaces.entries()].find(([w]) => pathsNest(w, a.workspace));
        if (other) c.add(`${key}[${out.indexOf(a)}].workspace`, `${show(a.workspace)} overlaps agent ${other[1]}'s workspace; give each agent its own`);
        else workspaces.set(a.workspace, a.name);
    });
    // A bind source that reaches another agent's workspace would hand that agent's work to this one.
    out.forEach((a, i) => a.mounts.forEach((m, j) => {
        const other = m.type === "bind" ? out.find((b) => b !== a && pathsNest(m.source, b.workspace)) : undefined;
        if (other) {
            c.add(`${key}[${i}].mounts[${j}].source`, `${show(m.source)} is refused: it reaches agent ${other.name}'s workspace ` +
                `${show(other.workspace)}; agents do not share workspaces (mount a directory of its own)`);
        }
    }));
    const ports = new Map<number, number>();
    raw.forEach((r, i) => {
        const a = out.find((x) => isObj(r) && x.name === r.name);
        if (!a || a.sshPort === "auto") return;
        const j = ports.get(a.sshPort);
        if (j !== undefined) c.add(`${key}[${i}].sshPort`, `${a.sshPort} is already used by agents[${j}]; pick another port or "auto"`);
        else ports.set(a.sshPort, i);
    });
    const published = new Map<string, string>();
    out.forEach((a, i) => a.ports.forEach((p, j) => {
        const id = `${p.protocol}/${p.host}`;
        const prev = published.get(id);
        if (prev) c.add(`${key}[${i}].ports[${j}].host`, `${p.host}/${p.protocol} is already published by ${prev}; pick another host port`);
        else published.set(id, `agents[${i}].ports[${j}]`);
    }));
    return out;
}

function parseAuthorizedKeys(c: Collector, k: string, raw: unknown): string[] {
    if (raw === undefined) {
        c.add(`${k}.authorizedKeys`, "missing; agents accept SSH keys only: add the operator's public key " +
            `(pulumi config set --path '${NS}:${k}.authorizedKeys[0]' "$(cat ~/.ssh/id_ed25519.pub)")`);
        return [];
    }
    if (!Array.isArray(raw) || raw.length === 0 || raw.some((x) => typeof x !== "string")) {
        c.add(`${k}.authorizedKeys`, "must be a non-empty list of public keys (\"ssh-ed25519 AAAA... comment\")");
        return [];
    }
    const keys = raw as string[];
    keys.forEach((pk, j) => {
        if (/PRIVATE KEY/.test(pk)) {
            c.add(`${k}.authorizedKeys[${j}]`, "is a PRIVATE key; give the public key (.pub) instead, and rotate this one");
            return;
        }
        if (/[\r\n]/.test(pk.trim())) {
            c.add(`${k}.authorizedKeys[${j}]`, "holds more than one line; give one key per entry");
            return;
        }
        const problem = authorizedKeyProblem(pk);
        if (problem) c.add(`${k}.authorizedKeys[${j}]`, `${problem}; paste the whole line of the .pub file (options before it are kept)`);
    });
    return keys.map((x) => x.trim());
}

/** containai:operator (where `pulumi up` runs). */
export function validateOperator(c: Collector, raw: unknown): OperatorConfig {
    if (raw !== undefined && !isObj(raw)) c.add("operator", `${show(raw)} must be an object { sshConfig, sshDir, identityFile }`);
    const o = isObj(raw) ? raw : {};
    unknownKeys(c, "operator", o, ["sshConfig", "sshDir", "identityFile"]);
    const sshConfig = bool(c, "operator.sshConfig", o.sshConfig, false);
    const sshDir = str(c, "operator.sshDir", o.sshDir, "~/.ssh") ?? "~/.ssh";
    if (sshDir !== "~/.ssh") {
        const p = unsafePathProblem(sshDir.replace(/^~(?=\/)/, "/HOME"));
        if (p) c.add("operator.sshDir", `${show(sshDir)} ${p}`);
    }
    const identityFile = str(c, "operator.identityFile", o.identityFile);
    if (identityFile !== undefined && /[\s"']/.test(identityFile)) {
        c.add("operator.identityFile", `${show(identityFile)} contains spaces or quotes; use a plain path`);
    }
    return { sshConfig, sshDir, identityFile };
}
