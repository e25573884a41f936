// The GitHub Actions workflow that builds sysbox-ce .debs from a pinned ref and
// publishes them with SHA256 checksums. Rendered here (built as data, written
// with the yaml package), written into the release repository by the
// SysboxRelease component (@pulumi/github).
import * as YAML from "yaml";
import { Arch, ReleaseConfig } from "../config/schema";

const RUNNER: Record<Arch, string> = { amd64: "ubuntu-24.04", arm64: "ubuntu-24.04-arm" };

export const WORKFLOW_PATH = ".github/workflows/build-sysbox.yml";

const script = (...lines: string[]): string => ["set -euo pipefail", ...lines].join("\n") + "\n";

export function renderReleaseWorkflow(r: ReleaseConfig): string {
    const workflow = {
        name: "build-sysbox",
        on: { workflow_dispatch: {}, push: { tags: ["sysbox-v*"] } },
        permissions: { contents: "write" },
        env: { SYSBOX_REF: r.sysboxRef },
        jobs: {
            build: {
                strategy: { "fail-fast": true, matrix: { include: r.archs.map((arch) => ({ arch, runner: RUNNER[arch] })) } },
                "runs-on": "${{ matrix.runner }}",
                steps: [
                    {
                        name: "Check out sysbox at the pinned ref",
                        run: script(
                            "git init sysbox && cd sysbox",
                            "git remote add origin https://github.com/nestybox/sysbox.git",
                            'git fetch --depth 1 origin "$SYSBOX_REF"',
                            "git checkout --detach FETCH_HEAD",
                            "git submodule update --init --recursive --depth 1",
                        ),
                    },
                    {
                        name: "Build the .deb with sysbox-pkgr",
                        run: script(
                            "cd sysbox",
                            "# sysbox >= 0.7.1 calls fusermount3: depend on fuse3, not fuse (v2).",
                            "sed -i 's/^\\(Depends:.*\\)\\bfuse\\b/\\1fuse3/' sysbox-pkgr/deb/sysbox-ce/control",
                            "ln -sfn ../ sysbox-pkgr/sources/sysbox",
                            "make -C sysbox-pkgr/deb generic EDITION=ce",
                        ),
                    },
                    {
                        name: "Collect the artifact and its checksum",
                        run: script(
                            'deb=$(ls sysbox/sysbox-pkgr/deb/build/${{ matrix.arch }}/*/sysbox-ce_*.deb | head -n1)',
                            "ver=$(dpkg-deb -f \"$deb\" Version | sed 's/\\.linux$//; s/-0$//')",
                            'out="sysbox-ce_${ver}.linux_${{ matrix.arch }}.deb"',
                            'cp "$deb" "$out"',
                            'sha256sum "$out" > "$out.sha256"',
                            'echo "ASSET=$out" >> "$GITHUB_ENV"',
                        ),
                    },
                    {
                        uses: "actions/upload-artifact@v4",
                        with: { name: "deb-${{ matrix.arch }}", path: "${{ env.ASSET }}\n${{ env.ASSET }}.sha256\n" },
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
                            "cat *.sha256 > SHA256SUMS",
                            'tag="${GITHUB_REF_NAME}"',
                            'case "$tag" in sysbox-v*) ;; *) tag="sysbox-build-$(date -u +%Y%m%d)-${GITHUB_RUN_NUMBER}";; esac',
                            'gh release create "$tag" --repo "$GITHUB_REPOSITORY" --title "$tag" \\',
                            '  --notes "sysbox-ce built from nestybox/sysbox@$SYSBOX_REF" *.deb *.sha256 SHA256SUMS',
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
