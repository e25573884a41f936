// The stack configuration schema: the product's user interface.
//
// Pure: no Pulumi imports. `validateConfig` takes the raw values read from the
// stack config (namespace `containai`) and returns either a fully defaulted,
// typed `HostConfig` or the complete list of problems, each naming the config
// key, the bad value and the fix. Nothing is registered before this passes.

import { canonicalPath, defaultDockerCollision, hasUserinfo, pathsNest, publicKeyProblem, redactUrl,
    VOLATILE_PATHS } from "./checks";
import { cidrsOverlap, formatNet, parseCidr, parseNet, versionAtLeast } from "../host/rules";
import { expandDevcontainers } from "../devcontainer/expand";

export { NS, ConfigProblem, parseCpus, parseMemory } from "./collect";
export { AgentConfig, AgentMount, AgentPort, OperatorConfig, RESERVED_SSH_PORTS, SSH_PORT_MAX, SSH_PORT_MIN } from "./agents";
import { AgentConfig, OperatorConfig, validateAgents, validateOperator } from "./agents";
export { BackupConfig, BackupInclude, BackupKeep } from "./backup";
import { BackupConfig, validateBackup } from "./backup";
import { absPath, bool, checkName, Collector, ConfigProblem, int, isObj, NS, parseCpus, parseMemory, positive, show, str, unknownKeys } from "./collect";

/** Upstream sysbox-ce releases we know the checksums of. */
export const UPSTREAM_SYSBOX: Record<string, { sha256: Partial<Record<Arch, string>> }> = {
    // Only checksums confirmed by two independent published pins are listed.
    // A host whose arch has no checksum here is refused by the preflight with a
    // message asking for `sysbox.sha256.<arch>` (e.g. arm64 today).
    "0.7.1": { sha256: { amd64: "9d6d5484f980d0a17f86c492c1262015c2afb66280bdb97215b79fde6a0261c5" } },
};
export const DEFAULT_SYSBOX_VERSION = "0.7.1";
export const UPSTREAM_URL_TEMPLATE =
    "https://github.com/nestybox/sysbox/releases/download/v{version}/sysbox-ce_{version}.linux_{arch}.deb";

/** Oldest sysbox with the openat2 fix (see docs/troubleshooting.md). */
export const MIN_FIXED_SYSBOX = "0.7.0";
/** Runtimes an isolated daemon can default to: the one we register, and Docker's built-in ones. */
export const DEFAULT_RUNTIMES = ["sysbox-runc", "runc", "io.containerd.runc.v2"];
/** Storage drivers dockerd knows (which one works depends on the host's filesystem). */
export const STORAGE_DRIVERS = ["overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs", "devicemapper"];

export type Arch = "amd64" | "arm64";
export const ARCHES: Arch[] = ["amd64", "arm64"];
export type SysboxSource = "upstream" | "custom" | "file" | "release";
export type EnginePackage = "docker.io" | "docker-ce";

export interface SshConfig {
    host: string;
    port: number;
    user: string;
    /** PEM/OpenSSH private key text. Always a stack secret. */
    privateKey?: string;
    /** Path (on the machine running Pulumi) of a private key file. */
    privateKeyFile?: string;
    /** ssh-agent socket; default $SSH_AUTH_SOCK when no key is given. */
    agentSocket?: string;
    /** Pinned host key, `ssh-ed25519 AAAA...` (type and base64). */
    hostKey?: string;
    /** known_hosts file holding the host's key (alternative to hostKey). */
    knownHostsFile?: string;
    /** Run host commands through sudo (default: user is not root). */
    sudo: boolean;
}

export interface SysboxConfig {
    source: SysboxSource;
    version: string;
    /** sha256 per arch of the .deb for `version` (upstream source). */
    sha256: Partial<Record<Arch, string>>;
    /** Alternative download location for upstream assets: same file names. */
    mirrorUrl?: string;
    custom?: {
        /** URL with {version} and {arch} placeholders. */
        urlTemplate: string;
        version: string;
        sha256: Partial<Record<Arch, string>>;
        /** Fall back to the upstream release when the custom asset is unavailable. */
        fallbackToUpstream: boolean;
    };
    file?: { path: string; sha256: string; version: string };
    /**
     * A release stack (SysboxRelease) whose `sysbox` output names the custom
     * .debs and their checksums, read through a StackReference.
     */
    release?: { stack: string; fallbackToUpstream: boolean };
    /** Allow sysbox < 0.7.0 although inner runc >= 1.3.3 breaks on it. */
    allowUnfixedOpenat2: boolean;
    /** Remove sysbox binaries and units on `pulumi destroy`. */
    removeOnDestroy: boolean;
}

export interface DaemonConfig {
    name: string;
    socket: string;
    configFile: string;
    dataRoot: string;
    execRoot: string;
    pidfile: string;
    bridge: { name: string; cidr: string };
    defaultRuntime: string;
    /** dockerd storage driver; unset lets dockerd choose (overlay2 where it works). */
    storageDriver?: string;
    /** Group owning the socket (operators in it need no sudo). */
    socketGroup: string;
    contextName: string;
    /** Delete the data-root on destroy. Default false: data is kept. */
    removeDataOnDestroy: boolean;
    /** What the agents on this daemon's bridge may open connections to (host-scripts/bridge-network.sh). */
    egress: EgressConfig;
}

