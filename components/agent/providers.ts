// Dynamic providers of the agents: SSH port allocation (probes the host once,
// records the result), generated host keys (secrets in state), and the
// operator's SSH config files (local files, read back for drift).
// Serialized into state by Pulumi: build clients inside each method.
import * as pulumi from "../sdk";
import { DynamicResource, namedProvider } from "../dynamic";
import { Connection, operatorError, parseKv, runOk, withEnv } from "../host/remote";
import { MANAGED_BY } from "../config/agents";
import { allocateFromRecord, allocatePorts, PortRange, PortRequest } from "./ports";
import { Inputs, UNKNOWN } from "../host/providers";
import { includeState, placeInclude } from "../render/ssh";
import { expandHome } from "../config/checks";
import { generateHostKey, hostKeyProblem } from "./hostkeys";

// ------------------------------------------------------------ SSH ports

export interface SshPortsInputs {
    connection: Connection;
    probeScript: string;
    requests: PortRequest[];
    range: PortRange;
    /** Orders the probe after the host is converged (not compared: it is an ordering token). */
    after: string;
    /**
     * Where this stack's agent containers are (daemon sockets, stack name):
     * their port labels stand in for the record once, for state written
     * before the record was a checked input. Not compared.
     */
    sockets: string[];
    stack: string;
}

/**
 * The record is an input too, set by `check`: a preview then knows every
 * agent's port (the engine shows a pending update's inputs as its outputs),
 * so adding an agent or changing a host script never makes the containers'
 * ports unknown (which would preview as a replacement of every agent).
 */
export interface SshPortsOutputs extends SshPortsInputs {
    ports: Record<string, number>;
}

async function listening(i: SshPortsInputs): Promise<number[]> {
    const r = await runOk(i.connection, i.probeScript, "SSH port probe", { noSudo: true });
    return (parseKv(r.stdout).listening ?? "").split(/\s+/).filter(Boolean).map(Number);
}

/** The ports for `i`, from the record alone when it can, else with the host's listening ports. */
async function allocate(i: SshPortsInputs, previous: Record<string, number>): Promise<Record<string, number>> {
    const known = allocateFromRecord(i.requests, previous, i.range);
    if (known) return known;
    try {
        return allocatePorts(i.requests, previous, await listening(i), i.range);
    } catch (e) {
        throw operatorError(`${(e as Error).message} (host ${i.connection.host})`);
    }
}

/**
 * The ports this stack's agents were created with, from their containers'
 * labels; undefined unless every agent of `olds` has one (then the update,
 * which has the last record, decides, as before).
 */
async function labelledPorts(olds: SshPortsInputs, news: SshPortsInputs): Promise<Record<string, number> | undefined> {
    try {
        const r = await runOk(news.connection, withEnv({ RECORD: "1", SOCKETS: (news.sockets ?? []).join(" "), STACK: news.stack, MANAGED_BY },
            news.probeScript), "SSH port record probe");
        const seen = parseKv(r.stdout);
        const ports = Object.fromEntries(Object.keys(seen).filter((k) => k.startsWith("agent."))
            .map((k) => [k.slice("agent.".length), Number(seen[k])]));
        return olds.requests.every((q) => Number.isInteger(ports[q.name])) ? ports : undefined;
    } catch {
        return undefined;
    }
}

const portsOf = (o: Partial<SshPortsOutputs> | undefined): string => JSON.stringify(o?.ports ?? null);

/**
 * The record of which agent has which SSH port. Ports are chosen when agents
 * are added, never moved. `check` (preview and up) works them out from the
 * last record, probing the host only for a port not given before; `read`
 * returns the record as is (it is state, not a host fact), so refresh keeps
 * it. The probe script is a tool, not part of the record: a new one is used
 * from the next allocation on and is no change by itself.
 */
