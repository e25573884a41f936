// Pure checks shared by the config schema: OpenSSH public keys, paths that
// reach a shell or a mount, paths that belong to the host's default Docker,
// and URLs that carry credentials. No Pulumi imports.
import * as os from "os";
import * as path from "path";
import { pathsNest } from "../host/rules";

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

// ------------------------------------------------------------------ paths

/** Characters a managed path may hold: it reaches shell scripts, unit files and mount specs. */
export const SAFE_PATH_RE = /^\/[A-Za-z0-9._@%+=:,/-]*$/;

/** Why a path is unsafe to hand to a shell, a unit or a mount, or undefined. */
export function unsafePathProblem(p: string): string | undefined {
    if (!p.startsWith("/")) return "is not an absolute path; use a path starting with /";
    const bad = [...new Set(p.replace(/[A-Za-z0-9._@%+=:,/-]/g, ""))];
    if (bad.length > 0) {
        const shown = bad.map((ch) => (ch === "\n" ? "newline" : ch === "\t" ? "tab" : ch === " " ? "space" : `'${ch}'`)).join(", ");
        return `contains ${shown}: paths reach shell scripts, systemd units and mount specs, ` +
            "so only letters, digits and . _ - / @ % + = : , are allowed";
    }
    if (p.split("/").some((seg) => seg === "..")) return "contains '..'; use a plain absolute path";
    if (p.length > 1 && p.endsWith("/")) return "ends with '/'; drop the trailing slash";
    if (p.includes("//")) return "contains '//'; use a plain absolute path";
    return undefined;
}

/** /var/run is /run on every supported distro. */
export function canonicalPath(p: string): string {
    return p === "/var/run" || p.startsWith("/var/run/") ? p.slice(4) : p;
}

export { pathsNest } from "../host/rules";

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