/** One allow-list entry: a network (in the form iptables prints), and optionally a protocol and ports. */
export interface EgressAllow {
    cidr: string;
    protocol: "tcp" | "udp" | "any";
    /** Empty: every port (of the protocol). */
    ports: number[];
}

export interface EgressConfig {
    /** Drop new connections to the host, link-local (cloud metadata), 100.64/10 and RFC 1918 (default true). */
    block: boolean;
    allow: EgressAllow[];
}


export interface ReleaseConfig {
    /** GitHub user or organisation; unset: the token's own user. */
    owner?: string;
    repository: string;
    /** Branch the workflow and build script are committed to. */
    branch: string;
    sysboxRef: string;
    archs: Arch[];
    /** The version this release publishes (tag sysbox-v<version>, .debs sysbox-ce_<version>.linux_<arch>.deb). */
    version: string;
    /** Manage the repository files, the Actions variable and the GitHub release (false: index an existing release). */
    publish: boolean;
    /** Where the release's assets are downloaded from: <base>/<tag>/<file> (default: the GitHub release's own). */
    downloadBaseUrl?: string;
    /** GitHub token (secret; needs the `workflow` scope to write workflows). Default: $GITHUB_TOKEN. */
    token?: string;
}

export interface HostConfig {
    ssh: SshConfig;
    /** Declared host capacity, used to validate agent limits before probing. */
    capacity?: { cpus?: number; memoryBytes?: number };
    engine: { package: EnginePackage; removeOnDestroy: boolean };
    sysbox: SysboxConfig;
    daemons: DaemonConfig[];
    agents: AgentConfig[];
    operator: OperatorConfig;
    release?: ReleaseConfig;
    /** The stack's rollout group (npm run rollout -- --group <group>). */
    fleet: { group?: string };
    /** The agents' backups (restic, on a schedule); unset: none. */
    backup?: BackupConfig;
}

/** The raw stack config values (each a top-level key under `containai:`). */
export interface RawConfig {
    ssh?: unknown;
    capacity?: unknown;
    engine?: unknown;
    sysbox?: unknown;
    daemons?: unknown;
    agents?: unknown;
    operator?: unknown;
    release?: unknown;
    /** Read by the rollout command (fleet/rollout.ts), validated here. */
    fleet?: unknown;
    backup?: unknown;
}


export class ConfigError extends Error {
    constructor(public readonly problems: ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "ConfigError";
    }
}

export function formatProblems(problems: ConfigProblem[]): string {
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}`);
    return `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); ` +
        `nothing was changed on the host:\n${lines.join("\n")}`;
}

export const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-+][0-9A-Za-z.+-]+)?$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
const IFNAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** docker's own rule for context names ("default" is taken). */
const CONTEXT_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;
/** Group names groupadd and getent accept on Debian/Ubuntu. */
const GROUP_RE = /^[a-z_][a-z0-9_-]*$/;

function semver(c: Collector, key: string, v: unknown, def: string): string {
    const s = str(c, key, v, def) ?? def;
    const bare = s.replace(/^v/, "");
    if (!SEMVER_RE.test(bare)) {
        c.add(key, `${show(s)} is not a semantic version; use e.g. "0.7.1"`);
    }
    return bare;
}

function sha256Map(c: Collector, key: string, v: unknown): Partial<Record<Arch, string>> {
    const out: Partial<Record<Arch, string>> = {};
    if (v === undefined || v === null) return out;
    if (!isObj(v)) {
        c.add(key, `${show(v)} must be an object { amd64: <sha256>, arm64: <sha256> }`);
        return out;
    }
    unknownKeys(c, key, v, ARCHES);
    for (const a of ARCHES) {
        if (v[a] === undefined) continue;
        const s = str(c, `${key}.${a}`, v[a]);
        if (s !== undefined) {
            if (!SHA256_RE.test(s)) {
                c.add(`${key}.${a}`, `${show(s)} is not a sha256 (64 lowercase hex characters); ` +
                    `copy it from the release's .sha256 file or run sha256sum on the .deb`);
            } else {
                out[a] = s;
            }
        }
    }
    return out;
}

// ----------------------------------------------------------- CIDR helpers
// (They live with the host rules, which the preflight also evaluates.)
export { Cidr, cidrsOverlap, gatewayOf, parseCidr, subnetOf } from "../host/rules";

// -------------------------------------------------------------- sections