export const sshPortsProvider: pulumi.dynamic.ResourceProvider = namedProvider("ssh-ports", {
    async check(olds: Partial<SshPortsOutputs>, news: SshPortsInputs): Promise<pulumi.dynamic.CheckResult> {
        // An unknown value (a preview of a pending change): left to create/update.
        if (JSON.stringify([news.requests, news.range, news.connection, news.sockets, news.stack]).includes(UNKNOWN)) {
            return { inputs: news };
        }
        // Another host (a replacement): allocated afresh there, as on create.
        const sameHost = olds?.connection?.host === news.connection.host;
        let previous = sameHost ? olds?.ports : {};
        if (sameHost && olds?.requests !== undefined && previous === undefined) {
            // State written before the record was an input: the containers'
            // labels say what it holds. Without them, update (which has the
            // last outputs) decides, and a preview shows the ports as unknown.
            previous = await labelledPorts(olds as SshPortsInputs, news);
            if (previous === undefined) return { inputs: news };
        }
        try {
            return { inputs: { ...news, ports: await allocate(news, previous ?? {}) } };
        } catch (e) {
            return { failures: [{ property: "ports", reason: (e as Error).message }] };
        }
    },
    async diff(_id: string, olds: SshPortsOutputs, news: Partial<SshPortsOutputs>): Promise<pulumi.dynamic.DiffResult> {
        const changes = JSON.stringify(olds.requests) !== JSON.stringify(news.requests)
            || JSON.stringify(olds.range) !== JSON.stringify(news.range)
            || (news.ports !== undefined && portsOf(olds) !== portsOf(news));
        return { changes, replaces: olds.connection?.host !== news.connection?.host ? ["connection"] : [] };
    },
    async create(inputs: Partial<SshPortsOutputs> & SshPortsInputs): Promise<pulumi.dynamic.CreateResult> {
        const ports = inputs.ports ?? await allocate(inputs, {});
        return { id: `ssh-ports@${inputs.connection.host}`, outs: { ...inputs, ports } };
    },
    async update(_id: string, olds: SshPortsOutputs, news: Partial<SshPortsOutputs> & SshPortsInputs): Promise<pulumi.dynamic.UpdateResult> {
        const ports = news.ports ?? await allocate(news, olds.ports ?? {});
        return { outs: { ...news, ports } };
    },
    /**
     * Returns the record as inputs too. A read runs the provider code the
     * resource was last created or updated with, so this helps older state
     * only once an update has stored this code: the fallback for when
     * `check` could not take the record from the containers' labels.
     */
    async read(id: string, props: SshPortsOutputs): Promise<pulumi.dynamic.ReadResult> {
        return { id, props, inputs: props };
    },
});

export class SshPorts extends DynamicResource {
    public readonly ports!: pulumi.Output<Record<string, number>>;
    constructor(name: string, args: Inputs<SshPortsInputs>, opts?: pulumi.CustomResourceOptions) {
        super(sshPortsProvider, name, { ...args, ports: undefined },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] }));
    }
}

// ------------------------------------------------------------- host keys

export interface HostKeyInputs {
    /** What the key is for (the agent), part of the record only. */
    agent: string;
}

export interface HostKeyOutputs extends HostKeyInputs {
    /** OpenSSH private key (a secret in state). */
    privateKey: string;
    /** "ssh-ed25519 <base64>". */
    publicKey: string;
}

/**
 * The data layout an agent was created with, kept for its life: the ID of its
 * host key says it ("hostkey2-<agent>" since 2026-12, layout 2: inner
 * containerd's data on volumes; "hostkey-<agent>" before, layout 1). An ID,
 * not an output: a preview knows an existing resource's ID, while an output
 * older state lacks is unknown there (and an unknown mount list would show
 * every older agent as replaced). A layout-1 agent keeps its container until
 * it opts in, so an upgrade re-creates no agent.
 */
export const AGENT_DATA_LAYOUT = 2;
export function hostKeyId(agent: string): string {
    return `hostkey2-${agent}`;
}
export function dataLayoutOf(hostKeyId: string): number {
    return hostKeyId.startsWith("hostkey2-") ? 2 : 1;
}

/**
 * An ed25519 SSH host key generated by the program, so the operator's
 * known_hosts entry exists before the agent's first boot and survives every
 * container replacement. Never changes once created, except a key that
 * OpenSSH cannot load (hostKeyProblem): such an agent's sshd never starts, so
 * the diff replaces the key (and with it the container and the pinned entries).
 */
export const hostKeyProvider: pulumi.dynamic.ResourceProvider = namedProvider("agent-host-key", {
    async diff(_id: string, olds: HostKeyOutputs): Promise<pulumi.dynamic.DiffResult> {
        if (olds.privateKey !== undefined && hostKeyProblem(olds.privateKey, olds.publicKey ?? "") !== undefined) {
            return { changes: true, replaces: ["privateKey"] };
        }
        return { changes: false };
    },
    async create(inputs: HostKeyInputs): Promise<pulumi.dynamic.CreateResult> {
        const { privateKey, publicKey } = generateHostKey(`containai-agent-${inputs.agent}`);
        // hostKeyId's form, written here: the provider's code is serialized into state on its own.
        return { id: `hostkey2-${inputs.agent}`, outs: { ...inputs, privateKey, publicKey } };
    },
    async read(id: string, props: HostKeyOutputs): Promise<pulumi.dynamic.ReadResult> {
        return { id, props };
    },
});

export class AgentHostKey extends DynamicResource {
    public readonly privateKey!: pulumi.Output<string>;
    public readonly publicKey!: pulumi.Output<string>;
    constructor(name: string, args: Inputs<HostKeyInputs>, opts?: pulumi.CustomResourceOptions) {
        super(hostKeyProvider, name, { ...args, privateKey: undefined, publicKey: undefined },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["privateKey"] }));
    }
}

// ------------------------------------------------- operator SSH config

export interface OperatorSshInputs {
    /** ~/.ssh by default ("~" = home of the user running pulumi, expanded where it runs). */
    sshDir: string;
    stack: string;
    config: string;
    knownHosts: string;
    include: string;
}

