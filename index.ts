// containai-infra: one program, two kinds of stack.
// - A host stack (containai:ssh set) converges one machine into a host for
//   AI-agent system containers, and runs its agents.
// - A release stack (containai:release and no containai:ssh) is the sysbox
//   build pipeline; hosts consume it with containai:sysbox.source release.
// Configuration reference: docs/configuration.md.
//
// The agents (@pulumi/docker) and the release (@pulumi/github) modules are
// imported where they are used (for a host stack, once the host's first
// resources are registered): the provider SDKs load the Pulumi SDK's root,
// which then runs while the engine starts the dynamic-provider process, not
// before it (~0.3 s of CPU without the lazy closure serializer below, ~0.03 s
// with it).
//
// First: the SDK's closure serializer loads when it is called, not when the
// SDK's runtime index loads (components/lazySerializer.ts).
import "./components/preload";
import * as pulumi from "./components/sdk";
import { ContainAIHost, sysboxFromRelease } from "./components/host";
import { loadConfig, loadReleaseConfig, stackKind, SysboxConfig } from "./components/config";
import { recordRun } from "./components/runs";

// Stack traces. The SDK captures one for every resource it registers and for
// many of its promises (`new Error().stack`), and the language host installs
// source-map-support, which maps every frame of each through the source maps:
// with ten agents that was about a quarter of this program's CPU time (CPU
// profile, docs/architecture.md). Operators get our errors as one clean
// message without a stack, so V8's own formatting is used (frames name the
// compiled dist/*.js). CONTAINAI_SOURCE_MAPS=1 keeps the mapping, for
// debugging the program itself.
if (process.env.CONTAINAI_SOURCE_MAPS !== "1") delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;

function warn(ws: { key: string; message: string }[]): void {
    for (const w of ws) void pulumi.log.warn(`${w.key}: ${w.message}`);
}

type Outputs = Record<string, pulumi.Output<unknown>>;

/**
 * Resolves once the engine has answered `r`'s registration (or refused it:
 * that failure is reported by the SDK, the run goes on to fail) and the next
 * turn of the event loop has run: by then the registrations queued behind it
 * (the host's first dynamic resource) are on their way, so a slow module load
 * that follows runs while the engine starts the dynamic-provider process,
 * not before it.
 */
function registered(r: pulumi.Resource): Promise<void> {
    const urn = (r.urn as unknown as { promise(): Promise<string> }).promise();
    return urn.then(() => undefined, () => undefined).then(() => new Promise<void>((resolve) => setImmediate(resolve)));
}

// Each stack kind validates its config synchronously (a config error fails
// the program before anything is registered), then finishes asynchronously.

function releaseStack(): Promise<Outputs> {
    const { release, token, warnings } = loadReleaseConfig();
    warn(warnings);
    return import("./components/release").then(({ SysboxRelease }) => {
        const r = new SysboxRelease("release", { release, token });
        return { sysbox: r.sysbox, assets: r.assets, status: r.status, tag: pulumi.output(r.tag) };
    });
}

function hostStack(): Promise<Outputs> {
    // Validates the whole stack config and throws one error listing every
    // problem before a single resource is registered.
    const { config, connection, warnings } = loadConfig();
    warn(warnings);
    let sysbox: pulumi.Input<SysboxConfig> = config.sysbox;
    if (config.sysbox.source === "release" && config.sysbox.release) {
        // Any backend: the release stack is read where this stack's state lives.
        const ref = new pulumi.StackReference("sysbox-release", { name: config.sysbox.release.stack });
        sysbox = ref.getOutput("sysbox").apply((o) => sysboxFromRelease(config.sysbox, o));
    }
    const host = new ContainAIHost("host", { config, connection, sysbox });
    // Agents start once the host's health check passed (daemons converged and answering).
    return registered(host.preflight).then(() => Promise.all([import("./components/agent"), import("./components/backup")]))
        .then(([{ Agents }, { AgentBackups }]) => {
        const agents = new Agents("agents", {
            config, connection, facts: host.preflight.facts, hostReady: host.health.id,
        });
        // Backups once the agents' containers and volumes exist.
        const backups = config.backup && config.agents.length > 0 ? new AgentBackups("backup", {
            connection, backup: config.backup, agents: config.agents, daemons: config.daemons, after: [agents],
        }) : undefined;
        return {
            /** Per agent: its last backup ("ok", or failed/late and why). */
            ...(backups ? { backups: backups.status } : {}),
            sysboxVersion: host.sysbox.version,
            daemons: pulumi.output(host.daemons.map((d) => ({ unit: d.unit, socket: d.socket }))),
            contexts: pulumi.output(host.contexts.map((c) => c.endpoint)),
            /** Per agent: SSH alias, port and pinned host key. */
            agentAccess: agents.access,
            /** The operator's SSH config for the agents (`ssh -F` it, or set containai:operator.sshConfig to install it). */
            sshConfig: agents.sshConfig,
            sshKnownHosts: agents.knownHosts,
        };
    });
}

// For `npm run recover` after a killed CLI: which engine address is this stack's run.
recordRun(pulumi.getStack(), pulumi.getProject());
const outputs = stackKind() === "release" ? releaseStack() : hostStack();
export = outputs;
