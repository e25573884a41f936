// The GitHub Actions workflow that builds sysbox-ce .debs from a pinned ref and
// publishes them with SHA256 checksums. Rendered here (built as data, written
// with the yaml package), written into the release repository by the
// SysboxRelease component (@pulumi/github).
import * as YAML from "yaml";
import { Arch, ReleaseConfig } from "../config/schema";

const RUNNER: Record<Arch, string> = { amd64: "ubuntu-24.04", arm64: "ubuntu-24.04-arm" };

export const WORKFLOW_PATH = ".github/workflows/build-sysbox.yml";

const script = (...lines: string[]): string => ["set -euo pipefail", ...lines].join("\n") + "\n";

/**
 * The pinned ref is the repository's Actions variable SYSBOX_REF (managed by
 * SysboxRelease); a manual dispatch may build another ref. A `sysbox-v<version>`
 * tag stamps <version> and publishes into that tag's release.
 */
export function renderReleaseWorkflow(r: Pick<ReleaseConfig, "archs">): string {
    const workflow = {
        name: "build-sysbox",
        on: {
            workflow_dispatch: {
                inputs: { ref: { description: "sysbox ref to build (commit or vX.Y.Z); default: the SYSBOX_REF variable", required: false, type: "string" } },
            },
            push: { tags: ["sysbox-v*"] },
        },
        permissions: { contents: "write" },
        env: { SYSBOX_REF: "${{ inputs.ref || vars.SYSBOX_REF }}" },
        jobs: {
            build: {
                strategy: { "fail-fast": true, matrix: { include: r.archs.map((arch) => ({ arch, runner: RUNNER[arch] })) } },
                "runs-on": "${{ matrix.runner }}",
                steps: [
                    // This repository carries scripts/build-sysbox.sh (the one place the build is defined).
                    { uses: "actions/checkout@v4" },
                    {
                        name: "Build sysbox-ce at the pinned ref (required fixes checked, version stamped, fuse3)",
                        run: script(
                            'test -n "$SYSBOX_REF" || { echo "::error::no ref: set the SYSBOX_REF variable or the ref input"; exit 1; }',
                            "version_args=()",
                            'case "$GITHUB_REF_NAME" in sysbox-v*) version_args=(--version "${GITHUB_REF_NAME#sysbox-v}") ;; esac',
                            'bash scripts/build-sysbox.sh --ref "$SYSBOX_REF" --arch "${{ matrix.arch }}" "${version_args[@]}" --out out',
                        ),
                    },
                    {
                        uses: "actions/upload-artifact@v4",
                        with: { name: "deb-${{ matrix.arch }}", path: "out/*.deb\nout/*.deb.sha256\n" },
                    },
                ],
            },
            publish: {
                needs: "build",
                "runs-on": "ubuntu-24.04",
                steps: [
                    { uses: "actions/download-artifact@v4", with: { path: "dist", "merge-multiple": true } },
                    {
                        name: "Publish the release with checksums",
                        env: { GH_TOKEN: "${{ github.token }}" },
                        run: script(
                            "cd dist",
                            "cat ./*.deb.sha256 | sort -k2 > SHA256SUMS",
                            "sha256sum -c SHA256SUMS",
                            'tag="${GITHUB_REF_NAME}"',
                            'case "$tag" in sysbox-v*) ;; *) tag="sysbox-build-$(date -u +%Y%m%d)-${GITHUB_RUN_NUMBER}";; esac',
                            '# The release of a sysbox-v* tag may exist already (SysboxRelease creates it): add the assets to it.',
                            'if gh release view "$tag" --repo "$GITHUB_REPOSITORY" >/dev/null 2>&1; then',
                            '  gh release upload "$tag" --repo "$GITHUB_REPOSITORY" --clobber ./*.deb ./*.deb.sha256 SHA256SUMS',
                            "else",
                            '  gh release create "$tag" --repo "$GITHUB_REPOSITORY" --title "$tag" \\',
                            '    --notes "sysbox-ce built from nestybox/sysbox@$SYSBOX_REF" ./*.deb ./*.deb.sha256 SHA256SUMS',
                            "fi",
                        ),
                    },
                ],
            },
        },
    };
    const doc = new YAML.Document(workflow);
    doc.commentBefore = " Managed by containai-infra (Pulumi): edits here are overwritten.";
    return doc.toString({ lineWidth: 0 });
}
