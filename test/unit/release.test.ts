import * as assert from "node:assert/strict";
import { describe, it } from "mocha";
import { checkConfig, checkReleaseStack, validateConfig } from "../../components/config/schema";
import { parseSha256Sums, debName, releaseTag } from "../../components/release/checksums";
import { tokenScopeProblem } from "../../components/release/scope";
import { downloadBaseFromHtmlUrl, releaseSysboxOutput } from "../../components/release/release";
import { sysboxCandidates, sysboxFromRelease } from "../../components/host/sysboxSource";

describe("sysbox release: config, checksums, token scopes, consumption by hosts", () => {
    const SSH = { host: "10.0.0.5", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==", privateKeyFile: "/k" };
    const REL = { owner: "acme", repository: "sysbox-builds", sysboxRef: "v0.7.1", version: "0.7.1+containai.20261124" };
    const A = "a".repeat(64);
    const B = "b".repeat(64);

    it("a release stack: defaults, and every bad value named", () => {
        const { release, problems } = checkReleaseStack({ release: REL });
        assert.deepEqual(problems, []);
        assert.deepEqual(release, { ...REL, branch: "main", archs: ["amd64", "arm64"], publish: true, downloadBaseUrl: undefined, token: undefined });
        const bad = checkReleaseStack({ release: { ...REL, sysboxRef: "main", version: "0.6.7", owner: "-x", archs: ["s390x"] } }).problems;
        const keys = bad.map((p) => p.key).sort();
        assert.deepEqual(keys, ["containai:release.archs", "containai:release.owner", "containai:release.sysboxRef", "containai:release.version"]);
        assert.match(bad.find((p) => p.key === "containai:release.version")!.message, /older than 0\.7\.0, which lacks the openat2 fix/);
        // The token only as a secret.
        const plain = checkReleaseStack({ release: { ...REL, token: "ghp_x" } }).problems;
        assert.match(plain[0].message, /plaintext; set it as a secret: pulumi config set --secret --path containai:release\.token/);
        assert.deepEqual(checkReleaseStack({ release: { ...REL, token: "ghp_x" } }, new Set(["containai:release"])).problems, []);
        // Indexing an existing release needs to know where it is.
        assert.equal(checkReleaseStack({ release: { ...REL, publish: false } }).release!.downloadBaseUrl,
            "https://github.com/acme/sysbox-builds/releases/download");
        assert.match(checkReleaseStack({ release: { repository: "r", sysboxRef: "v0.7.1", version: "0.7.1", publish: false } }).problems[0].message,
            /missing: with publish false/);
    });

    it("a release stack holds the release only; a host stack may not hold one", () => {
        const r = checkReleaseStack({ release: REL, agents: [] });
        assert.equal(r.problems[0].key, "containai:agents");
        assert.match(r.problems[0].message, /a release stack .* converges no host/);
        const h = checkConfig({ ssh: SSH, release: REL }).problems;
        assert.equal(h[0].key, "containai:release");
        assert.match(h[0].message, /belongs in a release stack of its own.*sysbox\.source release/);
    });

    it("hosts select a release stack with sysbox.source release", () => {
        const c = validateConfig({ ssh: SSH, sysbox: { source: "release", release: { stack: "acme/containai-infra/sysbox" } } });
        assert.deepEqual(c.sysbox.release, { stack: "acme/containai-infra/sysbox", fallbackToUpstream: true });
        const ps = checkConfig({ ssh: SSH, sysbox: { source: "release" } }).problems;
        assert.match(ps.find((p) => p.key === "containai:sysbox.release")!.message, /missing: source is release/);
        assert.match(checkConfig({ ssh: SSH, sysbox: { source: "release", release: { stack: "a b" } } }).problems[0].message, /is not a stack name/);
    });

    it("SHA256SUMS parses as sha256sum writes it; names follow build-sysbox.sh", () => {
        const v = "0.7.1+containai.20261124";
        const sums = parseSha256Sums(`${A}  ${debName(v, "amd64")}\n${B} *${debName(v, "arm64")}\nnot a line\n`);
        assert.deepEqual(sums, { "sysbox-ce_0.7.1+containai.20261124.linux_amd64.deb": A, "sysbox-ce_0.7.1+containai.20261124.linux_arm64.deb": B });
        assert.equal(releaseTag(v), "sysbox-v0.7.1+containai.20261124");
    });

    it("token scopes: the workflow scope is required, and said so", () => {
        assert.equal(tokenScopeProblem(200, "repo, workflow, read:org", "k"), undefined);
        assert.match(tokenScopeProblem(200, "repo, read:org", "k")!, /^k: the token lacks the "workflow" scope \(it has: repo, read:org\)/);
        assert.match(tokenScopeProblem(200, "", "k")!, /it has: none/);
        assert.match(tokenScopeProblem(401, undefined, "k")!, /401 Bad credentials/);
        // Fine-grained tokens carry no X-OAuth-Scopes header: not decidable here.
        assert.equal(tokenScopeProblem(200, undefined, "k"), undefined);
    });

    it("what a release stack exports is what a host installs, with the host's own fallback", () => {
        const base = downloadBaseFromHtmlUrl("https://github.com/acme/sysbox-builds/releases/tag/sysbox-v0.7.2");
        assert.equal(base, "https://github.com/acme/sysbox-builds/releases/download");
        const out = releaseSysboxOutput(base, "0.7.2", { amd64: A });
        const host = validateConfig({ ssh: SSH, sysbox: { source: "release", release: { stack: "rel", fallbackToUpstream: false } } }).sysbox;
        const s = sysboxFromRelease(host, JSON.parse(JSON.stringify(out)));
        assert.deepEqual(sysboxCandidates(s, "amd64"), [{
            url: "https://github.com/acme/sysbox-builds/releases/download/sysbox-v0.7.2/sysbox-ce_0.7.2.linux_amd64.deb",
            sha256: A, label: "custom", version: "0.7.2",
        }]);
        // No checksum for an arch: nothing to install there (the preflight refuses, naming the release stack).
        assert.deepEqual(sysboxCandidates(s, "arm64"), []);
        assert.throws(() => sysboxFromRelease(host, undefined), /containai:sysbox\.release\.stack: the stack rel has no sysbox release output/);
        assert.throws(() => sysboxFromRelease(host, { source: "custom", custom: { version: 1 } }), /another shape/);
    });
});
