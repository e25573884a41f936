// Read the stack config (namespace `containai`), validate it, and resolve the
// SSH connection (key file, known_hosts). Throws one ConfigError listing every
// problem before any resource is registered.
import * as fs from "fs";
import * as pulumi from "../sdk";
import type { Connection } from "../host/remote";
import { checkConfig, checkReleaseStack, ConfigError, ConfigProblem, HostConfig, NS, RawConfig, ReleaseConfig, SshConfig } from "./schema";
import { expandHome, publicKeyProblem } from "./checks";

const KEYS: (keyof RawConfig)[] = ["ssh", "capacity", "engine", "sysbox", "daemons", "agents", "operator", "release", "fleet", "backup"];

export { expandHome };

/** Raw values and secret-ness straight from the engine (no secret warnings). */
export function readRawConfig(): { raw: RawConfig; secretKeys: Set<string> } {
    const all = pulumi.allConfig();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };
    const raw: RawConfig = {};
    const secretKeys = new Set<string>();
    for (const k of KEYS) {
        const full = `${NS}:${k}`;
        const v = all[full];
        if (v === undefined) continue;
        try {
            raw[k] = JSON.parse(v);
        } catch {
            raw[k] = v;
        }
        if (isConfigSecret(full)) secretKeys.add(full);
    }
    return { raw, secretKeys };
}

/** Find the key for host:port in known_hosts text ("type base64"). */
export function findKnownHost(text: string, host: string, port: number): string | undefined {
    const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
    for (const line of text.split("\n")) {
        const t = line.trim();
        if (!t || t.startsWith("#") || t.startsWith("|")) continue;
        const [hosts, type, key] = t.split(/\s+/);
        if (hosts && type && key && hosts.split(",").some((h) => names.includes(h))) return `${type} ${key}`;
    }
    return undefined;
}

export interface FileReader {
    read(p: string): string | undefined;
}

export const realFiles: FileReader = {
    read(p: string): string | undefined {
        try {
            return fs.readFileSync(expandHome(p), "utf8");
        } catch {
            return undefined;
        }
    },
};

/** Resolve key material and the pinned host key; problems name the config key. */
export function resolveConnection(ssh: SshConfig, files: FileReader, env: NodeJS.ProcessEnv):
    { connection?: Connection; problems: ConfigProblem[] } {
    const problems: ConfigProblem[] = [];
    const privateKey = ssh.privateKey;
    // A key file is checked here and read by the provider when it connects:
    // the key never enters state or engine logs, only its path does.
    const privateKeyFile = ssh.privateKeyFile === undefined ? undefined : expandHome(ssh.privateKeyFile);
    if (ssh.privateKeyFile !== undefined) {
        const text = files.read(ssh.privateKeyFile);
        if (text === undefined) {
            problems.push({ key: `${NS}:ssh.privateKeyFile`, message: `cannot read ${ssh.privateKeyFile}; check the path and permissions` });
        } else if (!/PRIVATE KEY/.test(text)) {
            problems.push({ key: `${NS}:ssh.privateKeyFile`, message: `${ssh.privateKeyFile} is not a private key file (no "PRIVATE KEY" block); give the key, not the .pub` });
        }
    }
    const agentSocket = privateKey === undefined && privateKeyFile === undefined ? (ssh.agentSocket ?? env.SSH_AUTH_SOCK) : undefined;
    if (privateKey === undefined && privateKeyFile === undefined && !agentSocket) {
        problems.push({ key: `${NS}:ssh.privateKey`, message: "no SSH credentials: set ssh.privateKey (as a secret), " +
            "ssh.privateKeyFile, or ssh.agentSocket / SSH_AUTH_SOCK" });
    }
    let hostKey = ssh.hostKey?.trim();
    if (hostKey === undefined && ssh.knownHostsFile !== undefined) {
        const text = files.read(ssh.knownHostsFile);
        if (text === undefined) {
            problems.push({ key: `${NS}:ssh.knownHostsFile`, message: `cannot read ${ssh.knownHostsFile}` });
        } else {
            hostKey = findKnownHost(text, ssh.host, ssh.port);
            const problem = hostKey === undefined ? undefined : publicKeyProblem(hostKey);
            if (problem) {
                problems.push({ key: `${NS}:ssh.knownHostsFile`, message: `the entry for ${ssh.host} ${problem}; fix or replace that line` });
                hostKey = undefined;
            } else if (hostKey === undefined) {
                problems.push({ key: `${NS}:ssh.knownHostsFile`, message: `has no key for ${ssh.port === 22 ? ssh.host : `[${ssh.host}]:${ssh.port}`}; ` +
                    `add it (ssh-keyscan -p ${ssh.port} ${ssh.host} >> ${ssh.knownHostsFile}) or set ssh.hostKey` });
            }
        }
    }
    if (problems.length > 0 || hostKey === undefined) return { problems };
    return {
        problems,
        connection: { host: ssh.host, port: ssh.port, user: ssh.user, privateKey, privateKeyFile, agentSocket, hostKey, sudo: ssh.sudo },
    };
}

