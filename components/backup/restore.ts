// npm run restore -- --stack S --agent A [--snapshot ID] [--path P] [--cwd DIR]
//
// Restores an agent's data from its backups (containai:backup) on the host
// of stack S: the stack's config is read with the Automation API (any
// backend), validated as `pulumi up` would, and the host's backup tool runs
// over the stack's own SSH connection (pinned host key): it checks the
// repository and the snapshot first, stops the agent, restores, starts it.
// Onto another host (the old one is gone): point --stack at the stack of the
// new host, with the same containai:backup; snapshots are found by agent name.
// Exit: 0 restored; 1 the restore failed; 2 bad arguments or config.
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { checkConfig, formatProblems, NS, RawConfig } from "../config/schema";
import { realFiles, resolveConnection } from "../config/load";
import { run } from "../host/remote";
import { BACKUP_TOOL } from "../render/backup";

interface Options { stack: string; agent: string; snapshot: string; path?: string; cwd: string }

function usage(msg: string): never {
    process.stderr.write(`restore: ${msg}\nusage: npm run restore -- --stack S --agent A [--snapshot ID|latest] [--path HOST_PATH] [--cwd DIR]\n`);
    process.exit(2);
}

export function parseArgs(argv: string[], cwd: string): Options {
    const o: Partial<Options> = { snapshot: "latest", cwd };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) usage(`${a} needs a value`);
            return v;
        };
        if (a === "--stack") o.stack = value();
        else if (a === "--agent") o.agent = value();
        else if (a === "--snapshot") o.snapshot = value();
        else if (a === "--path") o.path = value();
        else if (a === "--cwd") o.cwd = value();
        else usage(`unknown argument ${a}`);
    }
    if (!o.stack) usage("--stack is required");
    if (!o.agent) usage("--agent is required");
    if (!/^([0-9a-f]{8,64}|latest)$/.test(o.snapshot as string)) usage(`--snapshot ${o.snapshot}: a snapshot ID (hex) or latest`);
    if (o.path !== undefined && (!o.path.startsWith("/") || /[\s'"\\`$]/.test(o.path))) usage(`--path ${o.path}: an absolute host path without blanks or quotes`);
    return o as Options;
}

/** A word for bash, single-quoted. */
const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

async function main(): Promise<void> {
    const o = parseArgs(process.argv.slice(2), process.cwd());
    const ws = await LocalWorkspace.create({ workDir: o.cwd });
    const all = await ws.getAllConfig(o.stack).catch((e: Error) => usage(`cannot read the config of stack ${o.stack}: ${e.message.split("\n")[0]}`));
    const raw: RawConfig = {};
    const secret = new Set<string>();
    for (const [k, v] of Object.entries(all)) {
        if (!k.startsWith(`${NS}:`)) continue;
        let value: unknown = v.value;
        try { value = JSON.parse(v.value); } catch { /* a plain string */ }
        (raw as Record<string, unknown>)[k.slice(NS.length + 1)] = value;
        if (v.secret) secret.add(k);
    }
    const { config, problems } = checkConfig(raw, secret);
    const resolved = problems.length === 0 ? resolveConnection(config.ssh, realFiles, process.env) : { problems: [], connection: undefined };
    const every = [...problems, ...resolved.problems];
    if (every.length > 0 || !resolved.connection) {
        process.stderr.write(`restore: stack ${o.stack}: ${formatProblems(every).replace("nothing was changed on the host", "nothing was restored")}\n`);
        process.exit(2);
    }
    if (!config.backup) usage(`stack ${o.stack} has no ${NS}:backup: there is no repository to restore from`);
    if (!config.agents.some((a) => a.name === o.agent)) {
        usage(`stack ${o.stack} has no agent ${o.agent} in ${NS}:agents (${config.agents.map((a) => a.name).join(", ") || "none"})`);
    }
    const started = Date.now();
    process.stderr.write(`restore: agent ${o.agent} of stack ${o.stack} from snapshot ${o.snapshot}${o.path ? ` (${o.path} only)` : ""} on ${config.ssh.host}\n`);
    const ticker = setInterval(() => process.stderr.write(`restore: ... ${Math.round((Date.now() - started) / 1000)} s\n`), 10_000);
    const cmd = [BACKUP_TOOL, "restore", o.agent, o.snapshot, ...(o.path ? [o.path] : [])].map(q).join(" ");
    const r = await run(resolved.connection, `set -euo pipefail\n${cmd}\n`, { changesHost: true, attempts: 1 }).finally(() => clearInterval(ticker));
    process.stderr.write(r.stderr.split("\n").filter(Boolean).map((l) => `  ${l}\n`).join(""));
    if (r.code !== 0) {
        process.stderr.write(`restore: FAILED (exit ${r.code}) after ${Math.round((Date.now() - started) / 1000)} s\n`);
        process.exit(1);
    }
    process.stderr.write(`restore: done in ${Math.round((Date.now() - started) / 1000)} s; \`pulumi preview --refresh\` should show no changes\n`);
    process.exit(0);
}

if (require.main === module) {
    main().catch((e: Error) => {
        process.stderr.write(`restore: ${e.message}\n`);
        process.exit(1);
    });
}