function validateSsh(c: Collector, raw: unknown, secretKeys: ReadonlySet<string>): SshConfig {
    const key = "ssh";
    const o = isObj(raw) ? raw : {};
    if (raw === undefined) {
        c.add(`${key}.host`, `missing; set it with: pulumi config set --path ${NS}:ssh.host <address>`);
    } else if (!isObj(raw)) {
        c.add(key, `${show(raw)} must be an object with host, port, user, ...`);
    }
    unknownKeys(c, key, o, ["host", "port", "user", "privateKey", "privateKeyFile", "agentSocket",
        "hostKey", "knownHostsFile", "sudo"]);
    const host = str(c, `${key}.host`, o.host);
    if (raw !== undefined && isObj(raw) && host === undefined) {
        c.add(`${key}.host`, `missing; set it with: pulumi config set --path ${NS}:ssh.host <address>`);
    } else if (host !== undefined && !/^[A-Za-z0-9._:-]+$/.test(host)) {
        c.add(`${key}.host`, `${show(host)} is not a host name or IP address`);
    }
    const port = int(c, `${key}.port`, o.port, 22, 1, 65535, "use the host's sshd port (1-65535)") ?? 22;
    const user = str(c, `${key}.user`, o.user, "root") ?? "root";
    if (!/^[a-z_][a-z0-9_-]*\$?$/.test(user)) {
        c.add(`${key}.user`, `${show(user)} is not a valid user name`);
    }
    const privateKey = str(c, `${key}.privateKey`, o.privateKey);
    if (privateKey !== undefined && !secretKeys.has(`${NS}:ssh`)) {
        c.add(`${key}.privateKey`, "is stored in plaintext; store it as a secret: " +
            `pulumi config set --secret --path ${NS}:ssh.privateKey -- "$(cat ~/.ssh/id_ed25519)"`);
    }
    const privateKeyFile = str(c, `${key}.privateKeyFile`, o.privateKeyFile);
    const agentSocket = str(c, `${key}.agentSocket`, o.agentSocket);
    if (privateKey !== undefined && privateKeyFile !== undefined) {
        c.add(`${key}.privateKeyFile`, "privateKey and privateKeyFile are mutually exclusive; keep one");
    }
    const hostKey = str(c, `${key}.hostKey`, o.hostKey);
    const hostKeyProblem = hostKey === undefined ? undefined : publicKeyProblem(hostKey);
    if (hostKeyProblem) {
        c.add(`${key}.hostKey`, `${show(hostKey)} ${hostKeyProblem}; copy "<type> <base64>" from ssh-keyscan -t ed25519 <host>`);
    }
    const knownHostsFile = str(c, `${key}.knownHostsFile`, o.knownHostsFile);
    if (hostKey === undefined && knownHostsFile === undefined && isObj(raw)) {
        c.add(`${key}.hostKey`, "missing: the host key must be pinned; set ssh.hostKey " +
            "(from ssh-keyscan -t ed25519 <host>) or ssh.knownHostsFile");
    }
    const sudo = bool(c, `${key}.sudo`, o.sudo, user !== "root");
    return { host: host ?? "", port, user, privateKey, privateKeyFile, agentSocket, hostKey, knownHostsFile, sudo };
}

/**
 * A URL setting: http(s) only, and credentials (user:password@) only when the
 * stack stores `containai:sysbox` as a secret. Messages never repeat the
 * credentials.
 */
function url(c: Collector, key: string, v: string, secret: boolean, what: string): boolean {
    if (!/^https?:\/\/\S+$/.test(v)) {
        c.add(key, `${show(redactUrl(v))} ${what}`);
        return false;
    }
    if (hasUserinfo(v) && !secret) {
        c.add(key, `${show(redactUrl(v))} carries credentials in plaintext config; store the URL as a secret: ` +
            `pulumi config set --secret --path ${NS}:${key} <url>`);
        return false;
    }
    return true;
}

