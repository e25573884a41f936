// Rendered files for one isolated Docker daemon instance. Pure functions:
// what lands on the host is decided here and snapshot-tested.
import { DaemonConfig, EnginePackage, gatewayOf, subnetOf } from "../config/schema";

export const SYSBOX_RUNC_PATH = "/usr/bin/sysbox-runc";
/** Where each instance's bridge/firewall script (host-scripts/bridge-network.sh) is installed. */
export const NETWORK_SCRIPT_DIR = "/usr/local/libexec/containai";

export function networkScriptPath(d: DaemonConfig): string {
    return `${NETWORK_SCRIPT_DIR}/${d.name}-network`;
}

/** Where each instance's rootfs guard (host-scripts/rootfs-guard.sh) is installed. */
export function rootfsGuardPath(d: Pick<DaemonConfig, "name">): string {
    return `${NETWORK_SCRIPT_DIR}/${d.name}-rootfs-guard`;
}

export function rootfsGuardUnitName(d: Pick<DaemonConfig, "name">): string {
    return `${d.name}-rootfs-guard.service`;
}

/**
 * A oneshot the daemon's unit wants and waits for: at every start of the
 * daemon (a boot above all), before dockerd restarts its agents, it shifts
 * back the upper layer of any agent that sysbox left ID-shifted by an unclean
 * stop (host-scripts/rootfs-guard.sh). Its own unit, so installing or
 * changing it never restarts the daemon.
 */
export function renderRootfsGuardUnit(d: Pick<DaemonConfig, "name" | "dataRoot">, managedBy: string): string {
    return `# Managed by containai-infra (Pulumi). Local edits are reported as drift and reverted.
[Unit]
Description=ContainAI: repair agents' root filesystems left ID-shifted by an unclean stop (${d.name})
Documentation=https://github.com/containai/containai-infra/blob/main/docs/operations.md
After=local-fs.target
Before=${unitName(d)}

[Service]
Type=oneshot
ExecStart=${rootfsGuardPath(d)} boot ${d.dataRoot} ${managedBy}

[Install]
WantedBy=${unitName(d)}
`;
}

/** Where each instance's secrets watcher (host-scripts/secrets-watch.sh) is installed. */
export function secretsWatchPath(d: Pick<DaemonConfig, "name">): string {
    return `${NETWORK_SCRIPT_DIR}/${d.name}-secrets-watch`;
}

export function secretsWatchUnitName(d: Pick<DaemonConfig, "name">): string {
    return `${d.name}-secrets.service`;
}

/** The host's copy of a daemon's agents' secrets: root-only, on /run (a tmpfs, never on disk). */
export function secretsStorePath(d: Pick<DaemonConfig, "name">): string {
    return `/run/containai/secrets/${d.name}`;
}

/**
 * The service that puts an agent's secrets back into its /run/secrets when
 * its container starts again (a restart, a host reboot's restart policy): the
 * agent's /run is a tmpfs, so a restart empties it. It follows the daemon:
 * started with it, restarted with it, and started again whenever its event
 * stream ends. Installed only while some agent of the daemon has secrets.
 */
export function renderSecretsWatchUnit(d: Pick<DaemonConfig, "name" | "socket">): string {
    return `# Managed by containai-infra (Pulumi). Local edits are reported as drift and reverted.
[Unit]
Description=ContainAI: agents' secrets back into /run/secrets when an agent starts (${d.name})
Documentation=https://github.com/containai/containai-infra/blob/main/docs/agents.md
After=${unitName(d)}
PartOf=${unitName(d)}
StartLimitIntervalSec=0

[Service]
ExecStart=${secretsWatchPath(d)} watch ${d.socket} ${secretsStorePath(d)}
Restart=always
RestartSec=3

[Install]
WantedBy=${unitName(d)}
`;
}

/** Where the network script reads each bridge's egress policy (EGRESS_DIR in bridge-network.sh). */
export const EGRESS_DIR = "/etc/containai/network";

export function egressPath(d: DaemonConfig): string {
    return `${EGRESS_DIR}/${d.bridge.name}.egress`;
}

/**
 * The egress policy of a daemon's agents, as the network script reads it:
 * "block yes|no", then one "allow CIDR tcp|udp|any PORTS|-" line per entry
 * (allowed before anything is dropped).
 */
