// Run scripts on a host over SSH (ssh2, pure JS). Used inside dynamic
// providers, so this module is serialized into state by Pulumi's closure
// serializer: keep it self-contained (only `ssh2` and Node built-ins).
//
// Scripts travel on stdin to `bash -s` (never on the command line), so a
// failing step prints only its own stderr, never the script or a secret.

export interface Connection {
    host: string;
    port: number;
    user: string;
    /** Private key text (a Pulumi secret in state). */
    privateKey?: string;
    /** ssh-agent socket path. */
    agentSocket?: string;
    /** Pinned host key: "<type> <base64>". */
    hostKey: string;
    /** Wrap commands in `sudo -n`. */
    sudo: boolean;
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    /** Run as the login user even when conn.sudo is set. */
    noSudo?: boolean;
    timeoutMs?: number;
    /** Connection attempts (a dropped connection is retried; scripts are idempotent). */
    attempts?: number;
    /** Told about each retry (the providers turn it into a Pulumi warning). */
    onRetry?: (message: string) => void | Promise<void>;
}

/**
 * An error meant for the operator: its message says what happened and what to
 * do, so it carries no stack trace (the dynamic-provider host prints
 * `${e}: ${e.stack}` for failures in check/read/diff/delete).
 */
export function operatorError(message: string): Error {
    const e = new Error(message);
    e.stack = "";
    return e;
}

/** "SHA256:..." fingerprint of a raw SSH public key blob, as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require("crypto");
    return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Render `export K='v'` lines (single-quote safe) ahead of a script body. */
export function withEnv(env: Record<string, string>, body: string): string {
    const q = (v: string): string => `'${v.replace(/'/g, `'"'"'`)}'`;
    const lines = Object.keys(env).sort().map((k) => {
        if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`bad env name ${k}`);
        return `export ${k}=${q(env[k])}`;
    });
    return `${lines.join("\n")}\n${body}`;
}

function once(conn: Connection, script: string, opts: RunOptions): Promise<RunResult> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("ssh2");
    const timeoutMs = opts.timeoutMs ?? 15 * 60 * 1000;
    return new Promise<RunResult>((resolve, reject) => {
        const client = new Client();
        let stdout = "";
        let stderr = "";
        let settled = false;
        let timer: ReturnType<typeof setTimeout> | undefined = undefined;
        const finish = (err: Error | undefined, res?: RunResult): void => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            client.end();
            if (err) reject(err);
            else resolve(res as RunResult);
        };
        timer = setTimeout(() => finish(operatorError(
            `ssh ${conn.user}@${conn.host}:${conn.port}: no result after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
        const want = conn.hostKey.trim().split(/\s+/);
        let presented: Buffer | undefined;
        client.on("ready", () => {
            const cmd = conn.sudo && !opts.noSudo ? "sudo -n -H bash -s" : "bash -s";
            client.exec(cmd, (err: Error | undefined, stream: any) => {
                if (err) return finish(err);
                stream.on("data", (d: Buffer) => { stdout += d.toString(); });
                stream.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
                stream.on("close", (code: number | null) => finish(undefined, {
                    code: code ?? 255, stdout, stderr,
                }));
                stream.end(script);
            });
        });
        client.on("error", (e: Error) => {
            if (presented !== undefined && presented.toString("base64") !== want[want.length - 1]) {
                const n = presented.readUInt32BE(0);
                const type = presented.subarray(4, 4 + n).toString("latin1");
                return finish(operatorError(`ssh ${conn.user}@${conn.host}:${conn.port}: host key verification failed: the host ` +
                    `presented ${type} ${fingerprint(presented)}, which is not the key pinned in containai:ssh.hostKey ` +
                    `(or containai:ssh.knownHostsFile). Nothing was run on the host. If the machine was reinstalled or its ` +
                    `key rotated, check the new key out of band (ssh-keyscan -p ${conn.port} -t ed25519 ${conn.host}, ` +
                    `compared with the console), then update the pin.`));
            }
            finish(operatorError(`ssh ${conn.user}@${conn.host}:${conn.port}: ${e.message}`));
        });
        client.on("close", () => finish(operatorError(
            `ssh ${conn.user}@${conn.host}:${conn.port}: connection closed before the command finished`)));
        client.connect({
            host: conn.host,
            port: conn.port,
            username: conn.user,
            privateKey: conn.privateKey,
            agent: conn.privateKey ? undefined : conn.agentSocket,
            readyTimeout: 20000,
            keepaliveInterval: 10000,
            keepaliveCountMax: 3,
            hostVerifier: (key: Buffer): boolean => {
                presented = key;
                return key.toString("base64") === want[want.length - 1];
            },
        });
    });
}

/** Run a script; retries only when the connection itself fails. */
export async function run(conn: Connection, script: string, opts: RunOptions = {}): Promise<RunResult> {
    const attempts = opts.attempts ?? 3;
    let last: Error | undefined;
    for (let i = 0; i < attempts; i++) {
        try {
            return await once(conn, script, opts);
        } catch (e) {
            last = e as Error;
            // A host key mismatch or auth failure will not fix itself.
            if (/authentication|host key|verification/i.test(last.message)) break;
            if (i + 1 < attempts) {
                await opts.onRetry?.(`${last.message}; retrying (attempt ${i + 2} of ${attempts})`);
                await new Promise((r) => setTimeout(r, 1000 * (i + 1)));
            }
        }
    }
    throw last;
}

/** Run and throw a readable error (last stderr lines) on a non-zero exit. */
export async function runOk(conn: Connection, script: string, what: string, opts: RunOptions = {}): Promise<RunResult> {
    const r = await run(conn, script, opts);
    if (r.code !== 0) {
        const tail = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-25).join("\n");
        throw operatorError(`${what} failed on ${conn.host} (exit ${r.code}):\n${tail}`);
    }
    return r;
}

/** Parse `key=value` lines (the format every probe script prints). */
export function parseKv(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split("\n")) {
        const i = line.indexOf("=");
        if (i > 0 && /^[a-zA-Z0-9_.-]+$/.test(line.slice(0, i))) out[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    return out;
}
