// The checksums of a published sysbox release, read from its SHA256SUMS asset.
// Pure helpers plus a dynamic resource whose create/read fetch the file, so
// `pulumi up --refresh` on the release stack picks up a build that finished
// after the release was created.
import * as pulumi from "../sdk";
import { DynamicResource, namedProvider } from "../dynamic";
import type { Arch } from "../config/schema";
import type { Inputs } from "../host/providers";
import { operatorError } from "../host/remote";
import { httpGet } from "./http";

/** `sha256  file` lines (sha256sum's format) → file → sha256. */
export function parseSha256Sums(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split("\n")) {
        const m = /^([0-9a-f]{64}) [ *]?(\S+)\s*$/.exec(line.trim());
        if (m) out[m[2].replace(/^\.\//, "")] = m[1];
    }
    return out;
}

/** The .deb build-sysbox.sh writes for a version and arch. */
export function debName(version: string, arch: Arch): string {
    return `sysbox-ce_${version}.linux_${arch}.deb`;
}

export function releaseTag(version: string): string {
    return `sysbox-v${version}`;
}

export interface ChecksumInputs {
    /** <base>/<tag>/<file> is an asset's URL. */
    baseUrl: string;
    tag: string;
    version: string;
    archs: Arch[];
}

export interface ChecksumOutputs extends ChecksumInputs {
    /** "published" when every arch has a checksum; "pending" while the build has not published yet. */
    status: string;
    sha256: Partial<Record<Arch, string>>;
}

async function readChecksums(i: ChecksumInputs): Promise<ChecksumOutputs> {
    const url = `${i.baseUrl}/${i.tag}/SHA256SUMS`;
    let text: string | undefined;
    try {
        const r = await httpGet(url);
        if (r.status !== 200 && r.status !== 404) throw new Error(`HTTP ${r.status}`);
        text = r.status === 404 ? undefined : r.body;   // 404: the build has not published yet
    } catch (e) {
        throw operatorError(`cannot read the checksums of release ${i.tag} (${url}): ${(e as Error).message}`);
    }
    const sums = text === undefined ? {} : parseSha256Sums(text);
    const sha256: Partial<Record<Arch, string>> = {};
    for (const a of i.archs) {
        const s = sums[debName(i.version, a)];
        if (s) sha256[a] = s;
    }
    const status = i.archs.every((a) => sha256[a]) ? "published" : "pending";
    return { ...i, status, sha256 };
}

const checksumProvider: pulumi.dynamic.ResourceProvider = namedProvider("release-checksums", {
    async diff(_id: string, olds: ChecksumOutputs, news: ChecksumInputs): Promise<pulumi.dynamic.DiffResult> {
        const changes = (["baseUrl", "tag", "version"] as const).some((k) => olds[k] !== news[k])
            || JSON.stringify(olds.archs) !== JSON.stringify(news.archs) || olds.status !== "published";
        return { changes };
    },
    async create(inputs: ChecksumInputs): Promise<pulumi.dynamic.CreateResult> {
        const outs = await readChecksums(inputs);
        if (outs.status !== "published") {
            await pulumi.log.warn(`release ${inputs.tag}: no checksums published yet for ${inputs.archs.filter((a) => !outs.sha256[a]).join(", ")}; ` +
                "when its build has finished, run `pulumi up --refresh` on this stack (hosts refuse a release without a checksum)");
        }
        return { id: `${inputs.baseUrl}/${inputs.tag}`, outs };
    },
    async update(_id: string, _olds: ChecksumOutputs, news: ChecksumInputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: await readChecksums(news) };
    },
    async read(id: string, props: ChecksumOutputs): Promise<pulumi.dynamic.ReadResult> {
        return { id, props: await readChecksums(props) };
    },
});

export class ReleaseChecksums extends DynamicResource {
    public readonly status!: pulumi.Output<string>;
    public readonly sha256!: pulumi.Output<Partial<Record<Arch, string>>>;
    constructor(name: string, args: Inputs<ChecksumInputs>, opts?: pulumi.CustomResourceOptions) {
        super(checksumProvider, name, { ...args, status: undefined, sha256: undefined }, opts);
    }
}