function validateSysbox(c: Collector, raw: unknown, secretKeys: ReadonlySet<string>): SysboxConfig {
    const secret = secretKeys.has(`${NS}:sysbox`);
    const key = "sysbox";
    if (raw !== undefined && !isObj(raw)) c.add(key, `${show(raw)} must be an object`);
    const o = isObj(raw) ? raw : {};
    unknownKeys(c, key, o, ["source", "version", "sha256", "mirrorUrl", "custom", "file", "release",
        "allowUnfixedOpenat2", "removeOnDestroy"]);
    const source = str(c, `${key}.source`, o.source, "upstream") as string;
    if (!["upstream", "custom", "file", "release"].includes(source)) {
        c.add(`${key}.source`, `${show(source)} is not a known sysbox source; use upstream, custom, file or release`);
    }
    const version = semver(c, `${key}.version`, o.version, DEFAULT_SYSBOX_VERSION);
    const sha256 = { ...(UPSTREAM_SYSBOX[version]?.sha256 ?? {}), ...sha256Map(c, `${key}.sha256`, o.sha256) };
    const mirrorUrl = str(c, `${key}.mirrorUrl`, o.mirrorUrl);
    if (mirrorUrl !== undefined) url(c, `${key}.mirrorUrl`, mirrorUrl, secret, "is not an http(s) URL");
    let custom: SysboxConfig["custom"];
    if (o.custom !== undefined) {
        const ck = `${key}.custom`;
        if (!isObj(o.custom)) {
            c.add(ck, `${show(o.custom)} must be an object { urlTemplate, version, sha256 }`);
        } else {
            unknownKeys(c, ck, o.custom, ["urlTemplate", "version", "sha256", "fallbackToUpstream"]);
            const urlTemplate = str(c, `${ck}.urlTemplate`, o.custom.urlTemplate) ?? "";
            if (!url(c, `${ck}.urlTemplate`, urlTemplate, secret, "must be an http(s) URL with {version} and {arch}")) {
                // reported
            } else if (!urlTemplate.includes("{arch}")) {
                c.add(`${ck}.urlTemplate`, "must contain {arch} so each architecture gets its own .deb");
            }
            custom = {
                urlTemplate,
                version: semver(c, `${ck}.version`, o.custom.version, version),
                sha256: sha256Map(c, `${ck}.sha256`, o.custom.sha256),
                fallbackToUpstream: bool(c, `${ck}.fallbackToUpstream`, o.custom.fallbackToUpstream, true),
            };
            if (Object.keys(custom.sha256).length === 0) {
                c.add(`${ck}.sha256`, "missing: pin the custom .deb checksums { amd64: ..., arm64: ... }");
            }
        }
    }
    if (source === "custom" && custom === undefined) {
        c.add(`${key}.custom`, "missing: source is custom; set sysbox.custom.urlTemplate, version and sha256");
    }
    let file: SysboxConfig["file"];
    if (o.file !== undefined) {
        const fk = `${key}.file`;
        if (!isObj(o.file)) {
            c.add(fk, `${show(o.file)} must be an object { path, sha256 }`);
        } else {
            unknownKeys(c, fk, o.file, ["path", "sha256", "version"]);
            const path = str(c, `${fk}.path`, o.file.path) ?? "";
            if (!path.startsWith("/")) c.add(`${fk}.path`, `${show(path)} is not an absolute path to a .deb`);
            const sha = str(c, `${fk}.sha256`, o.file.sha256) ?? "";
            if (!SHA256_RE.test(sha)) c.add(`${fk}.sha256`, `${show(sha)} is not a sha256 (64 lowercase hex characters)`);
            file = { path, sha256: sha, version: semver(c, `${fk}.version`, o.file.version, version) };
        }
    }
    if (source === "file" && file === undefined) {
        c.add(`${key}.file`, "missing: source is file; set sysbox.file.path and sysbox.file.sha256");
    }
    let release: SysboxConfig["release"];
    if (o.release !== undefined) {
        const rk = `${key}.release`;
        const r = isObj(o.release) ? o.release : {};
        if (!isObj(o.release)) c.add(rk, `${show(o.release)} must be an object { stack, fallbackToUpstream }`);
        unknownKeys(c, rk, r, ["stack", "fallbackToUpstream"]);
        const stack = str(c, `${rk}.stack`, r.stack) ?? "";
        if (!/^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/.test(stack)) {
            c.add(`${rk}.stack`, `${show(stack)} is not a stack name; use <stack>, or <org>/<project>/<stack> for another project or backend organisation`);
        }
        release = { stack, fallbackToUpstream: bool(c, `${rk}.fallbackToUpstream`, r.fallbackToUpstream, true) };
    }
    if (source === "release" && release === undefined) {
        c.add(`${key}.release`, "missing: source is release; set sysbox.release.stack to the release stack's name");
    }
    // (No checksum hint for a version that is itself invalid: that is one problem.)
    if (source === "upstream" && Object.keys(sha256).length === 0 && SEMVER_RE.test(version)) {
        c.add(`${key}.sha256`, `no checksum known for sysbox ${version}; pin it: ` +
            `pulumi config set --path ${NS}:sysbox.sha256.amd64 <sha256 of sysbox-ce_${version}.linux_amd64.deb>`);
    }
    // The openat2 rule (docs/troubleshooting.md), on the version this source installs.
    const allowUnfixedOpenat2 = bool(c, `${key}.allowUnfixedOpenat2`, o.allowUnfixedOpenat2, false);
    const [installed, versionKey] = source === "custom" && custom ? [custom.version, `${key}.custom.version`]
        : source === "file" && file ? [file.version, `${key}.file.version`] : [version, `${key}.version`];
    if (SEMVER_RE.test(installed) && !versionAtLeast(installed, MIN_FIXED_SYSBOX) && !allowUnfixedOpenat2) {
        c.add(versionKey, `sysbox ${installed} lacks the openat2 fix (Docker >= 28.5.2 inside agents fails with ` +
            `"unsafe procfs detected ... invalid cross-device link"); use ${MIN_FIXED_SYSBOX} or later, or set ` +
            `${NS}:sysbox.allowUnfixedOpenat2 true if every agent's inner runc is older than 1.3.3`);
    }
    return {
        source: source as SysboxSource, version, sha256, mirrorUrl, custom, file, release,
        allowUnfixedOpenat2,
        removeOnDestroy: bool(c, `${key}.removeOnDestroy`, o.removeOnDestroy, false),
    };
}

