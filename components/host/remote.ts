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
    /**
     * Path of a private key file on the machine running Pulumi, read when a
     * connection is made: the key itself never enters state or engine logs.
     */
    privateKeyFile?: string;
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
    /**
     * The script changes the host (an apply or remove step): retire the pooled
     * connection afterwards, so the next step logs in again and sees what it
     * changed about the login user (e.g. a new socket group).
     */
    changesHost?: boolean;
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

/**
 * One SSH connection per host (user, port, pinned key, credentials) for the
 * whole run, shared by every step and probe: each script gets its own channel.
 * The pool lives on globalThis because every dynamic provider of a run is
 * deserialized separately inside the same provider process. An idle
 * connection closes after a few seconds; a failed one is dropped and the next
 * call connects again.
 */
interface Pooled {
    client: any;
    ready: Promise<void>;
    busy: number;
    idle?: ReturnType<typeof setTimeout>;
    dead: boolean;
}

const IDLE_CLOSE_MS = 3000;

function pool(): Map<string, Pooled> {
    const g = globalThis as unknown as { __containaiSshPool?: Map<string, Pooled> };
    if (!g.__containaiSshPool) g.__containaiSshPool = new Map();
    return g.__containaiSshPool;
}

function poolKey(conn: Connection): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require("crypto");
    const cred = createHash("sha256").update(conn.privateKey ?? (conn.privateKeyFile ? `file:${conn.privateKeyFile}` : `agent:${conn.agentSocket ?? ""}`)).digest("hex");
    return `${conn.user}@${conn.host}:${conn.port} ${conn.hostKey.trim()} ${cred}`;
}

function hostKeyError(conn: Connection, presented: Buffer): Error {
    const n = presented.readUInt32BE(0);
    const type = presented.subarray(4, 4 + n).toString("latin1");
    return operatorError(`ssh ${conn.user}@${conn.host}:${conn.port}: host key verification failed: the host ` +
        `presented ${type} ${fingerprint(presented)}, which is not the key pinned in containai:ssh.hostKey ` +
        `(or containai:ssh.knownHostsFile). Nothing was run on the host. If the machine was reinstalled or its ` +
        `key rotated, check the new key out of band (ssh-keyscan -p ${conn.port} -t ed25519 ${conn.host}, ` +
        `compared with the console), then update the pin.`);
}

/** Channels one connection carries at once (sshd's MaxSessions defaults to 10). */
const MAX_CHANNELS = 8;

function connect(conn: Connection): Pooled {
    const base = poolKey(conn);
    let key = base;
    for (let i = 0; ; i++) {
        key = `${base} #${i}`;
        const hit = pool().get(key);
        if (!hit || hit.dead) break;
        if (hit.busy < MAX_CHANNELS) return hit;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("ssh2");
    let privateKey = conn.privateKey;
    if (privateKey === undefined && conn.privateKeyFile !== undefined) {
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            privateKey = require("fs").readFileSync(conn.privateKeyFile, "utf8") as string;
        } catch (e) {
            const dead: Pooled = { client: undefined, busy: 0, dead: true, ready: Promise.reject(operatorError(
                `cannot read the SSH key ${conn.privateKeyFile} (containai:ssh.privateKeyFile): ${(e as Error).message}`)) };
            dead.ready.catch(() => undefined);
            return dead;
        }
    }
    const client = new Client();
    client.setMaxListeners(4 * MAX_CHANNELS);
    const want = conn.hostKey.trim().split(/\s+/);
    let presented: Buffer | undefined;
    const entry: Pooled = { client, busy: 0, dead: false, ready: Promise.resolve() };
    const drop = (): void => {
        entry.dead = true;
        if (pool().get(key) === entry) pool().delete(key);
    };
    entry.ready = new Promise<void>((resolve, reject) => {
        client.on("ready", () => resolve());
        client.on("error", (e: Error) => {
            drop();
            if (presented !== undefined && presented.toString("base64") !== want[want.length - 1]) {
                return reject(hostKeyError(conn, presented));
            }
            reject(operatorError(`ssh ${conn.user}@${conn.host}:${conn.port}: ${e.message}`));
        });
        client.on("close", () => {
            drop();
            reject(operatorError(`ssh ${conn.user}@${conn.host}:${conn.port}: connection closed before it was ready`));
        });
    });
    // A rejection nobody awaits yet must not crash the provider process.
    entry.ready.catch(() => undefined);
    client.connect({
        host: conn.host,
        port: conn.port,
        username: conn.user,
        privateKey,
        agent: privateKey ? undefined : conn.agentSocket,
        // Straight to the one method we have (no "none" probe first).
        authHandler: privateKey ? ["publickey"] : ["agent"],
        readyTimeout: 20000,
        keepaliveInterval: 10000,
        keepaliveCountMax: 3,
        hostVerifier: (k: Buffer): boolean => {
            presented = k;
            return k.toString("base64") === want[want.length - 1];
        },
    });
    // Without TCP_NODELAY every small SSH packet waits for the peer's delayed
    // ACK (~40 ms on Linux): a login took ~210 ms and each command ~50 ms more
    // on a LAN; with it, ~35 ms and ~12 ms.
    client.setNoDelay(true);
    pool().set(key, entry);
    return entry;
}

