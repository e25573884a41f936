// Rendered files of the agents' backups (host-scripts/backup.sh reads them).
// Pure functions: what lands on the host is decided here and snapshot-tested.
import type { BackupConfig } from "../config/schema";
import { NETWORK_SCRIPT_DIR } from "./daemon";

export const BACKUP_TOOL = `${NETWORK_SCRIPT_DIR}/containai-backup`;
export const BACKUP_CONF = "/etc/containai/backup";
export const BACKUP_STATE = "/var/lib/containai/backup";
export const BACKUP_UNIT = "containai-backup.service";
export const BACKUP_TIMER = "containai-backup.timer";

/** One agent as the backup tool sees it. */
export interface BackupAgent {
    name: string;
    /** Its daemon's socket. */
    socket: string;
    container: string;
    /** Its workspace on the host, when included. */
    workspace?: string;
    /** Its home volume, when included. */
    home?: string;
    /** Whether its inner-Docker volumes are included. */
    docker: boolean;
}

/** $CONF/env: restic's settings and the repository's credentials (the whole text is a secret). */
export function renderBackupEnv(b: BackupConfig): string {
    const lines = [
        "# Managed by containai-infra (Pulumi): containai:backup. Secret: root only.",
        `RESTIC_REPOSITORY=${b.repository}`,
        `RESTIC_PASSWORD=${b.password}`,
        ...Object.keys(b.env).sort().map((k) => `${k}=${b.env[k]}`),
        `CONTAINAI_KEEP=${b.keep.daily} ${b.keep.weekly} ${b.keep.monthly}`,
        `CONTAINAI_SCHEDULE=${b.schedule}`,
    ];
    return `${lines.join("\n")}\n`;
}

/** $CONF/agents: "agent socket container workspace|- home|- docker(0|1)". */
export function renderBackupAgents(agents: BackupAgent[]): string {
    return agents.map((a) => `${a.name} ${a.socket} ${a.container} ${a.workspace ?? "-"} ${a.home ?? "-"} ${a.docker ? 1 : 0}\n`).join("");
}

export function renderBackupService(): string {
    return `# Managed by containai-infra (Pulumi). Local edits are reported as drift and reverted.
[Unit]
Description=ContainAI: back up the agents' data (restic)
Documentation=https://github.com/containai/containai-infra/blob/main/docs/agents.md
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=${BACKUP_TOOL} run
Nice=10
IOSchedulingClass=idle
`;
}

export function renderBackupTimer(b: Pick<BackupConfig, "schedule">): string {
    return `# Managed by containai-infra (Pulumi). Local edits are reported as drift and reverted.
[Unit]
Description=ContainAI: back up the agents' data (${b.schedule})

[Timer]
OnCalendar=${b.schedule}
Persistent=true
RandomizedDelaySec=300

[Install]
WantedBy=timers.target
`;
}
