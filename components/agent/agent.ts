// Agent system containers: containai:agent:Agent (one per containai:agents[]
// entry) and containai:agent:Agents (what they share on one host: a docker
// provider per daemon, SSH ports, image archives, health, operator SSH config).
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as docker from "@pulumi/docker";
import * as pulumi from "../sdk";
import { AGENT_RUNTIME, AgentConfig, MANAGED_BY, RESERVED_SSH_PORTS, SSH_PORT_MAX, SSH_PORT_MIN } from "../config/agents";
import { cacheDir, hasUserinfo } from "../config/checks";
import { DaemonConfig, HostConfig, NS } from "../config/schema";
import { HealthCheck, HostState } from "../host/providers";
import { Connection, fingerprint } from "../host/remote";
import { hostFile, hostScript, scriptSet } from "../host/scripts";
import { renderSecretsWatchUnit, rootfsGuardPath, secretsStorePath, secretsWatchPath, secretsWatchUnitName } from "../render/daemon";
import { AGENT_AUTHORIZED_KEYS, AGENT_HOST_KEY, AGENT_SSHD_DROPIN, renderAgentSshd, renderAuthorizedKeys,
    renderOperatorKnownHosts, renderOperatorSshConfig, sshIncludeLine } from "../render/ssh";
import { AGENT_DATA_LAYOUT, AgentHostKey, dataLayoutOf, OperatorSshConfigFiles, SshPorts } from "./providers";
import { devcontainerImages } from "./devcontainer";
import type { DevcontainerSpec } from "../devcontainer/expand";

/**
 * @pulumi/docker, loaded on first use: it loads the Pulumi SDK's root module,
 * which only stacks with agents need (see components/sdk.ts; ~0.03 s of CPU
 * with the lazy closure serializer, ~0.3 s without).
 */
function dockerSdk(): typeof docker {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@pulumi/docker");
}

const MiB = 1024 * 1024;
/**
 * Sessions sshd allows per connection on hosts with agents: the engine runs
 * up to 4 x the operator's CPUs steps at once (`--parallel`), each docker one
 * on a session of its own (sshd's default is 10).
 */
export const SSHD_MAX_SESSIONS = 128;
export const SSHD_DROPIN = "/etc/ssh/sshd_config.d/containai-infra.conf";
export const CPU_PERIOD = 100_000;
export { MANAGED_BY };

/** Names of an agent's container and volumes on its daemon. */
export function agentNames(agent: string): { container: string; home: string; docker: string; containerd: string; snapshots: string } {
    return {
        container: agent, home: `containai-${agent}-home`, docker: `containai-${agent}-docker`,
        containerd: `containai-${agent}-containerd`, snapshots: `containai-${agent}-snapshots`,
    };
}

/** Inner containerd's data directory, and its overlay snapshots (a directory sysbox backs with its own, dropped with the container). */
export const INNER_CONTAINERD = "/var/lib/containerd";
export const INNER_SNAPSHOTS = `${INNER_CONTAINERD}/io.containerd.snapshotter.v1.overlayfs`;

/**
 * Whether an agent keeps inner containerd's data on retained volumes: every
 * agent created since layout 2 (its host key's ID says so), and an older one that
 * opted in (agents[i].containerdVolumes; its container is re-created once).
 */
export function innerContainerdOnVolumes(dataLayout: number, optIn: boolean): boolean {
    return dataLayout >= AGENT_DATA_LAYOUT || optIn;
}

/**
 * Limits: configured, else half of the host's CPUs and memory. cpus become a
 * CFS quota (cpuQuota/cpuPeriod, updated in place by `docker update`), memory
 * MiB for the provider, memory-swap = memory (no swap beyond the limit).
 */
export function agentLimits(a: Pick<AgentConfig, "cpus" | "memoryBytes">, hostCpus: number, hostMemoryBytes: number):
    { cpuQuota: number; cpuPeriod: number; memoryMb: number } {
    const cpus = a.cpus ?? Math.max(hostCpus / 2, 0.1);
    const bytes = a.memoryBytes ?? Math.max(hostMemoryBytes / 2, 256 * MiB);
    return { cpuQuota: Math.round(cpus * CPU_PERIOD), cpuPeriod: CPU_PERIOD, memoryMb: Math.max(Math.floor(bytes / MiB), 64) };
}