/** Whether an OpenSSH client answers `ssh -V` on the machine running Pulumi. */
export function hasOpenSshClient(env: NodeJS.ProcessEnv): boolean {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require("child_process") as typeof import("child_process");
    const r = spawnSync("ssh", ["-V"], { env, encoding: "utf8", timeout: 5000 });
    return r.status === 0 && /OpenSSH/.test(`${r.stderr}${r.stdout}`);
}

/**
 * Agents are created through the docker provider, which reaches each daemon
 * with the OpenSSH client of the machine running Pulumi (`ssh ... docker
 * system dial-stdio`): it needs `ssh` and a key it can pass with -i (or an
 * ssh-agent), never key text.
 */
export function agentAccessProblems(config: HostConfig, files: FileReader, env: NodeJS.ProcessEnv,
    sshClient: (e: NodeJS.ProcessEnv) => boolean = hasOpenSshClient): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const op = config.operator;
    if (op.identityFile !== undefined && files.read(op.identityFile) === undefined) {
        problems.push({ key: `${NS}:operator.identityFile`, message: `cannot read ${op.identityFile}; check the path and permissions` });
    }
    if (config.agents.length === 0) return problems;
    if (config.ssh.privateKey !== undefined && config.ssh.privateKeyFile === undefined) {
        problems.push({ key: `${NS}:ssh.privateKey`, message: "agents need the key as a file: the docker provider connects with " +
            "the OpenSSH client (ssh -i). Set ssh.privateKeyFile (or use an ssh-agent) and remove ssh.privateKey" });
    }
    if (!sshClient(env)) {
        problems.push({ key: `${NS}:agents`, message: "the OpenSSH client (ssh) is not on PATH of the machine running pulumi; " +
            "the docker provider reaches the agents' daemon through it: install openssh-client" });
    }
    return problems;
}

export interface LoadedConfig {
    config: HostConfig;
    /** Accepted, but worth telling the operator (e.g. an unpinned image). */
    warnings: ConfigProblem[];
    /** The SSH connection, secret as a whole (it carries the private key). */
    connection: pulumi.Output<Connection>;
}

/**
 * An invalid stack config, as the operator sees it: one clean block (a
 * RunError prints its message only: no stack trace, no object dump).
 */
export class ConfigRunError extends pulumi.RunError {
    constructor(public readonly problems: ConfigProblem[]) {
        super(new ConfigError(problems).message);
    }
}

/**
 * Which program a stack runs: a release stack (SysboxRelease) has
 * containai:release and no containai:ssh; every other stack is a host.
 */
export function stackKind(raw: RawConfig = readRawConfig().raw): "host" | "release" {
    return raw.release !== undefined && raw.ssh === undefined ? "release" : "host";
}

/** A release stack's config, validated (every problem at once), with the token as a secret. */
export function loadReleaseConfig(env: NodeJS.ProcessEnv = process.env): { release: ReleaseConfig; token?: pulumi.Output<string>; warnings: ConfigProblem[] } {
    const { raw, secretKeys } = readRawConfig();
    const { release, problems, warnings } = checkReleaseStack(raw, secretKeys);
    if (problems.length > 0 || !release) throw new ConfigRunError(problems);
    const token = release.token ?? env.GITHUB_TOKEN;
    if (release.publish && token === undefined) {
        warnings.push({ key: `${NS}:release.token`, message: "not set and no GITHUB_TOKEN: preview works, but writing the " +
            "repository will fail; set it with pulumi config set --secret --path containai:release.token <token> (scopes repo, workflow)" });
    }
    return { release: { ...release, token: undefined }, token: token === undefined ? undefined : pulumi.secret(token), warnings };
}

/** Validate everything; throw a ConfigRunError with ALL problems, or return. */
export function loadConfig(files: FileReader = realFiles, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
    const { raw, secretKeys } = readRawConfig();
    const { config, problems, warnings } = checkConfig(raw, secretKeys);
    // Key files and known_hosts are checked in the same pass, so one run
    // reports every problem (skipped only when ssh.host itself is unusable).
    const sshBroken = problems.some((p) => p.key === `${NS}:ssh` || p.key === `${NS}:ssh.host`);
    const resolved = sshBroken ? { problems: [] as ConfigProblem[], connection: undefined } : resolveConnection(config.ssh, files, env);
    const all = [...problems, ...resolved.problems, ...(sshBroken ? [] : agentAccessProblems(config, files, env))];
    if (all.length > 0 || !resolved.connection) throw new ConfigRunError(all);
    return { config, warnings, connection: pulumi.secret(resolved.connection) };
}
