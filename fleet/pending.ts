// After a killed `pulumi up` (scripts/recover.sh, step 3): the creates the
// killed run left pending in state. An agent container among them may exist
// on the host all the same (the daemon created it while the CLI died): the
// next `up` would fail with "Conflict. The container name ... is already in
// use". Such a container is removed, keeping its volumes and workspace (a
// container seconds old holds nothing else), and the pending creates are
// cleared, so the next `up` creates the agent afresh. The container is found
// on the host exactly as the docker provider reaches it (its `host` and
// `sshOpts` from state), by the name the pending create asked for, and only
// when it carries this stack's labels and no resource in state has its ID.
// (Adopting it instead, with `pulumi refresh --import-pending-creates`, was
// tried: the 3.248 engine drops the import and the container stays unknown.)
//
//   node dist/fleet/pending.js --stack S      (run in the project directory)
import { execFileSync, spawnSync } from "child_process";
import { MANAGED_BY } from "../components/config/agents";

export interface PendingCreate {
    urn: string;
    type: string;
    /** The container name the create asked for (docker containers only). */
    name?: string;
    /** "<provider urn>::<provider id>". */
    provider?: string;
}

interface StateResource {
    urn: string;
    type: string;
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    provider?: string;
}

interface Exported {
    deployment?: { resources?: StateResource[]; pending_operations?: { resource: StateResource; type: string }[] };
}

export const CONTAINER_TYPE = "docker:index/container:Container";

/** The pending creates of an exported deployment (`pulumi stack export`). */
export function pendingCreates(exported: Exported): PendingCreate[] {
    return (exported.deployment?.pending_operations ?? []).filter((op) => op.type === "creating").map((op) => ({
        urn: op.resource.urn,
        type: op.resource.type,
        name: typeof op.resource.inputs?.name === "string" ? op.resource.inputs.name : undefined,
        provider: op.resource.provider,
    }));
}

/** How the docker provider named by `ref` reaches its daemon: user, host, port, socket and OpenSSH options. */
export function dockerTarget(exported: Exported, ref: string | undefined):
    { user: string; host: string; port: number; socket: string; sshOpts: string[] } | undefined {
    if (ref === undefined) return undefined;
    const urn = ref.slice(0, ref.lastIndexOf("::"));
    const p = (exported.deployment?.resources ?? []).find((r) => r.urn === urn);
    const host = p?.inputs?.host ?? p?.outputs?.host;
    if (typeof host !== "string") return undefined;
    const m = /^ssh:\/\/([^@/]+)@([^:/]+)(?::(\d+))?(\/.*)$/.exec(host);
    if (!m) return undefined;
    const raw = p?.inputs?.sshOpts ?? p?.outputs?.sshOpts ?? [];
    // Provider inputs keep lists as JSON text.
    const opts = typeof raw === "string" ? JSON.parse(raw) as unknown : raw;
    return { user: m[1], host: m[2], port: Number(m[3] ?? 22), socket: m[4], sshOpts: Array.isArray(opts) ? opts.map(String) : [] };
}

function main(argv: string[]): number {
    const i = argv.indexOf("--stack");
    const stack = i >= 0 ? argv[i + 1] : undefined;
    if (!stack) {
        process.stderr.write("pending: --stack S is required\n");
        return 2;
    }
    const pulumi = (...args: string[]): string => execFileSync("pulumi", [...args, "--stack", stack, "--non-interactive"],
        { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "inherit"] });
    const exported = JSON.parse(pulumi("stack", "export")) as Exported;
    const pending = pendingCreates(exported);
    const known = new Set((exported.deployment?.resources ?? []).map((r) => r.id).filter((id) => id !== undefined));
    for (const p of pending) {
        if (p.type !== CONTAINER_TYPE || p.name === undefined) continue;
        const t = dockerTarget(exported, p.provider);
        if (!t) continue;
        const onHost = (cmd: string): { code: number; out: string } => {
            const r = spawnSync("ssh", [...t.sshOpts, "-p", String(t.port), `${t.user}@${t.host}`, cmd], { encoding: "utf8", timeout: 60_000 });
            return { code: r.status ?? 1, out: `${r.stdout ?? ""}`.trim() };
        };
        const fmt = '{{.Id}} {{index .Config.Labels "containai.stack"}} {{index .Config.Labels "containai.managed-by"}}';
        const r = onHost(`docker -H unix://${t.socket} inspect --type container -f '${fmt}' ${p.name}`);
        const [id, owner, by] = r.out.split(/\s+/);
        if (r.code !== 0 || !id) {
            process.stdout.write(`pending create of ${p.name}: no such container on ${t.host} (the killed run never made it)\n`);
        } else if (owner !== stack || by !== MANAGED_BY || known.has(id)) {
            process.stdout.write(`pending create of ${p.name}: a container of that name exists but is not this stack's orphan ` +
                `(stack "${owner ?? ""}"${known.has(id) ? ", in state" : ""}); left alone: rename or remove it before \`pulumi up\`\n`);
        } else {
            const rm = onHost(`docker -H unix://${t.socket} rm -f ${id}`);
            if (rm.code !== 0) {
                process.stderr.write(`pending: removing container ${p.name} (${id.slice(0, 12)}) failed\n`);
                return 1;
            }
            process.stdout.write(`removed container ${p.name} (${id.slice(0, 12)}) that the killed run created and state never recorded; ` +
                "its volumes and workspace are kept, and the next `up` creates it again with them\n");
        }
    }
    if (pending.length > 0) process.stdout.write(`clearing ${pending.length} pending create(s) from state\n`);
    // The pending creates are dropped, and the stack re-read.
    return spawnSync("pulumi", ["refresh", "--yes", "--skip-preview", "--clear-pending-creates", "--stack", stack, "--non-interactive"],
        { stdio: "inherit" }).status ?? 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
