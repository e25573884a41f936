// Pure checks shared by the config schema: OpenSSH public keys, paths that
// reach a shell or a mount, paths that belong to the host's default Docker,
// and URLs that carry credentials. No Pulumi imports.
import * as os from "os";
import * as path from "path";
import { normalPath, pathsNest } from "../host/rules";

/**
 * This project's cache where Pulumi runs ($CONTAINAI_CACHE, else
 * ~/.cache/containai-infra): provider known_hosts, SSH control sockets, run
 * records. scripts/*.sh and lab/lab.sh use the same rule.
 */
export function cacheDir(): string {
    return process.env.CONTAINAI_CACHE || path.join(os.homedir(), ".cache", "containai-infra");
}

/** Where agents' workspaces live by default, one directory each. */
export const WORKSPACES_DIR = "/var/lib/containai/workspaces";

/** Whether p is an agent's own workspace directory (or inside one) under WORKSPACES_DIR. */
export function inWorkspacesDir(p: string): boolean {
    return normalPath(p).startsWith(`${WORKSPACES_DIR}/`);
}

/** "~" or "~/x" → the home of the user running Pulumi (where the program, or a dynamic provider, runs). */
export function expandHome(p: string): string {
    return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

// ------------------------------------------------------------ public keys

/** Key types OpenSSH accepts in authorized_keys / known_hosts. */
export const PUBLIC_KEY_TYPES = [
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
];

/**
 * Check "type base64 [comment]" as OpenSSH would: a known type, base64 that
 * decodes, and a decoded blob whose own type string matches. Returns what is
 * wrong, or undefined when the key is sound.
 */
export function publicKeyProblem(text: string): string | undefined {
    const parts = text.trim().split(/\s+/);
    if (parts.length < 2) return "is not \"<type> <base64> [comment]\"";
    const [type, b64] = parts;
    if (!PUBLIC_KEY_TYPES.includes(type)) return `has unknown key type "${type}"; use one of ${PUBLIC_KEY_TYPES.join(", ")}`;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return "has key data that is not valid base64";
    const blob = Buffer.from(b64, "base64");
    if (blob.length < 4) return "has key data that is too short to be a key";
    const n = blob.readUInt32BE(0);
    if (n === 0 || n > 64 || blob.length < 4 + n) return "has key data that does not decode to an OpenSSH key";
    const inner = blob.subarray(4, 4 + n).toString("latin1");
    if (inner !== type) return `says "${type}" but its key data is a "${inner.replace(/[^\x20-\x7e]/g, "?")}" key`;
    return undefined;
}

/** authorized_keys options that take no value (auth-options.c; matched case-insensitively, as sshd does). */
const FLAG_OPTIONS = ["agent-forwarding", "cert-authority", "no-agent-forwarding", "no-port-forwarding", "no-pty", "no-user-rc",
    "no-x11-forwarding", "port-forwarding", "pty", "restrict", "user-rc", "x11-forwarding", "no-touch-required",
    "touch-required", "verify-required"];
/** authorized_keys options that take a quoted value. */
const VALUE_OPTIONS = ["command", "environment", "expiry-time", "from", "permitlisten", "permitopen", "principals", "tunnel"];

/**
 * An authorized_keys line as sshd reads it: optional options (comma-separated,
 * `name` or `name="value"` with `\"` inside quotes, up to the first unquoted
 * blank), then "<type> <base64> [comment]". Returns what is wrong, or
 * undefined when sshd would accept the line as it is (it is then used verbatim).
 */
export function authorizedKeyProblem(line: string): string | undefined {
    const text = line.trim();
    const first = text.split(/\s+/)[0];
    if (PUBLIC_KEY_TYPES.includes(first)) return publicKeyProblem(text);
    const known = (n: string): boolean => FLAG_OPTIONS.includes(n.toLowerCase()) || VALUE_OPTIONS.includes(n.toLowerCase());
    if (!/[=,"]/.test(first) && !known(first)) {
        return `has unknown key type "${first.slice(0, 40)}"; use one of ${PUBLIC_KEY_TYPES.join(", ")}, optionally after ` +
            'OpenSSH options (e.g. restrict,from="10.0.0.0/8" ssh-ed25519 AAAA...)';
    }
    let i = 0;
    for (;;) {
        const name = /^[A-Za-z0-9-]+/.exec(text.slice(i))?.[0];
        if (name === undefined) {
            return `has unknown key type "${first.slice(0, 40)}"; use one of ${PUBLIC_KEY_TYPES.join(", ")}, optionally after ` +
                'OpenSSH options (e.g. restrict,from="10.0.0.0/8" ssh-ed25519 AAAA...)';
        }
        const lower = name.toLowerCase();
        i += name.length;
        if (!known(name)) {
            return `has unknown option "${name}"; OpenSSH's authorized_keys options are ${[...FLAG_OPTIONS, ...VALUE_OPTIONS].join(", ")}`;
        }
        if (text[i] === "=") {
            if (!VALUE_OPTIONS.includes(lower)) return `has option "${name}", which takes no value`;
            if (text[i + 1] !== '"') return `has option ${name}= without a quoted value; write ${name}="..."`;
            i += 2;
            while (i < text.length && text[i] !== '"') i += text[i] === "\\" && text[i + 1] === '"' ? 2 : 1;
            if (i >= text.length) return `has option ${name} with an unterminated quote`;
            i += 1;
        } else if (!FLAG_OPTIONS.includes(lower)) {
            return `has option "${name}" without its value; write ${name}="..."`;
        }
        if (text[i] === ",") {
            i += 1;
            continue;
        }
        if (i >= text.length) return "has options but no key after them";
        if (!/\s/.test(text[i])) return `has options that do not end at a blank (at "${text.slice(i, i + 20)}")`;
        break;
    }
    return publicKeyProblem(text.slice(i).trim());
}

// ------------------------------------------------------------------ paths

/** Characters a managed path may hold: it reaches shell scripts, unit files and mount specs. */
export const SAFE_PATH_RE = /^\/[A-Za-z0-9._@%+=:,/-]*$/;

/**
 * Why a path is unsafe to hand to a shell, a unit or a mount, or undefined.
 * `.` segments, `//` and a trailing `/` are not problems: normalizePath drops
 * them before any check. `..` is: lexically and on a host whose path holds a
 * symlink it names different places.
 */
export function unsafePathProblem(p: string): string | undefined {
    if (!p.startsWith("/")) return "is not an absolute path; use a path starting with /";
    const bad = [...new Set(p.replace(/[A-Za-z0-9._@%+=:,/-]/g, ""))];
    if (bad.length > 0) {
        const shown = bad.map((ch) => (ch === "\n" ? "newline" : ch === "\t" ? "tab" : ch === " " ? "space" : `'${ch}'`)).join(", ");
        return `contains ${shown}: paths reach shell scripts, systemd units and mount specs, ` +
            "so only letters, digits and . _ - / @ % + = : , are allowed";
    }
    if (p.split("/").some((seg) => seg === "..")) {
        return "contains '..' (on the host, a symlinked component would make it another place); use the plain absolute path";
    }
    return undefined;
}

/**
 * A config path in its one normal form, or its problem: every check, and what
 * lands on the host (mount specs, scripts, units), uses the normal form, so no
 * spelling (`/var/./run`, `//`, `dir/`) walks past a check.
 */
export function normalizePath(p: string): { path: string; problem?: undefined } | { path?: undefined; problem: string } {
    const problem = unsafePathProblem(p);
    return problem === undefined ? { path: normalPath(p) } : { problem };
}

/** /var/run is /run on every supported distro. */
export function canonicalPath(p: string): string {
    const n = normalPath(p);
    return n === "/var/run" || n.startsWith("/var/run/") ? n.slice(4) : n;
}

/**
 * Host places an agent's bind mount may never reach (equal, inside, or
 * containing them), beside every dockerd's paths: what they hold would give
 * root inside an agent the host or its other agents.
 */
export const HOST_SECRET_PATHS: { path: string; what: string }[] = [
    { path: "/etc/containai", what: "the isolated daemons' configuration" },
    { path: "/var/lib/containai", what: "containai-infra's host state and the agents' workspaces" },
    { path: "/etc/ssh", what: "the host's SSH server keys and configuration" },
    { path: "/root", what: "root's home (its SSH keys and credentials)" },
    { path: "/etc/shadow", what: "the host's password hashes" },
    { path: "/etc/sudoers.d", what: "the host's sudo rules" },
    { path: "/boot", what: "the host's kernels and boot loader" },
];

export { normalPath, pathsNest } from "../host/rules";

/** What the host's default Docker (and its containerd) own. Never ours. */
export const DEFAULT_DOCKER_PATHS: { path: string; what: string }[] = [
    { path: "/run/docker.sock", what: "the default Docker's socket" },
    { path: "/run/docker", what: "the default Docker's exec-root" },
    { path: "/run/docker.pid", what: "the default Docker's pidfile" },
    { path: "/etc/docker", what: "the default Docker's configuration directory" },
    { path: "/var/lib/docker", what: "the default Docker's data-root" },
    { path: "/var/lib/containerd", what: "containerd's data" },
    { path: "/run/containerd", what: "containerd's state and socket" },
];

/** Places whose content does not survive a reboot or is not a filesystem at all. */
export const VOLATILE_PATHS = ["/tmp", "/var/tmp", "/run", "/dev", "/proc", "/sys"];

/** The default Docker path p collides with (equal or nested), if any. */
export function defaultDockerCollision(p: string): { path: string; what: string } | undefined {
    return DEFAULT_DOCKER_PATHS.find((d) => pathsNest(p, d.path));
}

// ------------------------------------------------------------------- URLs

/** True when an http(s) URL (or template) carries user:password@. */
export function hasUserinfo(url: string): boolean {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url);
}

/** The URL with any user:password@ replaced, for messages and logs. */
export function redactUrl(url: string): string {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1***@");
}
