// After a killed `pulumi up` (scripts/recover.sh, step 3): the creates the
// killed run left pending in state. An agent container among them may exist
// on the host all the same (the docker plugin went on after the CLI died):
// it is adopted by `pulumi refresh --import-pending-creates <urn> <id>`, so
// the next `up` neither fails with "Conflict. The container name ... is
// already in use" nor loses its volumes; the other pending creates are
// cleared. The container is found on the host exactly as the docker
// provider reaches it (its `host` and `sshOpts` from state), by the name
// the pending create asked for, and only when it carries this stack's labels.
//
//   node dist/fleet/pending.js --stack S      (run in the project directory)
import { execFileSync, spawnSync } from "child_process";

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
    const imports: string[] = [];
    for (const p of pending) {
        if (p.type !== CONTAINER_TYPE || p.name === undefined) continue;
        const t = dockerTarget(exported, p.provider);
        if (!t) continue;
        const fmt = '{{.Id}} {{index .Config.Labels "containai.stack"}} {{index .Config.Labels "containai.managed-by"}}';
        const r = spawnSync("ssh", [...t.sshOpts, "-p", String(t.port), `${t.user}@${t.host}`,
            `docker -H unix://${t.socket} inspect --type container -f '${fmt}' ${p.name}`], { encoding: "utf8", timeout: 60_000 });
        const [id, owner, by] = (r.stdout ?? "").trim().split(/\s+/);
        if (r.status !== 0 || !id) {
            process.stdout.write(`pending create of ${p.name}: no such container on ${t.host} (the killed run never made it); cleared\n`);
        } else if (owner !== stack || by !== "containai-infra") {
            process.stdout.write(`pending create of ${p.name}: a container of that name exists but is not this stack's (stack "${owner ?? ""}"); ` +
                "left alone; rename or remove it before `pulumi up`\n");
        } else {
            process.stdout.write(`adopting container ${p.name} (${id.slice(0, 12)}) that the killed run created: ` +
                "the next `up` keeps it, or replaces it keeping its volumes and workspace\n");
            imports.push(p.urn, id);
        }
    }
    if (pending.length > 0) process.stdout.write(`${pending.length} pending create(s) in state\n`);
    const refresh = (extra: string[]): number => spawnSync("pulumi", ["refresh", "--yes", "--skip-preview", "--stack", stack, "--non-interactive", ...extra],
        { stdio: "inherit" }).status ?? 1;
    if (imports.length > 0) {
        // A list of URN, ID, URN, ID ...: the flag once per element.
        const code = refresh(imports.flatMap((x) => ["--import-pending-creates", x]));
        if (code !== 0) return code;
    }
    // Whatever is still pending (nothing to adopt) is dropped, and the rest re-read.
    return refresh(["--clear-pending-creates"]);
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