export function defaultDaemon(name = "containai-docker", index = 0): DaemonConfig {
    return {
        name,
        socket: `/var/run/${name}.sock`,
        configFile: name === "containai-docker" ? "/etc/containai/docker/daemon.json" : `/etc/containai/${name}/daemon.json`,
        dataRoot: `/var/lib/${name}`,
        execRoot: `/var/run/${name}`,
        pidfile: `/var/run/${name}.pid`,
        bridge: { name: `cai${index}`, cidr: `172.${30 + index}.0.1/16` },
        defaultRuntime: "sysbox-runc",
        socketGroup: name,
        contextName: name,
        removeDataOnDestroy: false,
        egress: { block: true, allow: [] },
    };
}

/** Ports in one allow-list entry: iptables' multiport match takes at most 15. */
const MAX_EGRESS_PORTS = 15;

/**
 * daemons[i].egress: the agents' outbound policy. Blocking is the default;
 * `block: false` is the explicit opt-out and is warned about on every run.
 */
function validateEgress(c: Collector, key: string, raw: unknown, daemon: string): EgressConfig {
    if (raw !== undefined && !isObj(raw)) {
        c.add(key, `${show(raw)} must be an object { block, allow }`);
        return { block: true, allow: [] };
    }
    const r = isObj(raw) ? raw : {};
    unknownKeys(c, key, r, ["block", "allow"]);
    const block = bool(c, `${key}.block`, r.block, true);
    if (!block) {
        c.warn(`${key}.block`, `false: agents of daemon ${daemon} can reach the cloud's metadata service (169.254.169.254: ` +
            "instance credentials on most clouds), the host's own services and every private network; prefer block true " +
            `with ${key}.allow entries for what they need`);
    }
    const allow: EgressAllow[] = [];
    if (r.allow !== undefined && !Array.isArray(r.allow)) c.add(`${key}.allow`, `${show(r.allow)} must be a list of { cidr, ports, protocol }`);
    (Array.isArray(r.allow) ? r.allow : []).forEach((e, j) => {
        const k = `${key}.allow[${j}]`;
        if (!isObj(e)) {
            c.add(k, `${show(e)} must be an object { cidr, ports, protocol }`);
            return;
        }
        unknownKeys(c, k, e, ["cidr", "ports", "protocol"]);
        const cidr = str(c, `${k}.cidr`, e.cidr);
        const net = cidr === undefined ? undefined : parseNet(cidr);
        if (cidr === undefined) c.add(`${k}.cidr`, "missing; an IPv4 address or network like 10.20.0.5 or 10.20.0.0/16");
        else if (!net) c.add(`${k}.cidr`, `${show(cidr)} is not an IPv4 address or network like 10.20.0.5 or 10.20.0.0/16`);
        else if (cidr.includes("/") && formatNet(net) !== cidr) {
            c.add(`${k}.cidr`, `${show(cidr)} has host bits set; write the network ${formatNet(net)}, or the address with /32`);
        }
        const ports: number[] = [];
        if (e.ports !== undefined && !Array.isArray(e.ports)) c.add(`${k}.ports`, `${show(e.ports)} must be a list of port numbers`);
        (Array.isArray(e.ports) ? e.ports : []).forEach((p, n) => {
            const v = int(c, `${k}.ports[${n}]`, p, undefined, 1, 65535, "use a port number");
            if (v !== undefined) ports.push(v);
        });
        if (ports.length > MAX_EGRESS_PORTS) c.add(`${k}.ports`, `${ports.length} ports; at most ${MAX_EGRESS_PORTS} per entry (split it)`);
        const protocol = str(c, `${k}.protocol`, e.protocol, ports.length > 0 ? "tcp" : "any") ?? "any";
        if (!["tcp", "udp", "any"].includes(protocol)) c.add(`${k}.protocol`, `${show(protocol)} must be tcp, udp or any`);
        else if (protocol === "any" && ports.length > 0) c.add(`${k}.protocol`, "any cannot have ports; use tcp or udp");
        if (net) allow.push({ cidr: formatNet(net), protocol: protocol as EgressAllow["protocol"], ports });
    });
    return { block, allow };
}