export interface OperatorSshOutputs extends OperatorSshInputs {
    observed: Record<string, string>;
}

/** The files of one stack under <sshDir>/containai.d/, and the Include state of <sshDir>/config. */
function operatorFiles(i: OperatorSshInputs): { dir: string; conf: string; known: string; main: string } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require("path") as typeof import("path");
    const base = expandHome(i.sshDir);
    const dir = path.join(base, "containai.d");
    return { dir, conf: path.join(dir, `${i.stack}.conf`), known: path.join(dir, `${i.stack}.known_hosts`), main: path.join(base, "config") };
}

function sha(text: string | undefined): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require("crypto") as typeof import("crypto");
    return text === undefined ? "absent" : createHash("sha256").update(text).digest("hex");
}

function readText(p: string): string | undefined {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    try {
        return fs.readFileSync(p, "utf8");
    } catch {
        return undefined;
    }
}

/** Write atomically (temp file in the same directory, fsync, rename). */
function writeAtomic(p: string, text: string, mode: number): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    const tmp = `${p}.containai-tmp-${process.pid}`;
    const fd = fs.openSync(tmp, "w", mode);
    try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, p);
}

function observeOperator(i: OperatorSshInputs): Record<string, string> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    const f = operatorFiles(i);
    const mode = (p: string): string => {
        try {
            return (fs.statSync(p).mode & 0o777).toString(8);
        } catch {
            return "absent";
        }
    };
    return {
        config_sha256: sha(readText(f.conf)),
        known_hosts_sha256: sha(readText(f.known)),
        dir_mode: mode(f.dir),
        config_mode: mode(f.conf),
        known_hosts_mode: mode(f.known),
        include: includeState(readText(f.main) ?? "", i.include),
    };
}

function desiredOperator(i: OperatorSshInputs): Record<string, string> {
    return {
        config_sha256: sha(i.config), known_hosts_sha256: sha(i.knownHosts),
        dir_mode: "700", config_mode: "600", known_hosts_mode: "600", include: "ok",
    };
}

function convergeOperator(i: OperatorSshInputs): OperatorSshOutputs {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    const f = operatorFiles(i);
    fs.mkdirSync(f.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(f.dir, 0o700);
    writeAtomic(f.known, i.knownHosts, 0o600);
    writeAtomic(f.conf, i.config, 0o600);
    const main = readText(f.main);
    if (main === undefined || includeState(main, i.include) !== "ok") {
        let mode = 0o600;
        try {
            mode = fs.statSync(f.main).mode & 0o777;
        } catch {
            // new file: 0600
        }
        writeAtomic(f.main, placeInclude(main ?? "", i.include), mode);
    }
    const observed = observeOperator(i);
    const want = desiredOperator(i);
    const off = Object.keys(want).filter((k) => observed[k] !== want[k]);
    if (off.length > 0) throw operatorError(`SSH config under ${f.dir} did not converge: ${off.join(", ")}`);
    return { ...i, observed };
}

/** Local files where `pulumi up` runs; hand edits are drift, destroy removes them. */
const operatorProvider: pulumi.dynamic.ResourceProvider = namedProvider("operator-ssh-config", {
    async diff(_id: string, olds: OperatorSshOutputs, news: OperatorSshInputs): Promise<pulumi.dynamic.DiffResult> {
        const changed: string[] = [];
        for (const k of ["sshDir", "stack", "config", "knownHosts", "include"] as const) {
            if (olds[k] !== news[k]) changed.push(k);
        }
        const want = desiredOperator(news);
        for (const k of Object.keys(want)) if ((olds.observed ?? {})[k] !== want[k]) changed.push(`observed.${k}`);
        return { changes: changed.length > 0, replaces: olds.sshDir !== news.sshDir || olds.stack !== news.stack ? ["sshDir"] : [],
            deleteBeforeReplace: true };
    },
    async create(inputs: OperatorSshInputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: operatorFiles(inputs).conf, outs: convergeOperator(inputs) };
    },
    async update(_id: string, _olds: OperatorSshOutputs, news: OperatorSshInputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: convergeOperator(news) };
    },
    async read(id: string, props: OperatorSshOutputs): Promise<pulumi.dynamic.ReadResult> {
        return { id, props: { ...props, observed: observeOperator(props) } };
    },
    async delete(_id: string, props: OperatorSshOutputs): Promise<void> {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fs = require("fs") as typeof import("fs");
        const f = operatorFiles(props);
        // Our two files only; the Include line stays (it matches nothing once the directory is empty).
        fs.rmSync(f.conf, { force: true });
        fs.rmSync(f.known, { force: true });
    },
});

export class OperatorSshConfigFiles extends DynamicResource {
    public readonly observed!: pulumi.Output<Record<string, string>>;
    constructor(name: string, args: Inputs<OperatorSshInputs>, opts?: pulumi.CustomResourceOptions) {
        super(operatorProvider, name, { ...args, observed: undefined }, opts);
    }
}
