// containai:release:SysboxRelease: the sysbox build pipeline as code. It keeps
// the build workflow and script in a GitHub repository, the pinned sysbox ref
// as an Actions variable, and a GitHub release per version (its tag starts
// the build). It exports what hosts install, in the exact shape of
// `containai:sysbox` (source custom), read by host stacks through a
// StackReference (`containai:sysbox.source: release`). Run as its own stack
// of this program (a stack whose config has containai:release and no
// containai:ssh). Docs: docs/sysbox-builds.md.
import * as github from "@pulumi/github";
import * as pulumi from "../sdk";
import { Arch, NS, ReleaseConfig } from "../config/schema";
import { renderReleaseWorkflow, WORKFLOW_PATH } from "../render/workflow";
import { projectFile } from "../host/scripts";
import { debName, releaseTag, ReleaseChecksums } from "./checksums";
import { TokenScopeCheck } from "./scope";

export const BUILD_SCRIPT_PATH = "scripts/build-sysbox.sh";
export const REF_VARIABLE = "SYSBOX_REF";

/** What a host stack reads: `containai:sysbox` with source custom. */
export interface SysboxReleaseOutput {
    source: "custom";
    custom: { urlTemplate: string; version: string; sha256: Partial<Record<Arch, string>>; fallbackToUpstream: boolean };
}

export function releaseSysboxOutput(base: string, version: string, sha256: Partial<Record<Arch, string>>): SysboxReleaseOutput {
    return {
        source: "custom",
        custom: { urlTemplate: `${base}/${releaseTag(version)}/sysbox-ce_{version}.linux_{arch}.deb`, version, sha256, fallbackToUpstream: true },
    };
}

/** https://github.com/o/r/releases/tag/<tag> → https://github.com/o/r/releases/download */
export function downloadBaseFromHtmlUrl(htmlUrl: string): string {
    return htmlUrl.replace(/\/releases\/tag\/[^/]+$/, "/releases/download");
}

export interface SysboxReleaseArgs {
    release: ReleaseConfig;
    /** Token (secret); default: the github provider's own ($GITHUB_TOKEN). */
    token?: pulumi.Input<string>;
    /** GitHub API URL (GitHub Enterprise Server); default api.github.com. */
    apiUrl?: string;
    /** The build script committed next to the workflow (default: this project's scripts/build-sysbox.sh). */
    buildScript?: string;
}

export class SysboxRelease extends pulumi.ComponentResource {
    public readonly tag: string;
    /** `containai:sysbox` for hosts: { source: custom, custom: { urlTemplate, version, sha256, fallbackToUpstream } }. */
    public readonly sysbox: pulumi.Output<SysboxReleaseOutput>;
    /** Per arch: the asset URL and its sha256. */
    public readonly assets: pulumi.Output<Partial<Record<Arch, { url: string; sha256: string }>>>;
    /** "published" once every arch has a checksum, else "pending" (the build has not finished). */
    public readonly status: pulumi.Output<string>;
    constructor(name: string, args: SysboxReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:release:SysboxRelease", name, {}, opts);
        const r = args.release;
        if (!r.publish && !r.downloadBaseUrl) {
            throw new pulumi.RunError(`SysboxRelease: ${NS}:release.downloadBaseUrl is required when publish is false`);
        }
        this.tag = releaseTag(r.version);
        let base: pulumi.Output<string>;
        let published: pulumi.Resource[] = [];
        if (r.publish) {
            const provider = new github.Provider(`${name}-github`, {
                ...(r.owner ? { owner: r.owner } : {}),
                ...(args.token ? { token: args.token } : {}),
                ...(args.apiUrl ? { baseUrl: args.apiUrl } : {}),
            }, { parent: this });
            const withProvider = { parent: this, provider };
            // A token without the workflow scope is refused before anything is written.
            const scope = args.token ? [new TokenScopeCheck(`${name}-token-scopes`, {
                token: args.token, apiUrl: args.apiUrl ?? "https://api.github.com", key: `${NS}:release.token`,
            }, { parent: this })] : [];
            const script = args.buildScript ?? projectFile(BUILD_SCRIPT_PATH);
            const files = [
                new github.RepositoryFile(`${name}-workflow`, {
                    repository: r.repository, branch: r.branch, file: WORKFLOW_PATH, content: renderReleaseWorkflow(r),
                    commitMessage: "containai-infra: sysbox build workflow", overwriteOnCreate: true,
                }, { ...withProvider, dependsOn: scope }),
                new github.RepositoryFile(`${name}-script`, {
                    repository: r.repository, branch: r.branch, file: BUILD_SCRIPT_PATH, content: script,
                    commitMessage: "containai-infra: sysbox build script", overwriteOnCreate: true,
                }, { ...withProvider, dependsOn: scope }),
            ];
            const variable = new github.ActionsVariable(`${name}-ref`, {
                repository: r.repository, variableName: REF_VARIABLE, value: r.sysboxRef,
            }, { ...withProvider, dependsOn: scope });
            // Creating the release creates its tag on the branch, which starts the workflow.
            const rel = new github.Release(`${name}-release`, {
                repository: r.repository, tagName: this.tag, targetCommitish: r.branch, name: `sysbox ${r.version}`,
                body: `sysbox-ce ${r.version}, built from nestybox/sysbox@${r.sysboxRef} by ${WORKFLOW_PATH} ` +
                    `(${r.archs.join(", ")}); checksums in SHA256SUMS. Managed by containai-infra.`,
            }, { ...withProvider, dependsOn: [...files, variable] });
            published = [rel];
            base = r.downloadBaseUrl ? pulumi.output(r.downloadBaseUrl) : rel.htmlUrl.apply(downloadBaseFromHtmlUrl);
        } else {
            base = pulumi.output(r.downloadBaseUrl as string);
        }
        const sums = new ReleaseChecksums(`${name}-checksums`, {
            baseUrl: base, tag: this.tag, version: r.version, archs: r.archs,
        }, { parent: this, dependsOn: published });
        this.status = sums.status;
        this.sysbox = pulumi.all([base, sums.sha256]).apply(([b, sha]) => releaseSysboxOutput(b, r.version, sha));
        this.assets = pulumi.all([base, sums.sha256]).apply(([b, sha]) => Object.fromEntries(r.archs.filter((a) => sha[a])
            .map((a) => [a, { url: `${b}/${this.tag}/${debName(r.version, a)}`, sha256: sha[a] as string }])));
        this.registerOutputs({ sysbox: this.sysbox, assets: this.assets, status: this.status });
    }
}