export function renderEgress(d: Pick<DaemonConfig, "name" | "egress">): string {
    return `# Managed by containai-infra: egress of daemon ${d.name}'s agents (containai:daemons[].egress).\n` +
        `block ${d.egress.block ? "yes" : "no"}\n` +
        d.egress.allow.map((a) => `allow ${a.cidr} ${a.protocol} ${a.ports.length > 0 ? a.ports.join(",") : "-"}\n`).join("");
}

/** dockerd binary location per engine package. */
export function dockerdPath(pkg: EnginePackage): string {
    return pkg === "docker-ce" ? "/usr/bin/dockerd" : "/usr/sbin/dockerd";
}

/**
 * daemon.json for an instance. Every identity of the daemon (socket, data,
 * exec-root, pidfile, bridge, containerd namespaces) is its own, so it never
 * collides with the host's default Docker or another instance. Nothing here
 * may also be passed as a dockerd flag (dockerd refuses duplicates): the unit
 * passes only --config-file.
 */
export interface DaemonJsonOptions {
    /**
     * dockerd < 23 writes a "trust key" to /etc/docker/key.json on first start
     * unless told otherwise; keep it beside our own config instead, so the
     * host's /etc/docker is never touched. (Docker 23 removed the key, and the
     * option with it: never set it there.)
     */
    legacyTrustKey?: boolean;
}

/** dockerd major version from "20.10.24"; undefined when unknown. */
export function engineMajor(version: string | undefined): number | undefined {
    const m = /^(\d+)\./.exec(version ?? "");
    return m ? Number(m[1]) : undefined;
}

export function trustKeyPath(d: DaemonConfig): string {
    return `${d.configFile.replace(/\/[^/]+$/, "")}/key.json`;
}

export function renderDaemonJson(d: DaemonConfig, opts: DaemonJsonOptions = {}): string {
    const cfg: Record<string, unknown> = {
        "hosts": [`unix://${d.socket}`],
        "group": d.socketGroup,
        "data-root": d.dataRoot,
        "exec-root": d.execRoot,
        "pidfile": d.pidfile,
        "bridge": d.bridge.name,
        // The bridge's subnet is authoritative (dockerd would otherwise keep
        // the network it stored in its data-root). `bip` cannot be combined
        // with `bridge`; the unit gives the bridge its address.
        "fixed-cidr": subnetOf(d.bridge.cidr),
        // Never touch the iptables chains every dockerd on a host shares: this
        // instance's own chains come from its network script (see the unit).
        // Published ports go through the userland proxy.
        "iptables": false,
        "userland-proxy": true,
        "containerd-namespace": d.name,
        "containerd-plugins-namespace": `${d.name}-plugins`,
        "runtimes": { "sysbox-runc": { path: SYSBOX_RUNC_PATH } },
        "default-runtime": d.defaultRuntime,
        ...(d.storageDriver ? { "storage-driver": d.storageDriver } : {}),
        "log-driver": "json-file",
        "log-opts": { "max-size": "20m", "max-file": "3" },
        ...(opts.legacyTrustKey ? { "deprecated-key-path": trustKeyPath(d) } : {}),
    };
    return JSON.stringify(cfg, null, 2) + "\n";
}

export function unitName(d: Pick<DaemonConfig, "name">): string {
    return `${d.name}.service`;
}

/** systemd unit for an instance. Checked with `systemd-analyze verify` before use. */
export function renderDaemonUnit(d: DaemonConfig, pkg: EnginePackage): string {
    const gw = gatewayOf(d.bridge.cidr);
    return `# Managed by containai-infra (Pulumi). Local edits are reported as drift and reverted.
[Unit]
Description=ContainAI isolated Docker daemon (${d.name})
Documentation=https://github.com/containai/containai-infra/blob/main/docs/operations.md
After=network-online.target containerd.service sysbox.service
Wants=network-online.target containerd.service sysbox.service
StartLimitBurst=3
StartLimitIntervalSec=60

[Service]
Type=notify
# Bridge (its only address: ${gw}, old ones pruned once dockerd runs) and this
# instance's own firewall chains.
ExecStartPre=${networkScriptPath(d)} start ${d.bridge.name} ${gw} ${subnetOf(d.bridge.cidr)}
ExecStart=${dockerdPath(pkg)} --config-file=${d.configFile}
ExecStartPost=${networkScriptPath(d)} prune ${d.bridge.name} ${gw}
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=120
TimeoutStopSec=120
Restart=on-failure
RestartSec=2
Delegate=yes
KillMode=process
LimitNOFILE=infinity
LimitNPROC=infinity
TasksMax=infinity
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
`;
}
