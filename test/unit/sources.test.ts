import * as assert from "node:assert/strict";
import { validateConfig } from "../../components/config/schema";
import { checksumArches, sysboxCandidates } from "../../components/host/sysboxSource";
import { findKnownHost, resolveConnection } from "../../components/config/load";
import { TEST_HOSTKEY } from "../helpers";
import { describe, it } from "mocha";

describe("sysbox sources and SSH connection", () => {
    const SSH = { host: "h", hostKey: TEST_HOSTKEY };
    const A = "a".repeat(64), B = "b".repeat(64);

    it("upstream: GitHub release name, pinned checksum", () => {
        const c = validateConfig({ ssh: SSH });
        const [cand] = sysboxCandidates(c.sysbox, "amd64");
        assert.equal(cand.url, "https://github.com/nestybox/sysbox/releases/download/v0.7.1/sysbox-ce_0.7.1.linux_amd64.deb");
        assert.equal(cand.sha256, "9d6d5484f980d0a17f86c492c1262015c2afb66280bdb97215b79fde6a0261c5");
        assert.deepEqual(checksumArches(c.sysbox), ["amd64"], "arm64 has no pinned upstream checksum yet");
    });

    it("mirror is tried before upstream", () => {
        const c = validateConfig({ ssh: SSH, sysbox: { mirrorUrl: "https://mirror.example/sysbox/" } });
        assert.deepEqual(sysboxCandidates(c.sysbox, "amd64").map((x) => x.label), ["mirror", "upstream"]);
        assert.equal(sysboxCandidates(c.sysbox, "amd64")[0].url, "https://mirror.example/sysbox/sysbox-ce_0.7.1.linux_amd64.deb");
    });

    it("custom is preferred, upstream is the fallback", () => {
        const c = validateConfig({ ssh: SSH, sysbox: { source: "custom", custom: {
            urlTemplate: "https://rel.example/v{version}/sysbox-ce_{version}.linux_{arch}.deb", version: "0.7.1+fix.1", sha256: { amd64: A, arm64: B } } } });
        const cands = sysboxCandidates(c.sysbox, "amd64");
        assert.deepEqual(cands.map((x) => x.label), ["custom", "upstream"]);
        assert.equal(cands[0].url, "https://rel.example/v0.7.1+fix.1/sysbox-ce_0.7.1+fix.1.linux_amd64.deb");
        assert.equal(cands[0].version, "0.7.1+fix.1");
        assert.equal(cands[1].version, "0.7.1");
        assert.deepEqual(sysboxCandidates(c.sysbox, "arm64").map((x) => x.label), ["custom"]);
    });

    it("custom without fallback", () => {
        const c = validateConfig({ ssh: SSH, sysbox: { source: "custom", custom: {
            urlTemplate: "https://r/{arch}.deb", sha256: { amd64: A }, fallbackToUpstream: false } } });
        assert.deepEqual(sysboxCandidates(c.sysbox, "amd64").map((x) => x.label), ["custom"]);
    });

    it("file source", () => {
        const c = validateConfig({ ssh: SSH, sysbox: { source: "file", file: { path: "/srv/sysbox.deb", sha256: A } } });
        assert.deepEqual(sysboxCandidates(c.sysbox, "arm64"), [{ url: "file:///srv/sysbox.deb", sha256: A, label: "file", version: "0.7.1" }]);
    });

    it("known_hosts lookup honours non-standard ports", () => {
        const text = "# c\n[127.0.0.1]:2221 ssh-ed25519 KEY1\nexample.org,1.2.3.4 ssh-ed25519 KEY2\n";
        assert.equal(findKnownHost(text, "127.0.0.1", 2221), "ssh-ed25519 KEY1");
        assert.equal(findKnownHost(text, "1.2.3.4", 22), "ssh-ed25519 KEY2");
        assert.equal(findKnownHost(text, "127.0.0.1", 22), undefined);
    });

    it("connection: key file and known_hosts resolve; missing ones name the key", () => {
        const files = { read: (p: string) => ({ "/k": "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n", "/k.pub": TEST_HOSTKEY, "/kh": `[h]:2222 ${TEST_HOSTKEY}\n`, "/kh-bad": "[h]:2222 ssh-ed25519 HK\n" } as Record<string, string>)[p] };
        const ssh = validateConfig({ ssh: { host: "h", port: 2222, privateKeyFile: "/k", knownHostsFile: "/kh" } }).ssh;
        const ok = resolveConnection(ssh, files, {});
        assert.deepEqual(ok.problems, []);
        // The key file is checked, and its path (not the key) travels to the provider.
        assert.equal(ok.connection?.privateKey, undefined);
        assert.equal(ok.connection?.privateKeyFile, "/k");
        const pub = resolveConnection({ ...ssh, privateKeyFile: "/k.pub" }, files, {});
        assert.match(pub.problems.map((p) => p.message).join(), /\/k\.pub is not a private key file/);
        assert.equal(ok.connection?.hostKey, TEST_HOSTKEY);
        // A known_hosts entry whose key does not decode names the file's key.
        const garbled = resolveConnection({ ...ssh, knownHostsFile: "/kh-bad" }, files, {});
        assert.deepEqual(garbled.problems.map((p) => p.key), ["containai:ssh.knownHostsFile"]);
        assert.match(garbled.problems[0].message, /the entry for h has key data that is not valid base64/);
        const bad = resolveConnection({ ...ssh, privateKeyFile: "/nope", knownHostsFile: "/nokh" }, files, {});
        assert.deepEqual(bad.problems.map((p) => p.key).sort(), ["containai:ssh.knownHostsFile", "containai:ssh.privateKeyFile"]);
        const none = resolveConnection({ ...ssh, privateKeyFile: undefined }, files, {});
        assert.match(none.problems[0].message, /no SSH credentials/);
    });
});
