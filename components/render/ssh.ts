// SSH config snippets for the operator's machine: one file per agent under
// ~/.ssh/containai.d/, included once from ~/.ssh/config.
export interface AgentSshEntry {
    name: string;
    hostAddress: string;
    port: number;
    user: string;
    identityFile: string;
    knownHostsFile: string;
}

export function renderAgentSshConfig(e: AgentSshEntry): string {
    return `# Managed by containai-infra for agent ${e.name}
Host containai-${e.name}
  HostName ${e.hostAddress}
  Port ${e.port}
  User ${e.user}
  IdentityFile ${e.identityFile}
  IdentitiesOnly yes
  UserKnownHostsFile ${e.knownHostsFile}
  StrictHostKeyChecking accept-new
  ServerAliveInterval 30
`;
}

export const SSH_INCLUDE_LINE = "Include ~/.ssh/containai.d/*.conf";