function retire(entry: Pooled): void {
    entry.dead = true;
    for (const [k, v] of pool()) if (v === entry) pool().delete(k);
}

function release(entry: Pooled, changedHost: boolean): void {
    entry.busy--;
    if (changedHost) retire(entry);
    if (entry.dead) {
        if (entry.busy === 0) entry.client?.end();
        return;
    }
    if (entry.busy > 0) return;
    clearTimeout(entry.idle);
    entry.idle = setTimeout(() => {
        if (entry.busy === 0) {
            retire(entry);
            entry.client.end();
        }
    }, IDLE_CLOSE_MS);
    (entry.idle as { unref?: () => void }).unref?.();
}

async function once(conn: Connection, script: string, opts: RunOptions): Promise<RunResult> {
    const timeoutMs = opts.timeoutMs ?? 15 * 60 * 1000;
    const entry = connect(conn);
    entry.busy++;
    clearTimeout(entry.idle);
    try {
        await entry.ready;
        return await new Promise<RunResult>((resolve, reject) => {
            let stdout = "";
            let stderr = "";
            let settled = false;
            let stream: any;
            let timer: ReturnType<typeof setTimeout> | undefined = undefined;
            let onClose: (() => void) | undefined = undefined;
            // (Declared before use: Pulumi's closure serializer needs that.)
            const finish = (err: Error | undefined, res?: RunResult): void => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                if (onClose) entry.client.removeListener("close", onClose);
                if (err) reject(err);
                else resolve(res as RunResult);
            };
            onClose = (): void => finish(operatorError(
                `ssh ${conn.user}@${conn.host}:${conn.port}: connection closed before the command finished`));
            timer = setTimeout(() => {
                // A hung host: never reuse this connection.
                entry.dead = true;
                entry.client.end();
                finish(operatorError(`ssh ${conn.user}@${conn.host}:${conn.port}: no result after ${Math.round(timeoutMs / 1000)} s`));
            }, timeoutMs);
            entry.client.on("close", onClose);
            const cmd = conn.sudo && !opts.noSudo ? "sudo -n -H bash -s" : "bash -s";
            entry.client.exec(cmd, (err: Error | undefined, s: any) => {
                if (err) {
                    // e.g. the server refuses another channel: drop the connection, the caller retries.
                    entry.dead = true;
                    return finish(operatorError(`ssh ${conn.user}@${conn.host}:${conn.port}: ${err.message}`));
                }
                stream = s;
                stream.on("data", (d: Buffer) => { stdout += d.toString(); });
                stream.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
                stream.on("close", (code: number | null) => finish(undefined, { code: code ?? 255, stdout, stderr }));
                stream.end(script);
            });
        });
    } finally {
        release(entry, opts.changesHost === true);
    }
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
            if (/authentication|host key|verification|cannot read the SSH key/i.test(last.message)) break;
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
