// containai-infra: converge one machine (this stack) into a host for AI-agent
// system containers. Configuration reference: docs/configuration.md.
import * as pulumi from "@pulumi/pulumi";
import { ContainAIHost } from "./components/host";
import { loadConfig } from "./components/config";

// Validates the whole stack config and throws one error listing every problem
// before a single resource is registered.
const { config, connection, warnings } = loadConfig();
for (const w of warnings) void pulumi.log.warn(`${w.key}: ${w.message}`);

const host = new ContainAIHost("host", { config, connection });

export const sysboxVersion = host.sysbox.version;
export const daemons = host.daemons.map((d) => ({ unit: d.unit, socket: d.socket }));
export const contexts = host.contexts.map((c) => c.endpoint);
