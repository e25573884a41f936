// Which .deb to install, in order of preference: custom release first (with
// upstream as fallback when allowed), or upstream (optionally via a mirror),
// or a file already on the host. Pure.
import { Arch, SysboxConfig, UPSTREAM_URL_TEMPLATE } from "../config/schema";
import { operatorError } from "./remote";

export interface Candidate {
    url: string;
    sha256: string;
    label: "custom" | "upstream" | "mirror" | "file";
    version: string;
}

export function fillTemplate(t: string, version: string, arch: Arch): string {
    return t.replace(/\{version\}/g, version).replace(/\{arch\}/g, arch);
}

function upstream(s: SysboxConfig, arch: Arch): Candidate[] {
    const sha = s.sha256[arch];
    if (!sha) return [];
    const out: Candidate[] = [];
    if (s.mirrorUrl) {
        out.push({ url: `${s.mirrorUrl.replace(/\/$/, "")}/sysbox-ce_${s.version}.linux_${arch}.deb`, sha256: sha, label: "mirror", version: s.version });
    }
    out.push({ url: fillTemplate(UPSTREAM_URL_TEMPLATE, s.version, arch), sha256: sha, label: "upstream", version: s.version });
    return out;
}

export function sysboxCandidates(s: SysboxConfig, arch: Arch): Candidate[] {
    if (s.source === "file" && s.file) {
        return [{ url: `file://${s.file.path}`, sha256: s.file.sha256, label: "file", version: s.file.version }];
    }
    if (s.source === "custom" && s.custom) {
        const sha = s.custom.sha256[arch];
        const custom: Candidate[] = sha
            ? [{ url: fillTemplate(s.custom.urlTemplate, s.custom.version, arch), sha256: sha, label: "custom", version: s.custom.version }]
            : [];
        return s.custom.fallbackToUpstream ? [...custom, ...upstream(s, arch)] : custom;
    }
    return upstream(s, arch);
}

/** Arches for which the configured source can install something. */
export function checksumArches(s: SysboxConfig): Arch[] {
    return (["amd64", "arm64"] as Arch[]).filter((a) => sysboxCandidates(s, a).length > 0);
}

/**
 * A host's sysbox from a release stack's `sysbox` output (SysboxRelease):
 * the release's custom .debs and checksums, with this host's own settings
 * (fallback, mirror, removeOnDestroy, openat2 rule). Throws an operator
 * message naming the key when the output is not a release.
 */
export function sysboxFromRelease(host: SysboxConfig, output: unknown): SysboxConfig {
    const stack = host.release?.stack ?? "?";
    const bad = (why: string): Error => operatorError(`containai:sysbox.release.stack: the stack ${stack} ${why}; ` +
        "point it at a release stack (one whose config has containai:release) that has run `pulumi up`");
    const o = output as { source?: unknown; custom?: { urlTemplate?: unknown; version?: unknown; sha256?: unknown } } | undefined;
    if (!o || o.source !== "custom" || !o.custom) throw bad("has no sysbox release output");
    const { urlTemplate, version, sha256 } = o.custom;
    if (typeof urlTemplate !== "string" || typeof version !== "string" || typeof sha256 !== "object" || sha256 === null) {
        throw bad("exports a sysbox output of another shape");
    }
    const sums = sha256 as Partial<Record<Arch, string>>;
    return {
        ...host,
        source: "custom",
        custom: { urlTemplate, version, sha256: sums, fallbackToUpstream: host.release?.fallbackToUpstream ?? true },
    };
}