function validateDaemons(c: Collector, raw: unknown): DaemonConfig[] {
    const key = "daemons";
    if (raw === undefined) return [defaultDaemon()];
    if (!Array.isArray(raw) || raw.length === 0) {
        c.add(key, `${show(raw)} must be a non-empty list of daemon instances (or unset for the default one)`);
        return [defaultDaemon()];
    }
    const out: DaemonConfig[] = [];
    raw.forEach((r, i) => {
        const k = `${key}[${i}]`;
        if (!isObj(r)) {
            c.add(k, `${show(r)} must be an object`);
            return;
        }
        unknownKeys(c, k, r, ["name", "socket", "configFile", "dataRoot", "execRoot", "pidfile", "bridge",
            "defaultRuntime", "storageDriver", "socketGroup", "contextName", "removeDataOnDestroy", "egress"]);
        const name = str(c, `${k}.name`, r.name, i === 0 ? "containai-docker" : undefined);
        if (name === undefined) {
            c.add(`${k}.name`, "missing; every instance after the first needs a name");
            return;
        }
        // Daemon names become unit names, containerd namespaces and (by default)
        // group names, which are limited to 32 characters.
        checkName(c, `${k}.name`, name, 32);
        const d = defaultDaemon(name, i);
        const bridge = isObj(r.bridge) ? r.bridge : {};
        if (r.bridge !== undefined && !isObj(r.bridge)) c.add(`${k}.bridge`, "must be an object { name, cidr }");
        const bname = str(c, `${k}.bridge.name`, bridge.name, d.bridge.name) ?? d.bridge.name;
        if (bname.length > 15) c.add(`${k}.bridge.name`, `${show(bname)} is too long (${bname.length} characters; interface names have at most 15)`);
        else if (!IFNAME_RE.test(bname)) c.add(`${k}.bridge.name`, `${show(bname)} is not a valid interface name (letters, digits, '_', '.', '-')`);
        else if (/^(docker|br-|veth|lo$|eth|en|wl)/.test(bname)) {
            c.add(`${k}.bridge.name`, `${show(bname)} is a name the host's default Docker or network uses; pick another (e.g. cai${i})`);
        }
        const cidr = str(c, `${k}.bridge.cidr`, bridge.cidr, d.bridge.cidr) ?? d.bridge.cidr;
        if (!parseCidr(cidr)) c.add(`${k}.bridge.cidr`, `${show(cidr)} is not an IPv4 CIDR like 172.30.0.1/16 (prefix 8-30)`);
        const defaultRuntime = str(c, `${k}.defaultRuntime`, r.defaultRuntime, d.defaultRuntime) ?? d.defaultRuntime;
        if (!DEFAULT_RUNTIMES.includes(defaultRuntime)) {
            c.add(`${k}.defaultRuntime`, `${show(defaultRuntime)} is not a runtime this daemon has; use one of ${DEFAULT_RUNTIMES.join(", ")}`);
        }
        const storageDriver = str(c, `${k}.storageDriver`, r.storageDriver);
        if (storageDriver !== undefined && !STORAGE_DRIVERS.includes(storageDriver)) {
            c.add(`${k}.storageDriver`, `${show(storageDriver)} is not a dockerd storage driver; use one of ${STORAGE_DRIVERS.join(", ")}, or unset it`);
        }
        const socketGroup = str(c, `${k}.socketGroup`, r.socketGroup, d.socketGroup) ?? d.socketGroup;
        if (socketGroup.length > 32) c.add(`${k}.socketGroup`, `${show(socketGroup)} is too long (${socketGroup.length} characters; group names have at most 32)`);
        else if (!GROUP_RE.test(socketGroup)) c.add(`${k}.socketGroup`, `${show(socketGroup)} is not a valid group name (lowercase letters, digits, '_', '-')`);
        const contextName = str(c, `${k}.contextName`, r.contextName, d.contextName) ?? d.contextName;
        if (contextName === "default") c.add(`${k}.contextName`, `"default" is docker's own context; pick another name`);
        else if (!CONTEXT_RE.test(contextName)) {
            c.add(`${k}.contextName`, `${show(contextName)} is not a valid docker context name (at least 2 characters: letters, digits, '_', '.', '+', '-'; no '/')`);
        }
        const daemon: DaemonConfig = {
            name,
            socket: absPath(c, `${k}.socket`, r.socket, d.socket),
            configFile: absPath(c, `${k}.configFile`, r.configFile, d.configFile),
            dataRoot: absPath(c, `${k}.dataRoot`, r.dataRoot, d.dataRoot),
            execRoot: absPath(c, `${k}.execRoot`, r.execRoot, d.execRoot),
            pidfile: absPath(c, `${k}.pidfile`, r.pidfile, d.pidfile),
            bridge: { name: bname, cidr },
            defaultRuntime,
            storageDriver,
            socketGroup,
            contextName,
            removeDataOnDestroy: bool(c, `${k}.removeDataOnDestroy`, r.removeDataOnDestroy, false),
            egress: validateEgress(c, `${k}.egress`, r.egress, name),
        };
        // The default Docker is never touched: none of its paths may be ours.
        for (const field of ["socket", "configFile", "dataRoot", "execRoot", "pidfile"] as const) {
            const hit = defaultDockerCollision(daemon[field]);
            if (hit) {
                c.add(`${k}.${field}`, `${show(daemon[field])} is or overlaps ${hit.path}, ${hit.what}; ` +
                    `an isolated daemon needs its own (default ${d[field]})`);
            }
        }
        const dr = canonicalPath(daemon.dataRoot);
        const volatile = VOLATILE_PATHS.find((v) => dr === v || dr.startsWith(`${v}/`));
        if (volatile) {
            c.add(`${k}.dataRoot`, `${show(daemon.dataRoot)} is under ${volatile}, which does not keep data across reboots; ` +
                `use a persistent path (default ${d.dataRoot})`);
        }
        out.push(daemon);
    });
    // Instances must not share anything that identifies a daemon on the host.
    const unique = (field: string, get: (d: DaemonConfig) => string, what: string): void => {
        const seen = new Map<string, number>();
        out.forEach((d, i) => {
            const v = get(d);
            const j = seen.get(v);
            if (j !== undefined) {
                c.add(`${key}[${i}].${field}`, `${show(v)} is already the ${what} of daemons[${j}]; ` +
                    `each instance needs its own ${what}`);
            } else {
                seen.set(v, i);
            }
        });
    };
    unique("name", (d) => d.name, "name");
    unique("socket", (d) => canonicalPath(d.socket), "socket");
    unique("dataRoot", (d) => canonicalPath(d.dataRoot), "data-root");
    out.forEach((d, i) => out.slice(0, i).forEach((e, j) => {
        if (d.dataRoot !== e.dataRoot && pathsNest(d.dataRoot, e.dataRoot)) {
            c.add(`${key}[${i}].dataRoot`, `${show(d.dataRoot)} is nested with daemons[${j}].dataRoot ${show(e.dataRoot)}; ` +
                "each instance needs a separate data-root");
        }
    }));
    unique("execRoot", (d) => d.execRoot, "exec-root");
    unique("pidfile", (d) => d.pidfile, "pidfile");
    unique("configFile", (d) => d.configFile, "config file");
    unique("bridge.name", (d) => d.bridge.name, "bridge");
    unique("contextName", (d) => d.contextName, "docker context name");
    for (let i = 0; i < out.length; i++) {
        for (let j = 0; j < i; j++) {
            const a = parseCidr(out[i].bridge.cidr), b = parseCidr(out[j].bridge.cidr);
            if (a && b && cidrsOverlap(a, b)) {
                c.add(`${key}[${i}].bridge.cidr`, `${out[i].bridge.cidr} overlaps daemons[${j}].bridge.cidr ` +
                    `${out[j].bridge.cidr}; give each instance its own range`);
            }
        }
    }
    return out;
}

