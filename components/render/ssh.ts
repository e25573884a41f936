// What lands for SSH: the sshd drop-in inside each agent, and the operator's
// ~/.ssh/containai.d/<stack>.conf with its pinned known_hosts file. Pure.

/** The agent's sshd settings, first in /etc/ssh/sshd_config.d (first value wins). */
export const AGENT_SSHD_DROPIN = "/etc/ssh/sshd_config.d/00-containai.conf";
export const AGENT_HOST_KEY = "/etc/ssh/containai_host_ed25519_key";
export const AGENT_AUTHORIZED_KEYS = "/etc/ssh/containai_authorized_keys";

/**
 * Key-only sshd: our generated host key only (pinned by the operator before
 * the first connection), the configured keys only, the agent user only.
 * Agent forwarding and TCP tunnels stay on (VS Code Remote-SSH, port tunnels).
 */
export function renderAgentSshd(user: string): string {
    return `# Managed by containai-infra: replaced with the container, do not edit.
HostKey ${AGENT_HOST_KEY}
AuthorizedKeysFile ${AGENT_AUTHORIZED_KEYS}
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin no
AllowUsers ${user}
AllowAgentForwarding yes
AllowTcpForwarding yes
X11Forwarding no
ClientAliveInterval 30
`;
}

/** authorized_keys text for the agent user (one key per line). */
export function renderAuthorizedKeys(keys: string[]): string {
    return keys.map((k) => `${k.trim()}\n`).join("");
}

export interface OperatorHostEntry {
    alias: string;
    hostName: string;
    port: number;
    user: string;
    /** "<type> <base64>" of the host's pinned key. */
    hostKey: string;
    identityFile?: string;
}

export interface OperatorAgentEntry {
    alias: string;
    agent: string;
    /** Address the agent's sshd is published on (127.0.0.1 → through the host). */
    bind: string;
    port: number;
    user: string;
    hostKey: string;
    identityFile?: string;
    /** Ports of the agent forwarded to the same port on the operator's localhost (devcontainer forwardPorts). */
    localForwards?: number[];
}

export interface OperatorSshArgs {
    stack: string;
    host: OperatorHostEntry;
    agents: OperatorAgentEntry[];
    /** Path of the known_hosts file as written in the config (may start with ~/). */
    knownHostsFile: string;
}

function identity(file: string | undefined): string {
    return file === undefined ? "" : `  IdentityFile ${file}\n  IdentitiesOnly yes\n`;
}

/**
 * One `Host` per agent plus the jump host. Host keys are pinned through
 * HostKeyAlias + a known_hosts file of our own, so no entry depends on the
 * address or port and a replaced container keeps its key.
 */
export function renderOperatorSshConfig(a: OperatorSshArgs): string {
    const pin = (alias: string): string =>
        `  HostKeyAlias ${alias}\n  UserKnownHostsFile ${a.knownHostsFile}\n  StrictHostKeyChecking yes\n`;
    const h = a.host;
    let out = `# Managed by containai-infra (stack ${a.stack}): \`pulumi up\` rewrites this file and\n` +
        "# `pulumi destroy` removes it. Hand edits show as drift in `pulumi preview --refresh`.\n\n" +
        // ProxyJump none: an operator's `Host *` ProxyJump must not reroute the host or the agents behind it
        // (this file is included before the operator's own blocks, and the first value OpenSSH reads wins).
        `Host ${h.alias}\n  HostName ${h.hostName}\n  Port ${h.port}\n  User ${h.user}\n  ProxyJump none\n${identity(h.identityFile)}${pin(h.alias)}` +
        "  ServerAliveInterval 30\n";
    for (const g of a.agents) {
        const direct = g.bind !== "127.0.0.1";
        out += `\n# agent ${g.agent}\nHost ${g.alias}\n  HostName ${direct ? (g.bind === "0.0.0.0" ? h.hostName : g.bind) : "127.0.0.1"}\n` +
            `  Port ${g.port}\n  User ${g.user}\n  ProxyJump ${direct ? "none" : h.alias}\n${identity(g.identityFile)}${pin(g.alias)}` +
            "  ServerAliveInterval 30\n" +
            (g.localForwards ?? []).map((p) => `  LocalForward localhost:${p} localhost:${p}\n`).join("");
    }
    return out;
}

/** The pinned keys, one per alias (read only through HostKeyAlias). */
export function renderOperatorKnownHosts(a: OperatorSshArgs): string {
    return [a.host, ...a.agents].map((e) => `${e.alias} ${e.hostKey.trim().split(/\s+/).slice(0, 2).join(" ")}\n`).join("");
}

/** The Include line for `~/.ssh/config`, for configs under sshDir. */
export function sshIncludeLine(sshDir: string): string {
    return `Include ${sshDir.replace(/\/+$/, "")}/containai.d/*.conf`;
}

/** Whether a config line is the Include line (case and spacing as OpenSSH reads them). */
function isIncludeLine(line: string, include: string): boolean {
    return line.trim().replace(/\s+/g, " ").toLowerCase() === include.toLowerCase();
}

/**
 * `config` with exactly one `include` line, before the first Host/Match block
 * (an Include inside a block only applies to that block). Other lines are kept
 * as they were; an existing copy of the line elsewhere is moved, not doubled.
 */
export function placeInclude(config: string, include: string): string {
    if (includeState(config, include) === "ok") return config.endsWith("\n") || config === "" ? config : `${config}\n`;
    const lines = config === "" ? [] : config.replace(/\n$/, "").split("\n").filter((l) => !isIncludeLine(l, include));
    const first = lines.findIndex((l) => /^\s*(host|match)\s/i.test(l));
    const at = first === -1 ? 0 : first;
    // Keep leading comments/settings above it; the Include goes right before the first block (or at the top).
    const head = first === -1 ? [] : lines.slice(0, at);
    const tail = first === -1 ? lines : lines.slice(at);
    return [...head, include, ...(tail.length > 0 && tail[0].trim() !== "" ? [""] : []), ...tail].join("\n") + "\n";
}

/** Where the Include line stands in `config`: ok, missing, duplicate or misplaced. */
export function includeState(config: string, include: string): "ok" | "missing" | "duplicate" | "misplaced" {
    const lines = config.split("\n");
    const at = lines.map((l, i) => (isIncludeLine(l, include) ? i : -1)).filter((i) => i >= 0);
    if (at.length === 0) return "missing";
    if (at.length > 1) return "duplicate";
    const first = lines.findIndex((l) => /^\s*(host|match)\s/i.test(l));
    return first !== -1 && at[0] > first ? "misplaced" : "ok";
}