/**
 * How the docker provider reaches a daemon: `ssh://user@host:port/<socket>`
 * with OpenSSH options that pin the host key (a known_hosts file of our own,
 * read through HostKeyAlias) and use the configured key file or ssh-agent.
 */
export function dockerHostArgs(c: Pick<Connection, "host" | "port" | "user" | "privateKeyFile" | "agentSocket">, socket: string,
    knownHostsFile: string, alias: string, controlDir?: string): { host: string; sshOpts: string[] } {
    const opts = ["-o", `HostKeyAlias=${alias}`, "-o", `UserKnownHostsFile=${knownHostsFile}`, "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=15"];
    // The provider opens an OpenSSH connection per API call (a refresh reads every
    // container, volume and image): share one authenticated connection per host.
    if (controlDir) opts.push("-o", "ControlMaster=auto", "-o", `ControlPath=${controlDir}/%C`, "-o", "ControlPersist=30");
    if (c.privateKeyFile) opts.push("-o", "IdentitiesOnly=yes", "-i", c.privateKeyFile);
    else if (c.agentSocket) opts.push("-o", `IdentityAgent=${c.agentSocket}`);
    return { host: `ssh://${c.user}@${c.host}:${c.port}${socket}`, sshOpts: opts };
}

/**
 * The host's pinned key as a known_hosts file for the OpenSSH client the
 * docker provider spawns. Written where Pulumi runs (outside any checkout),
 * atomically, 0600; its content is public (a host key).
 */

/**
 * Longest control-socket directory: OpenSSH binds "<dir>/<%C: 40 hex>" plus a
 * ".<16 random>" suffix while it sets the master up, and a Unix socket path
 * holds at most 103 bytes on macOS (107 on Linux).
 */
export const CONTROL_DIR_MAX = 103 - 1 - 40 - 17;

/**
 * A private directory for OpenSSH control sockets: the cache's ssh/ when its
 * path is short enough (CONTROL_DIR_MAX), else /tmp/containai-ssh-<uid>, which
 * must be ours alone (a directory, not a symlink, owned by us, mode 0700): a
 * long HOME (/home/firstname.lastname) must not make every agent fail with
 * "unix_listener: path ... too long for Unix domain socket".
 */
export function sshControlDir(dir = path.join(cacheDir(), "ssh"), short = `/tmp/containai-ssh-${os.userInfo().uid}`): string {
    const target = dir.length <= CONTROL_DIR_MAX ? dir : short;
    if (target === dir) {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        fs.chmodSync(dir, 0o700);
        return dir;
    }
    try {
        fs.mkdirSync(target, { mode: 0o700 });
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const st = fs.lstatSync(target);
    const uid = os.userInfo().uid;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
        throw new pulumi.RunError(`${target} (for OpenSSH control sockets, used because ${dir} is too long for a socket path) ` +
            `is not a private directory of uid ${uid} (it must be a directory, owned by it, mode 0700): remove it, or set ` +
            "CONTAINAI_CACHE to a short directory");
    }
    return target;
}

