// Host compatibility rules, as data, evaluated by a pure function.
// Every refusal quotes the upstream error the operator would otherwise hit.
// Serialized into the Preflight dynamic provider: no imports here.

export interface HostFacts {
    os_id: string;          // ubuntu | debian | ...
    os_version: string;     // VERSION_ID, e.g. "24.04", "12"
    kernel: string;         // uname -r
    arch: string;           // dpkg arch: amd64 | arm64 | ...
    pid1: string;           // comm of PID 1
    disk_free_mb: string;   // free MB on /var/lib
    missing_tools: string;  // space-separated
    apparmor: string;       // "yes" when AppArmor is enabled
    /** IPv4 routes other than the default one: "10.0.0.0/8@eth0 172.17.0.0/16@docker0". */
    routes?: string;
    /** Data-roots of dockerds on the host that are not ours (the default one included). */
    other_data_roots?: string;
    /** Online CPUs and total memory: the agents' default limits are half of each. */
    cpus?: string;
    memory_bytes?: string;
}

export interface Policy {
    sysboxVersion: string;
    allowUnfixedOpenat2: boolean;
    /** Arches the configured sysbox source has a checksum for. */
    checksumArches: string[];
    /** Stack-config key to name when the host's arch has no checksum. */
    checksumKey: string;
    minFreeMb: number;
    /** Each isolated daemon's bridge, with the config key that sets its CIDR. */
    bridges?: { key: string; name: string; cidr: string }[];
    /** Each isolated daemon's data-root, with its config key. */
    dataRoots?: { key: string; path: string }[];
    /** Our daemons' config files: dockerds started with them are ours, not "other". */
    ownConfigFiles?: string[];
}

export interface Verdict {
    refusals: string[];
    warnings: string[];
    apparmorDropin: boolean;
    apparmorDacOverride: boolean;
    idmappedMounts: boolean;
}

/** Minimum kernels from sysbox's distro-compat table (v0.7.x). */
export const DISTRO_MIN_KERNEL: { os: string; version: string; minKernel: string; tested: boolean }[] = [
    { os: "ubuntu", version: "18.04", minKernel: "5.3", tested: true },
    { os: "ubuntu", version: "20.04", minKernel: "5.4", tested: true },
    { os: "ubuntu", version: "22.04", minKernel: "5.15", tested: true },
    { os: "ubuntu", version: "24.04", minKernel: "6.8", tested: true },
    { os: "ubuntu", version: "24.10", minKernel: "6.11", tested: false },
    { os: "ubuntu", version: "25.04", minKernel: "6.14", tested: false },
    { os: "ubuntu", version: "25.10", minKernel: "6.17", tested: false },
    { os: "ubuntu", version: "26.04", minKernel: "6.17", tested: false },
    { os: "debian", version: "10", minKernel: "5.5", tested: true },
    { os: "debian", version: "11", minKernel: "5.5", tested: true },
    // Not in upstream's matrix; the package's own preinst accepts >= 5.5.
    { os: "debian", version: "12", minKernel: "5.5", tested: false },
    { os: "debian", version: "13", minKernel: "5.5", tested: false },
];

export const SUPPORTED_ARCHES = ["amd64", "arm64"];

/** "6.8.0-45-generic" → [6, 8, 0]. */
export function versionTuple(v: string): number[] {
    const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v.trim());
    if (!m) return [0, 0, 0];
    return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

export function versionAtLeast(v: string, min: string): boolean {
    const a = versionTuple(v), b = versionTuple(min);
    for (let i = 0; i < 3; i++) {
        if (a[i] !== b[i]) return a[i] > b[i];
    }
    return true;
}

// ------------------------------------------------------------------ CIDRs

export interface Cidr { base: number; bits: number; }

