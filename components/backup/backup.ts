// containai:backup: the agents' data backed up with restic on a schedule, its
// status read back by every refresh (docs/agents.md, "Backups and restore").
import * as pulumi from "../sdk";
import type { AgentConfig, BackupConfig, DaemonConfig } from "../config/schema";
import type { Connection } from "../host/remote";
import { HostState } from "../host/providers";
import { hostFile, scriptSet } from "../host/scripts";
import { agentNames } from "../agent/agent";
import {
    BACKUP_CONF, BACKUP_STATE, BACKUP_TIMER, BACKUP_TOOL, BACKUP_UNIT, BackupAgent,
    renderBackupAgents, renderBackupEnv, renderBackupService, renderBackupTimer,
} from "../render/backup";

export interface AgentBackupsArgs {
    connection: pulumi.Input<Connection>;
    backup: BackupConfig;
    /** The agents to back up, and their daemons. */
    agents: Pick<AgentConfig, "name" | "daemon" | "workspace">[];
    daemons: Pick<DaemonConfig, "name" | "socket">[];
    /** What must exist first (the agents' containers and volumes). */
    after: pulumi.Resource[];
}

/** Each agent as the backup tool sees it: its daemon's socket, container, and the data included. */
export function backupAgents(b: Pick<BackupConfig, "include">, agents: AgentBackupsArgs["agents"],
    daemons: AgentBackupsArgs["daemons"]): BackupAgent[] {
    return agents.map((a) => {
        const d = daemons.find((x) => x.name === a.daemon);
        if (!d) throw new Error(`agent ${a.name}: no daemon ${a.daemon}`);
        const n = agentNames(a.name);
        return {
            name: a.name, socket: d.socket, container: n.container,
            workspace: b.include.workspace ? a.workspace : undefined,
            home: b.include.home ? n.home : undefined,
            docker: b.include.docker,
        };
    });
}

export class AgentBackups extends pulumi.ComponentResource {
    /** What the host reports: setup, and each agent's last backup. */
    public readonly status: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: AgentBackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:backup:AgentBackups", name, {}, opts);
        const agents = backupAgents(args.backup, args.agents, args.daemons);
        const step = new HostState(`${name}-restic`, {
            connection: args.connection,
            label: `backups of ${agents.length} agent(s) (restic, ${args.backup.schedule})`,
            ...scriptSet("backup"),
            // The settings hold the repository password: the whole env is a secret in state and plans.
            env: pulumi.secret({
                TOOL: hostFile("backup.sh"), TOOL_PATH: BACKUP_TOOL, CONF: BACKUP_CONF, STATE: BACKUP_STATE,
                ENV_TEXT: renderBackupEnv(args.backup), AGENTS_TEXT: renderBackupAgents(agents), SCHEDULE: args.backup.schedule,
                UNIT: BACKUP_UNIT, UNIT_TEXT: renderBackupService(), TIMER: BACKUP_TIMER, TIMER_TEXT: renderBackupTimer(args.backup),
            }),
            desired: { setup: "ok", ...Object.fromEntries(agents.map((a) => [`${a.name}.backup`, "ok"])) },
        }, { parent: this, dependsOn: args.after, additionalSecretOutputs: ["env"] });
        this.status = step.observed;
        this.registerOutputs({ status: this.status });
    }
}