export function writeProviderKnownHosts(alias: string, hostKey: string,
    dir = path.join(cacheDir(), "known_hosts")): string {
    const file = path.join(dir, `${alias}.known_hosts`);
    const text = `${alias} ${hostKey.trim()}\n`;
    let current: string | undefined;
    try {
        current = fs.readFileSync(file, "utf8");
    } catch {
        current = undefined;
    }
    if (current !== text) {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${file}.tmp-${process.pid}`;
        fs.writeFileSync(tmp, text, { mode: 0o600 });
        fs.renameSync(tmp, file);
    }
    return file;
}

// ------------------------------------------------------------------ Agent

export interface AgentArgs {
    agent: AgentConfig;
    daemon: DaemonConfig;
    /** The docker provider of the agent's daemon. */
    provider: docker.Provider;
    stack: string;
    sshPort: pulumi.Input<number>;
    hostCpus: pulumi.Input<number>;
    hostMemoryBytes: pulumi.Input<number>;
    /** The agent's image on its daemon (one per daemon and image, shared by its agents). */
    imageId: pulumi.Input<string>;
    /**
     * What the container is created after: the daemon's agents host step
     * (workspaces, data volumes) and the image.
     */
    after: pulumi.Resource[];
    /** The agent's host key (made by Agents before the host step, which needs its data layout). */
    hostKey: AgentHostKey;
    /** Inner containerd's data on retained volumes (innerContainerdOnVolumes). */
    containerdVolumes: pulumi.Input<boolean>;
}

/**
 * One VM-like system container: sysbox-runc, systemd as PID 1, sshd,
 * Docker-in-Docker. Its workspace and data volumes are prepared, and its
 * container kept running, by per-daemon steps of containai:agent:Agents.
 */
export class Agent extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    public readonly containerId: pulumi.Output<string>;
    public readonly sshPort: pulumi.Output<number>;
    /** "ssh-ed25519 <base64>" the agent's sshd presents (pinned). */
    public readonly hostPublicKey: pulumi.Output<string>;
    /** Names of the agent's data volumes (kept by destroy; see agentNames). */
    public readonly volumes: { home: string; docker: string; containerd: string; snapshots: string };
    constructor(name: string, args: AgentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:agent:Agent", name, {}, opts);
        const a = args.agent;
        if (a.daemon !== args.daemon.name) {
            throw new pulumi.RunError(`Agent ${a.name}: runs on daemon ${a.daemon}, but was given ${args.daemon.name}`);
        }
        const n = agentNames(a.name);
        const hostKey = args.hostKey;
        this.volumes = { home: n.home, docker: n.docker, containerd: n.containerd, snapshots: n.snapshots };
        const limits = pulumi.all([args.hostCpus, args.hostMemoryBytes])
            .apply(([cpus, mem]) => agentLimits(a, cpus, mem));
        const port = pulumi.output(args.sshPort);
        this.container = new (dockerSdk().Container)(`${name}-container`, {
            name: n.container,
            hostname: a.name,
            image: args.imageId,
            runtime: AGENT_RUNTIME,
            entrypoints: ["/sbin/init"],
            stopSignal: "SIGRTMIN+3",
            stopTimeout: 100,
            restart: "unless-stopped",
            // Whether it runs is the daemon's `-running` step's job: the provider's
            // must_run refresh of a stopped container reads its published ports
            // as gone and forces a replacement (upstream kreuzwerker issue #77).
            mustRun: false,
            cpuPeriod: limits.cpuPeriod,
            cpuQuota: limits.cpuQuota,
            memory: limits.memoryMb,
            memorySwap: limits.memoryMb,
            labels: [
                { label: "containai.agent", value: a.name },
                { label: "containai.workspace", value: a.workspace },
                { label: "containai.ssh-port", value: port.apply(String) },
                { label: "containai.managed-by", value: MANAGED_BY },
                { label: "containai.stack", value: args.stack },
            ],
            envs: Object.keys(a.env).sort().map((k) => `${k}=${a.env[k]}`),
            mounts: pulumi.output(args.containerdVolumes).apply((cd) => [
                { type: "volume", source: n.home, target: `/home/${a.user}` },
                { type: "volume", source: n.docker, target: "/var/lib/docker" },
                // Inner containerd (Docker >= 29's image store): its directory, and its snapshots at the exact
                // path sysbox would otherwise back with a directory of its own (upstream sysbox#1021).
                ...(cd ? [{ type: "volume", source: n.containerd, target: INNER_CONTAINERD },
                    { type: "volume", source: n.snapshots, target: INNER_SNAPSHOTS }] : []),
                { type: "bind", source: a.workspace, target: a.workspacePath },
                ...a.mounts.map((m) => ({ type: m.type, source: m.source, target: m.target, readOnly: m.readOnly })),
            ]),
            ports: [
                { internal: 22, external: port, ip: a.sshBind, protocol: "tcp" },
                ...a.ports.map((p) => ({ internal: p.container, external: p.host, ip: p.bind, protocol: p.protocol })),
            ],
            sysctls: a.sysctls,
            // Written before the first start, so sshd boots with the pinned key.
            uploads: [
                { file: AGENT_SSHD_DROPIN, content: renderAgentSshd(a.user), permissions: "0644" },
                { file: AGENT_AUTHORIZED_KEYS, content: renderAuthorizedKeys(a.authorizedKeys), permissions: "0644" },
                { file: AGENT_HOST_KEY, content: hostKey.privateKey, permissions: "0600" },
                { file: `${AGENT_HOST_KEY}.pub`, content: hostKey.publicKey.apply((k) => `${k}\n`), permissions: "0644" },
            ],
        }, { parent: this, provider: args.provider, deleteBeforeReplace: true, dependsOn: args.after });
        this.containerId = this.container.id;
        this.sshPort = port;
        this.hostPublicKey = hostKey.publicKey;
        this.registerOutputs({ containerId: this.containerId, sshPort: this.sshPort, hostPublicKey: this.hostPublicKey });
    }
}

/**
 * An agent's image built from its devcontainer.json on its daemon: the
 * devcontainer's own build (when it has one), then the layer that makes it a
 * system container. Both tags are content addresses; images stay on the
 * daemon when replaced (a running container may still use the old one).
 * The daemon's own (legacy) builder: the provider's buildx path does not
 * leave the image in the daemon under its tag (the provider then tries to
 * pull it), and the legacy builder needs nothing but the daemon.
 */
function devcontainerImage(name: string, a: AgentConfig, provider: docker.Provider, after: pulumi.Resource[],
    parent: pulumi.Resource): docker.RemoteImage {
    const imgs = devcontainerImages(a, a.devcontainer as DevcontainerSpec);
    const sdk = dockerSdk();
    const base = imgs.base === undefined ? undefined : new sdk.RemoteImage(`${name}-devcontainer-base`, {
        name: imgs.base.tag, keepLocally: true,
        build: { context: imgs.base.context, dockerfile: imgs.base.dockerfile, buildArgs: imgs.base.args, target: imgs.base.target,
            useLegacyBuilder: true },
    }, { parent, provider, dependsOn: after });
    return new sdk.RemoteImage(`${name}-devcontainer`, {
        name: imgs.layer.tag, keepLocally: true, build: { context: imgs.layer.context, useLegacyBuilder: true },
    }, { parent, provider, dependsOn: base ? [base] : after });
}

/**
 * The agents host step's AGENTS lines: "name container uid home-volume
 * docker-volume workspace containerd-volume snapshots-volume key" ("-" for
 * the two containerd volumes when the agent keeps inner containerd in its root
 * filesystem; key: the agent's stack-config key, for messages). `index` maps
 * an agent to its position in containai:agents.
 */
export function agentHostLines(agents: Pick<AgentConfig, "name" | "uid" | "workspace">[], containerdVolumes: boolean[],
    index: (name: string) => number): string {
    return agents.map((a, i) => {
        const n = agentNames(a.name);
        const cd = containerdVolumes[i] ? `${n.containerd} ${n.snapshots}` : "- -";
        return `${a.name} ${n.container} ${a.uid} ${n.home} ${n.docker} ${a.workspace} ${cd} ${NS}:agents[${index(a.name)}]`;
    }).join("\n");
}

/**
 * The agents host step's SOURCES lines: "agent key path [missing-ok]" for
 * every bind source (the workspace, which the step creates when missing, and
 * each bind mount), checked on the host itself before any container is
 * created (host-scripts/lib.sh source_problem). `index` maps an agent to its
 * position in containai:agents, for the key.
 */
export function agentSourceLines(agents: Pick<AgentConfig, "name" | "workspace" | "mounts">[], index: (name: string) => number): string {
    return agents.flatMap((a) => {
        const k = `${NS}:agents[${index(a.name)}]`;
        return [`${a.name} ${k}.workspace ${a.workspace} missing-ok`,
            ...a.mounts.map((m, j) => (m.type === "bind" ? `${a.name} ${k}.mounts[${j}].source ${m.source}` : "")).filter(Boolean)];
    }).join("\n");
}

/** The secrets step's SECRETS lines: "agent container uid name base64-value" (the whole text is a secret). */
export function agentSecretLines(agents: Pick<AgentConfig, "name" | "uid" | "secrets">[]): string {
    return agents.flatMap((a) => Object.keys(a.secrets).sort().map((n) =>
        `${a.name} ${agentNames(a.name).container} ${a.uid} ${n} ${Buffer.from(a.secrets[n], "utf8").toString("base64")}`)).join("\n");
}

/** What the agents host step wants for each agent (keys "<agent>.<fact>"). */
export function agentHostDesired(agents: Pick<AgentConfig, "name" | "uid">[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const a of agents) {
        out[`${a.name}.workspace`] = "present";
        out[`${a.name}.workspace_owner`] = String(a.uid);
        out[`${a.name}.volumes`] = "present";
        out[`${a.name}.docker_volume_others`] = "none";
        out[`${a.name}.sources`] = "ok";
    }
    return out;
}

// ----------------------------------------------------------------- Agents

export interface AgentsArgs {
    config: HostConfig;
    connection: pulumi.Input<Connection>;
    /** Facts from the host's preflight (cpus, memory_bytes). */
    facts: pulumi.Input<Record<string, string>>;
    /** The host's health check id: the daemons are converged and answer. */
    hostReady: pulumi.Input<string>;
    stack?: string;
}

/** Every agent of one host, and what they share. */
export class Agents extends pulumi.ComponentResource {
    public readonly agents: Agent[];
    public readonly ports: pulumi.Output<Record<string, number>>;
    /** The operator's SSH config text (also written to ~/.ssh/containai.d/ when operator.sshConfig). */
    public readonly sshConfig: pulumi.Output<string>;
    public readonly knownHosts: pulumi.Output<string>;
    /** Per agent, as the operator's SSH config names it: name, alias, port, pinned host key. */
    public readonly access: pulumi.Output<{ name: string; alias: string; sshPort: number; hostKey: string }[]>;
    /** What the last run or refresh saw of the containers ("<container>.running" = yes|no|missing). */
    public readonly running: pulumi.Output<Record<string, string>>;
    constructor(name: string, args: AgentsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:agent:Agents", name, {}, opts);
        const c = args.config;
        const stack = args.stack ?? pulumi.getStack();
        const conn = pulumi.output(args.connection);
        // The provider's OpenSSH client pins the same host key as our own SSH steps.
        const alias = `containai-host-${stack}`;
        const providerArgs = conn.apply((k) => ({
            k, knownHosts: writeProviderKnownHosts(`${alias}-${k.host}-${k.port}`, k.hostKey), control: sshControlDir(),
        }));
        // The docker provider opens one SSH session per concurrent API call, all on
        // one OpenSSH connection: sshd must allow as many as the engine runs at once.
        const sshd = c.agents.length === 0 ? undefined : new HostState(`${name}-sshd`, {
            connection: args.connection,
            label: "sshd sessions per connection",
            ...scriptSet("sshd-sessions"),
            env: pulumi.output(args.hostReady).apply((after) => ({
                MAX_SESSIONS: String(SSHD_MAX_SESSIONS), DROPIN: SSHD_DROPIN, AFTER: after,
            })),
            desired: { max_sessions: "ok" },
        }, { parent: this });
        const providers = new Map<string, docker.Provider>();
        for (const d of c.daemons) {
            if (!c.agents.some((a) => a.daemon === d.name)) continue;
            const hostArgs = pulumi.all([providerArgs, args.hostReady, sshd?.id]).apply(([p]) =>
                dockerHostArgs(p.k, d.socket, p.knownHosts, `${alias}-${p.k.host}-${p.k.port}`, p.control));
            // Not secret: an address, a socket path and a key file's path (the key stays in its file).
            providers.set(d.name, new (dockerSdk().Provider)(`${name}-${d.name}`, {
                host: pulumi.unsecret(hostArgs.host),
                sshOpts: pulumi.unsecret(hostArgs.sshOpts),
            }, { parent: this }));
        }
        if (c.agents.length === 0) {
            this.agents = [];
            this.ports = pulumi.output({} as Record<string, number>);
            this.sshConfig = pulumi.output("");
            this.knownHosts = pulumi.output("");
            this.access = pulumi.output([]);
            this.running = pulumi.output({} as Record<string, string>);
            this.registerOutputs({});
            return;
        }
        const ports = new SshPorts(`${name}-ssh-ports`, {
            connection: args.connection,
            probeScript: hostScript("ports-probe.sh"),
            requests: c.agents.map((a, i) => ({ name: a.name, key: `${NS}:agents[${i}].sshPort`, port: a.sshPort })),
            range: { min: SSH_PORT_MIN, max: SSH_PORT_MAX, reserved: RESERVED_SSH_PORTS },
            after: args.hostReady,
            sockets: c.daemons.filter((d) => c.agents.some((a) => a.daemon === d.name)).map((d) => d.socket),
            stack,
        }, { parent: this });
        this.ports = ports.ports;
        const facts = pulumi.output(args.facts);
        const hostCpus = facts.apply((f) => Number(f.cpus) || 1);
        const hostMem = facts.apply((f) => Number(f.memory_bytes) || 1024 * MiB);
        const ready = pulumi.output(args.hostReady);
        // Per daemon, for all its agents at once (one host step each, not one
        // per agent): the host side (workspaces, data volumes, the inner-Docker
        // volume guard), one image per image name, then the containers, then
        // the step that keeps them running, then the health check.
        const images = new Map<string, docker.RemoteImage>();
        /** Agents built from a devcontainer.json: their image, built on the daemon. */
        const dcImages = new Map<string, docker.RemoteImage>();
        const prepared = new Map<string, HostState>();
        // Host keys first: the host step needs each agent's data layout. Until 2026-12 each key was a
        // child of its Agent; the alias keeps it (a key never changes, and the container depends on it).
        /** An agent's position in containai:agents (for the keys the host step's messages name). */
        const indexOf = (agent: string): number => c.agents.findIndex((x) => x.name === agent);
        const hostKeys = new Map<string, AgentHostKey>();
        const onVolumes = new Map<string, pulumi.Output<boolean>>();
        for (const a of c.agents) {
            const was = { parent: pulumi.createUrn(`${name}-${a.name}`, "containai:agent:Agent", this) };
            const key = new AgentHostKey(`${name}-${a.name}-hostkey`, { agent: a.name }, { parent: this, aliases: [was] });
            hostKeys.set(a.name, key);
            onVolumes.set(a.name, key.id.apply((id) => innerContainerdOnVolumes(dataLayoutOf(id), a.containerdVolumes === true)));
        }
        for (const d of c.daemons) {
            const mine = c.agents.filter((a) => a.daemon === d.name);
            if (mine.length === 0) continue;
            const provider = providers.get(d.name) as docker.Provider;
            const host = new HostState(`${name}-${d.name}-prepare`, {
                connection: args.connection,
                label: `agents of ${d.name} (workspaces, data volumes)`,
                ...scriptSet("agents-prepare"),
                env: pulumi.all([ready, pulumi.all(mine.map((a) => onVolumes.get(a.name) as pulumi.Output<boolean>))]).apply(([after, cds]) => ({
                    SOCKET: d.socket, MANAGED_BY, AGENTS: agentHostLines(mine, cds, indexOf),
                    SOURCES: agentSourceLines(mine, indexOf), AFTER: after,
                    ROOTFS_GUARD: rootfsGuardPath(d),
                })),
                desired: agentHostDesired(mine),
                // After the port record: a refused port stops the run before any agent step changes the host.
            }, { parent: this, dependsOn: [ports] });
            prepared.set(d.name, host);
            // The image each agent needs on the daemon first: its own, or its devcontainer's base
            // (none for a devcontainer that builds from a Dockerfile: its FROM is pulled by the build).
            const needs = (x: AgentConfig): string | undefined => (x.devcontainer ? x.devcontainer.image : x.image);
            const loads: HostState[] = [];
            const seen = new Set<string>();
            for (const a of mine) {
                const wanted = needs(a);
                if (wanted === undefined) continue;
                const key = `${d.name} ${wanted}`;
                if (seen.has(key)) continue;
                seen.add(key);
                const id = crypto.createHash("sha256").update(key).digest("hex").slice(0, 8);
                // Loaded from its archive when configured (once per daemon and image).
                const archive = mine.find((x) => needs(x) === wanted && x.imageArchive)?.imageArchive;
                const load = archive === undefined ? undefined : new HostState(`${name}-image-${id}`, {
                    connection: args.connection,
                    label: `image ${wanted} on ${d.name}`,
                    ...scriptSet("image"),
                    // A URL with user:password@ (accepted only from secret config) keeps the env secret in state and plans.
                    env: ((env: pulumi.Output<Record<string, string>>) => (hasUserinfo(archive.url) ? pulumi.secret(env) : env))(
                        ready.apply((after): Record<string, string> => ({
                            SOCKET: d.socket, IMAGE: wanted, ARCHIVE_URL: archive.url, ARCHIVE_SHA256: archive.sha256, AFTER: after,
                        }))),
                    desired: { image: "present" },
                }, { parent: this, dependsOn: [ports] });
                if (load) loads.push(load);
                if (a.devcontainer) continue;
                // The image stays on the daemon when its agents go (a re-create, other stacks).
                // Until 2026-11 each agent had its own (`<agent>-image`, under its Agent):
                // the first agent's is this one, so an upgrade reads the same image ID
                // and re-creates no container.
                const was = { name: `${name}-${a.name}-image`, parent: pulumi.createUrn(`${name}-${a.name}`, "containai:agent:Agent", this) };
                images.set(key, new (dockerSdk().RemoteImage)(`${name}-image-${id}-ref`, { name: a.image, keepLocally: true },
                    { parent: this, provider, dependsOn: load ? [host, load] : [host], aliases: [was] }));
            }
            for (const a of mine.filter((x) => x.devcontainer !== undefined)) {
                dcImages.set(a.name, devcontainerImage(`${name}-${a.name}`, a, provider, [host, ...loads], this));
            }
        }
        this.agents = c.agents.map((a) => {
            const d = c.daemons.find((x) => x.name === a.daemon) as DaemonConfig;
            const image = (dcImages.get(a.name) ?? images.get(`${d.name} ${a.image}`)) as docker.RemoteImage;
            return new Agent(`${name}-${a.name}`, {
                agent: a, daemon: d, provider: providers.get(d.name) as docker.Provider, stack,
                sshPort: ports.ports.apply((p) => p[a.name]),
                hostCpus, hostMemoryBytes: hostMem,
                imageId: image.imageId, after: [prepared.get(d.name) as HostState, image],
                hostKey: hostKeys.get(a.name) as AgentHostKey, containerdVolumes: onVolumes.get(a.name) as pulumi.Output<boolean>,
            }, { parent: this });
        });
        const running: pulumi.Output<Record<string, string>>[] = [];
        for (const d of c.daemons) {
            const idx = c.agents.map((a, i) => (a.daemon === d.name ? i : -1)).filter((i) => i >= 0);
            if (idx.length === 0) continue;
            const mine = idx.map((i) => this.agents[i]);
            // Keeps the containers running: starts one stopped by hand (drift in a refresh).
            const run = new HostState(`${name}-${d.name}-running`, {
                connection: args.connection,
                label: `agents of ${d.name} (containers running)`,
                ...scriptSet("agents-run"),
                env: pulumi.all(mine.map((g) => g.containerId)).apply((ids) => ({
                    SOCKET: d.socket,
                    CONTAINERS: ids.map((id, j) => `${agentNames(c.agents[idx[j]].name).container} ${id}`).join("\n"),
                    ROOTFS_GUARD: rootfsGuardPath(d),
                })),
                // Running, and with the image files ID-mapped (an unclean stop can leave sysbox's
                // upper-layer shift behind: host-scripts/rootfs-guard.sh).
                desired: Object.fromEntries(idx.flatMap((i) => {
                    const n = agentNames(c.agents[i].name).container;
                    return [[`${n}.running`, "yes"], [`${n}.rootfs`, "ok"]];
                })),
            }, { parent: this, dependsOn: mine.map((g) => g.container) });
            running.push(run.observed);
            // Secrets as files in each agent's /run/secrets, after the containers run; the step's inputs
            // (the values) are secret in state and plans. A re-created container (a new ID) gets them again;
            // a restarted one from the daemon's secrets watcher (host-scripts/secrets-watch.sh).
            const withSecrets = idx.filter((i) => Object.keys(c.agents[i].secrets).length > 0);
            if (withSecrets.length > 0) {
                new HostState(`${name}-${d.name}-secrets`, {
                    connection: args.connection,
                    label: `agents of ${d.name} (secrets in /run/secrets)`,
                    ...scriptSet("agents-secrets"),
                    env: pulumi.secret(pulumi.all(withSecrets.map((i) => this.agents[i].containerId)).apply((ids) => ({
                        SOCKET: d.socket,
                        CONTAINER_IDS: ids.join(" "),
                        SECRETS: agentSecretLines(withSecrets.map((i) => c.agents[i])),
                        STORE: secretsStorePath(d),
                        WATCH: hostFile("secrets-watch.sh"),
                        WATCH_PATH: secretsWatchPath(d),
                        WATCH_UNIT_NAME: secretsWatchUnitName(d),
                        WATCH_UNIT_TEXT: renderSecretsWatchUnit(d),
                    }))),
                    desired: { ...Object.fromEntries(withSecrets.map((i) => [`${c.agents[i].name}.secrets`, "ok"])), watcher: "ok" },
                }, { parent: this, dependsOn: [run], additionalSecretOutputs: ["env"] });
            }
            // Health after every container: running, sshd answers with the pinned key, inner docker when present.
            const lines = pulumi.all(mine.map((g) => pulumi.all([g.sshPort, g.hostPublicKey]))).apply((rows) => rows.map(([port, key], j) => {
                const a = c.agents[idx[j]];
                const fp = fingerprint(Buffer.from(key.split(/\s+/)[1], "base64"));
                return `${agentNames(a.name).container} ${port} ${a.sshBind === "0.0.0.0" ? "127.0.0.1" : a.sshBind} ${fp}`;
            }).join("\n"));
            new HealthCheck(`${name}-${d.name}-health`, {
                connection: args.connection,
                probeScript: hostScript("agents-health-probe.sh"),
                env: lines.apply((AGENTS) => ({ SOCKET: d.socket, AGENTS, ROOTFS_GUARD: rootfsGuardPath(d) })),
                after: pulumi.all([run.observed, pulumi.all(mine.map((g) => pulumi.all([g.containerId, g.container.image, g.container.memory, g.container.cpuQuota])))])
                    .apply((all) => crypto.createHash("sha256").update(JSON.stringify(all)).digest("hex")),
            }, { parent: this });
        }
        this.running = pulumi.all(running).apply((rs) => Object.assign({}, ...rs) as Record<string, string>);
        // The operator's SSH config: a stack output always, files only when asked for.
        const op = c.operator;
        const identityFile = op.identityFile ?? c.ssh.privateKeyFile;
        const knownHostsFile = `${op.sshDir.replace(/\/+$/, "")}/containai.d/${stack}.known_hosts`;
        const rows = pulumi.all(this.agents.map((g) => pulumi.all([g.sshPort, g.hostPublicKey])));
        const sshArgs = pulumi.all([conn, rows]).apply(([k, rs]) => ({
            stack,
            knownHostsFile,
            host: { alias, hostName: k.host, port: k.port, user: k.user, hostKey: k.hostKey, identityFile: c.ssh.privateKeyFile },
            agents: rs.map(([port, key], i) => ({
                alias: `${stack}-${c.agents[i].name}`, agent: c.agents[i].name, bind: c.agents[i].sshBind, port,
                user: c.agents[i].user, hostKey: key, identityFile,
                ...(c.agents[i].devcontainer?.forwardPorts.length ? { localForwards: c.agents[i].devcontainer?.forwardPorts } : {}),
            })),
        }));
        this.access = pulumi.unsecret(sshArgs.apply((a) => a.agents.map((g) => ({ name: g.agent, alias: g.alias, sshPort: g.port, hostKey: g.hostKey }))));
        // Unsecret: the text holds public keys, addresses and paths only.
        this.sshConfig = pulumi.unsecret(sshArgs.apply(renderOperatorSshConfig));
        this.knownHosts = pulumi.unsecret(sshArgs.apply(renderOperatorKnownHosts));
        if (op.sshConfig && c.agents.length > 0) {
            new OperatorSshConfigFiles(`${name}-operator-ssh`, {
                sshDir: op.sshDir, stack, config: this.sshConfig, knownHosts: this.knownHosts,
                include: sshIncludeLine(op.sshDir),
            }, { parent: this });
        }
        this.registerOutputs({ ports: this.ports, sshConfig: this.sshConfig, access: this.access });
    }
}