/** "a.b.c.d/n" (or a bare address: /32) with n in [minBits, maxBits]. */
export function parseNet(s: string, minBits = 0, maxBits = 32): Cidr | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(s.trim());
    if (!m) return undefined;
    const oct = m.slice(1, 5).map(Number);
    const bits = m[5] === undefined ? 32 : Number(m[5]);
    if (oct.some((o) => o > 255) || bits < minBits || bits > maxBits) return undefined;
    const addr = ((oct[0] << 24) >>> 0) + (oct[1] << 16) + (oct[2] << 8) + oct[3];
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return { base: (addr & mask) >>> 0, bits };
}

/** A bridge CIDR as the config takes it: prefix 8-30, the address part required. */
export function parseCidr(s: string): Cidr | undefined {
    return /\//.test(s) ? parseNet(s, 8, 30) : undefined;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    const bits = Math.min(a.bits, b.bits);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

function dotted(ip: number): string {
    return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** A network as iptables-save prints it: "10.1.0.0/16". */
export function formatNet(c: Cidr): string {
    return `${dotted(c.base)}/${c.bits}`;
}

/** First usable address of a CIDR, in CIDR notation (the bridge's gateway address). */
export function gatewayOf(cidr: string): string {
    const c = parseCidr(cidr);
    if (!c) throw new Error(`not a CIDR: ${cidr}`);
    return `${dotted(c.base + 1)}/${c.bits}`;
}

/** The network of a CIDR: "172.30.0.1/16" → "172.30.0.0/16". */
export function subnetOf(cidr: string): string {
    const c = parseCidr(cidr);
    if (!c) throw new Error(`not a CIDR: ${cidr}`);
    return `${dotted(c.base)}/${c.bits}`;
}

/**
 * The one normal form of an absolute path, as every check sees it: empty and
 * `.` segments dropped (`//`, `/./`, a trailing `/`), `..` applied lexically.
 * Callers that take paths from config refuse `..` first (see
 * config/checks.ts normalizePath): lexically and on a host with symlinks it can
 * mean different places.
 */
export function normalPath(p: string): string {
    const out: string[] = [];
    for (const seg of p.split("/")) {
        if (seg === "" || seg === ".") continue;
        if (seg === "..") out.pop();
        else out.push(seg);
    }
    return `/${out.join("/")}`;
}

/** True when a equals b or one contains the other, after normalPath ("/" contains everything; /var/run is /run). */
export function pathsNest(a: string, b: string): boolean {
    const n = (p: string): string => {
        const q = normalPath(p);
        return q === "/var/run" || q.startsWith("/var/run/") ? q.slice(4) : q;
    };
    const x = n(a), y = n(b);
    const within = (i: string, o: string): boolean => o === "/" || i === o || i.startsWith(`${o}/`);
    return within(x, y) || within(y, x);
}

/** Refusals for bridge CIDRs that clash with the host's routes (other than our own bridges). */
export function networkRefusals(f: HostFacts, p: Policy): string[] {
    const ours = new Set((p.bridges ?? []).map((b) => b.name));
    const routes = (f.routes ?? "").split(/\s+/).filter(Boolean).map((r) => {
        const [dst, dev] = r.split("@");
        return { dst, dev: dev ?? "", net: parseNet(dst) };
    }).filter((r) => r.net && !ours.has(r.dev));
    const out: string[] = [];
    for (const b of p.bridges ?? []) {
        const mine = parseCidr(b.cidr);
        if (!mine) continue;
        for (const r of routes) {
            if (r.net && cidrsOverlap(mine, r.net)) {
                out.push(`${b.key} ${b.cidr} overlaps the host's route ${r.dst} on ${r.dev || "?"}; ` +
                    "containers could not reach that network and traffic would be misrouted; pick a range the host " +
                    "does not use (e.g. 172.30.0.1/16, 10.213.0.1/16)");
            }
        }
    }
    for (const d of p.dataRoots ?? []) {
        for (const other of (f.other_data_roots ?? "").split(/\s+/).filter(Boolean)) {
            if (pathsNest(d.path, other)) {
                out.push(`${d.key} ${d.path} overlaps ${other}, the data-root of another dockerd on this host ` +
                    "(the default Docker or one we do not manage); give the isolated daemon its own directory");
            }
        }
    }
    return out;
}

export function evaluate(f: HostFacts, p: Policy): Verdict {
    const refusals: string[] = [];
    const warnings: string[] = [];
    const os = (f.os_id || "").toLowerCase();
    const ver = f.os_version || "";

    if (!SUPPORTED_ARCHES.includes(f.arch)) {
        refusals.push(`architecture ${f.arch || "unknown"} is not supported by sysbox; use an amd64 or arm64 host`);
    } else if (!p.checksumArches.includes(f.arch)) {
        refusals.push(`no sha256 pinned for sysbox ${p.sysboxVersion} on ${f.arch}; set ${p.checksumKey}.${f.arch} ` +
            `to the checksum of the ${f.arch} .deb`);
    }
    if (f.pid1 !== "systemd") {
        refusals.push(`systemd must be PID 1 (found "${f.pid1 || "unknown"}"); sysbox and the isolated daemon run as systemd units`);
    }
    const row = DISTRO_MIN_KERNEL.find((r) => r.os === os && r.version === ver);
    if (!row) {
        refusals.push(`${os || "unknown distro"} ${ver} is not supported by the sysbox package ` +
            `(Ubuntu 18.04-26.04 and Debian 10-13 are); other distros need sysbox built from source`);
    } else {
        if (!versionAtLeast(f.kernel, row.minKernel)) {
            refusals.push(`kernel ${f.kernel} is older than ${row.minKernel}, the minimum for ${os} ${ver}; ` +
                `upgrade the kernel (sysbox-fs/idmapped mounts need it)`);
        }
        if (!row.tested) warnings.push(`${os} ${ver} is outside sysbox's tested distro matrix`);
    }
    if (os === "ubuntu" && ver === "25.10" && /^6\.17\./.test(f.kernel)) {
        refusals.push(`Ubuntu 25.10 kernel ${f.kernel} breaks sysbox containers: "nsenter: failed to set rootfs ` +
            `parent mount propagation to private: Permission denied" (no upstream fix as of sysbox 0.7.1); ` +
            `boot a mainline or 6.14 kernel`);
    }
    if (!versionAtLeast(p.sysboxVersion, "0.7.0") && !p.allowUnfixedOpenat2) {
        refusals.push(`sysbox ${p.sysboxVersion} lacks the openat2 fix: Docker >= 28.5.2 inside agents fails with ` +
            `"unsafe procfs detected: openat2 /proc/./sys/net/ipv4/ip_unprivileged_port_start: invalid cross-device link"; ` +
            `use sysbox >= 0.7.0, or set containai:sysbox.allowUnfixedOpenat2 true if inner runc is < 1.3.3`);
    }
    const idmappedMounts = versionAtLeast(f.kernel, "5.12");
    if (!idmappedMounts) warnings.push(`kernel ${f.kernel} has no idmapped mounts (< 5.12): sysbox needs shiftfs`);
    const free = Number(f.disk_free_mb);
    if (Number.isFinite(free) && free < p.minFreeMb) {
        refusals.push(`only ${free} MB free under /var/lib; at least ${p.minFreeMb} MB are needed`);
    }
    if (f.missing_tools && f.missing_tools.trim()) {
        refusals.push(`required tools missing: ${f.missing_tools.trim()}; install them (apt-get install ...) and retry`);
    }
    refusals.push(...networkRefusals(f, p));
    const apparmorDropin = os === "ubuntu" && versionAtLeast(ver, "25.4") && f.apparmor === "yes";
    const apparmorDacOverride = apparmorDropin && versionAtLeast(ver, "25.10");
    return { refusals, warnings, apparmorDropin, apparmorDacOverride, idmappedMounts };
}