function validateEngine(c: Collector, raw: unknown): HostConfig["engine"] {
    if (raw !== undefined && !isObj(raw)) c.add("engine", `${show(raw)} must be an object { package }`);
    const o = isObj(raw) ? raw : {};
    unknownKeys(c, "engine", o, ["package", "removeOnDestroy"]);
    const pkg = str(c, "engine.package", o.package, "docker.io") as string;
    if (!["docker.io", "docker-ce"].includes(pkg)) {
        c.add("engine.package", `${show(pkg)} is not supported; use docker.io (Debian/Ubuntu) or docker-ce (Docker's apt repository)`);
    }
    return { package: pkg as EnginePackage, removeOnDestroy: bool(c, "engine.removeOnDestroy", o.removeOnDestroy, false) };
}

function validateCapacity(c: Collector, raw: unknown): HostConfig["capacity"] {
    if (raw === undefined) return undefined;
    if (!isObj(raw)) {
        c.add("capacity", `${show(raw)} must be an object { cpus, memory }`);
        return undefined;
    }
    unknownKeys(c, "capacity", raw, ["cpus", "memory"]);
    const cpus = raw.cpus === undefined ? undefined : positive(c, "capacity.cpus", raw.cpus, parseCpus, "a CPU count like 8");
    const memoryBytes = raw.memory === undefined ? undefined : positive(c, "capacity.memory", raw.memory, parseMemory, 'a size like "16g"');
    return { cpus, memoryBytes };
}

