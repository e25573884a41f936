// containai-infra: converge one machine (this stack) into a host for AI-agent
// system containers. Configuration reference: docs/configuration.md.
import * as pulumi from "@pulumi/pulumi";
import { Agents } from "./components/agent";
import { ContainAIHost } from "./components/host";
import { loadConfig } from "./components/config";

// Validates the whole stack config and throws one error listing every problem
// before a single resource is registered.
const { config, connection, warnings } = loadConfig();
for (const w of warnings) void pulumi.log.warn(`${w.key}: ${w.message}`);

const host = new ContainAIHost("host", { config, connection });
// Agents start once the host's health check passed (daemons converged and answering).
const agents = new Agents("agents", {
    config, connection, facts: host.preflight.facts, hostReady: host.health.id,
});

export const sysboxVersion = host.sysbox.version;
export const daemons = host.daemons.map((d) => ({ unit: d.unit, socket: d.socket }));
export const contexts = host.contexts.map((c) => c.endpoint);
/** Per agent: SSH alias, port and pinned host key. */
export const agentAccess = pulumi.all(agents.agents.map((a, i) => pulumi.all([a.sshPort, a.hostPublicKey]).apply(([port, key]) => ({
    name: config.agents[i].name, alias: `${pulumi.getStack()}-${config.agents[i].name}`, sshPort: port, hostKey: key,
}))));
/** The operator's SSH config for the agents (`ssh -F` it, or set containai:operator.sshConfig to install it). */
export const sshConfig = agents.sshConfig;
export const sshKnownHosts = agents.knownHosts;