function validateRelease(c: Collector, raw: unknown, secretKeys: ReadonlySet<string> = new Set()): ReleaseConfig | undefined {
    if (raw === undefined) return undefined;
    if (!isObj(raw)) {
        c.add("release", `${show(raw)} must be an object { owner, repository, sysboxRef, version, archs }`);
        return undefined;
    }
    unknownKeys(c, "release", raw, ["owner", "repository", "branch", "sysboxRef", "archs", "version", "publish", "downloadBaseUrl", "token"]);
    const owner = str(c, "release.owner", raw.owner);
    if (owner !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(owner)) {
        c.add("release.owner", `${show(owner)} is not a GitHub user or organisation name`);
    }
    const repository = str(c, "release.repository", raw.repository) ?? "";
    if (!/^[A-Za-z0-9._-]+$/.test(repository)) c.add("release.repository", `${show(repository)} is not a repository name`);
    const branch = str(c, "release.branch", raw.branch, "main") ?? "main";
    if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes("..")) c.add("release.branch", `${show(branch)} is not a branch name`);
    const sysboxRef = str(c, "release.sysboxRef", raw.sysboxRef) ?? "";
    if (!/^([0-9a-f]{40}|v\d+\.\d+\.\d+)$/.test(sysboxRef)) {
        c.add("release.sysboxRef", `${show(sysboxRef)} is not pinned; use a full 40-hex commit or a vX.Y.Z tag`);
    }
    let archs: Arch[] = [...ARCHES];
    if (raw.archs !== undefined) {
        if (!Array.isArray(raw.archs) || raw.archs.length === 0 || raw.archs.some((a) => !ARCHES.includes(a as Arch))) {
            c.add("release.archs", `${show(raw.archs)} must be a non-empty subset of ["amd64", "arm64"]`);
        } else {
            archs = raw.archs as Arch[];
        }
    }
    const version = str(c, "release.version", raw.version) ?? "";
    if (!SEMVER_RE.test(version)) {
        c.add("release.version", `${show(version)} is not a version; use what build-sysbox.sh stamps, e.g. "0.7.1+containai.20261124"`);
    } else if (!versionAtLeast(version.replace(/[-+].*$/, ""), MIN_FIXED_SYSBOX)) {
        c.add("release.version", `${version} is older than ${MIN_FIXED_SYSBOX}, which lacks the openat2 fix; build ${MIN_FIXED_SYSBOX} or later`);
    }
    const publish = bool(c, "release.publish", raw.publish, true);
    let base = str(c, "release.downloadBaseUrl", raw.downloadBaseUrl);
    if (base !== undefined) url(c, "release.downloadBaseUrl", base, secretKeys.has(`${NS}:release`), "is not an http(s) URL");
    else if (!publish && owner !== undefined) base = `https://github.com/${owner}/${repository}/releases/download`;
    else if (!publish) c.add("release.downloadBaseUrl", "missing: with publish false, name where the release's assets are (or set release.owner for github.com)");
    const token = str(c, "release.token", raw.token);
    if (token !== undefined && !secretKeys.has(`${NS}:release`)) {
        c.add("release.token", `is stored in plaintext; set it as a secret: pulumi config set --secret --path ${NS}:release.token <token>`);
    }
    return { owner, repository, branch, sysboxRef, archs, version, publish, downloadBaseUrl: base?.replace(/\/+$/, ""), token };
}

function validateFleet(c: Collector, raw: unknown): { group?: string } {
    if (raw === undefined) return {};
    if (!isObj(raw)) {
        c.add("fleet", `${show(raw)} must be an object { group }`);
        return {};
    }
    unknownKeys(c, "fleet", raw, ["group"]);
    const group = str(c, "fleet.group", raw.group);
    if (group !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(group)) c.add("fleet.group", `${show(group)} is not a group name (letters, digits, _ . -)`);
    return { group };
}

/** A release stack: containai:release only (it builds sysbox; it converges no host). */
export function checkReleaseStack(raw: RawConfig, secretKeys: ReadonlySet<string> = new Set()):
    { release?: ReleaseConfig; problems: ConfigProblem[]; warnings: ConfigProblem[] } {
    const c = new Collector();
    for (const k of Object.keys(raw) as (keyof RawConfig)[]) {
        if (k !== "release" && k !== "fleet" && raw[k] !== undefined) {
            c.add(k, "a release stack (containai:release, no containai:ssh) builds sysbox and converges no host; " +
                "put host settings in a host stack, which consumes this one with sysbox.source release");
        }
    }
    const release = validateRelease(c, raw.release, secretKeys);
    return { release, problems: c.problems, warnings: c.warnings };
}

/**
 * Validate the whole stack config. Returns the typed config, or throws a
 * ConfigError listing every problem found (never just the first).
 */
export function validateConfig(raw: RawConfig, secretKeys: ReadonlySet<string> = new Set()): HostConfig {
    const { config, problems } = checkConfig(raw, secretKeys);
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
}

/** Like validateConfig, but returns the problems (and a best-effort config) instead of throwing. */
export function checkConfig(raw: RawConfig, secretKeys: ReadonlySet<string> = new Set(),
    env: Record<string, string | undefined> = process.env):
    { config: HostConfig; problems: ConfigProblem[]; warnings: ConfigProblem[] } {
    const c = new Collector();
    const ssh = validateSsh(c, raw.ssh, secretKeys);
    const capacity = validateCapacity(c, raw.capacity);
    const engine = validateEngine(c, raw.engine);
    const sysbox = validateSysbox(c, raw.sysbox, secretKeys);
    const daemons = validateDaemons(c, raw.daemons);
    // agents[i].devcontainer: the file's contribution merged under the entry, then the same validator.
    const dc = expandDevcontainers(c, raw.agents, daemons, env);
    const agents = validateAgents(c, dc.agents, daemons, capacity, secretKeys.has(`${NS}:agents`))
        .map((a) => (dc.specs.has(a.name) ? { ...a, devcontainer: dc.specs.get(a.name) } : a));
    const operator = validateOperator(c, raw.operator);
    const fleet = validateFleet(c, raw.fleet);
    const backup = validateBackup(c, raw.backup, secretKeys.has(`${NS}:backup`));
    if (raw.release !== undefined) {
        c.add("release", "belongs in a release stack of its own (containai:release and no containai:ssh); " +
            "this host stack can consume it with sysbox.source release and sysbox.release.stack <that stack> (docs/sysbox-builds.md)");
    }
    const release = validateRelease(new Collector(), raw.release, secretKeys);
    return { config: { ssh, capacity, engine, sysbox, daemons, agents, operator, release, fleet, backup }, problems: c.problems, warnings: c.warnings };
}
