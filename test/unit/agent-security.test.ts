// Agent security (issue #23): path guardrails that hold after normalisation
// and on the host itself, SSH exposure, authorized_keys options, host keys
// OpenSSH can load, control sockets under a long HOME, credentials in URLs.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { after, before, describe, it } from "mocha";
import { checkConfig, RawConfig } from "../../components/config/schema";
import { authorizedKeyProblem, normalizePath } from "../../components/config/checks";
import { agentSecretLines, agentSourceLines, CONTROL_DIR_MAX, sshControlDir } from "../../components/agent/agent";
import { generateHostKey, hostKeyProblem } from "../../components/agent/hostkeys";
import { AGENT_DATA_LAYOUT, dataLayoutOf, hostKeyId, hostKeyProvider } from "../../components/agent/providers";
import { renderOperatorSshConfig } from "../../components/render/ssh";
import { renderEgress, renderSecretsWatchUnit } from "../../components/render/daemon";
import { mountViolations } from "../../policy/rules";
import { engineAddress, recordRun } from "../../components/runs";
import { CONTAINER_TYPE, dockerTarget, pendingCreates } from "../../fleet/pending";
import { BROKEN_HOSTKEY as BROKEN, BROKEN_HOSTKEY_PUB as BROKEN_PUB, matchSnapshot, projectRoot } from "../helpers";

const SSH = { host: "10.0.0.5", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==", privateKeyFile: "/k" };
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==";
const agent = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ name: "alpha", image: "local/agent:1", authorizedKeys: [KEY], ...extra });
const problemsOf = (raw: RawConfig, secret: string[] = []): { key: string; message: string }[] => checkConfig(raw, new Set(secret)).problems;
function refused(extra: Record<string, unknown>, key: string, re: RegExp): void {
    const ps = problemsOf({ ssh: SSH, agents: [agent(extra)] });
    const hit = ps.find((p) => p.key === key);
    assert.ok(hit, `no problem for ${key}; got ${JSON.stringify(ps)}`);
    assert.match(hit.message, re);
}
const mount = (source: string, target = "/data"): Record<string, unknown> => ({ mounts: [{ source, target }] });
const which = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

describe("agent security: paths hold after normalisation", () => {
    it("one normal form: '.', '//' and a trailing '/' are dropped; '..' is refused", () => {
        assert.deepEqual(normalizePath("/var/./run//docker.sock/"), { path: "/var/run/docker.sock" });
        assert.deepEqual(normalizePath("//srv/data/."), { path: "/srv/data" });
        assert.deepEqual(normalizePath("/"), { path: "/" });
        assert.match(normalizePath("/srv/../etc").problem ?? "", /contains '\.\.'/);
        assert.match(normalizePath("srv/data").problem ?? "", /not an absolute path/);
    });

    it("every spelling of a forbidden mount source is refused (the seed's bypasses)", () => {
        const cases: [string, RegExp][] = [
            ["/var/./run/docker.sock", /host's \/run and \/var\/run/],
            ["/./var/lib/containai-docker/volumes", /daemon containai-docker's data-root/],
            ["//var/lib/docker/", /the default Docker's data-root/],
            ["/./proc/1/root", /host kernel interfaces/],
            ["/dev/./kvm", /host kernel interfaces/],
            ["/etc/containai", /daemon containai-docker's configuration directory/],
            ["/etc/containai/docker/", /daemon containai-docker's configuration directory/],
            ["/etc/containai/other", /the isolated daemons' configuration/],
            ["/root/.ssh", /root's home/],
            ["/./root", /root's home/],
            ["/home/ops/.ssh", /\.ssh directory/],
            ["/etc/ssh/", /SSH server keys/],
            ["/etc", /exposes/],
            ["/", /exposes/],
            ["/var/lib/containai/workspaces", /containai-infra's host state and the agents' workspaces/],
        ];
        for (const [source, re] of cases) refused(mount(source), "containai:agents[0].mounts[0].source", re);
    });

    it("every spelling of a forbidden mount target is refused", () => {
        refused(mount("/srv/x", "/./proc/sys"), "containai:agents[0].mounts[0].target", /\/proc inside an agent is the runtime's/);
        refused(mount("/srv/x", "/sys/."), "containai:agents[0].mounts[0].target", /\/sys inside an agent/);
        refused(mount("/srv/x", "/var//lib/docker/"), "containai:agents[0].mounts[0].target", /inner Docker data or config/);
        refused(mount("/srv/x", "/home/agent/./workspace"), "containai:agents[0].mounts[0].target", /workspace's own mount/);
    });

    it("what lands in the mount spec is the normal form that was checked", () => {
        const { config, problems } = checkConfig({ ssh: SSH, agents: [agent({
            workspace: "/srv//ws/alpha/", workspacePath: "/home/agent/./work",
            mounts: [{ source: "/srv/./datasets/", target: "//data/" }],
        })] });
        assert.deepEqual(problems, []);
        const a = config.agents[0];
        assert.equal(a.workspace, "/srv/ws/alpha");
        assert.equal(a.workspacePath, "/home/agent/work");
        assert.deepEqual(a.mounts, [{ source: "/srv/datasets", target: "/data", type: "bind", readOnly: false }]);
    });

    it("daemon paths and workspaces are checked in their normal form too", () => {
        const ps = problemsOf({ ssh: SSH, daemons: [{ dataRoot: "/var/lib/./docker/" }] });
        assert.ok(ps.some((p) => p.key === "containai:daemons[0].dataRoot" && /overlaps \/var\/lib\/docker/.test(p.message)), JSON.stringify(ps));
        refused({ workspace: "/var/./lib/docker/ws" }, "containai:agents[0].workspace", /overlaps the default Docker's data-root/);
        refused({ workspace: "/root/ws" }, "containai:agents[0].workspace", /root's home/);
        refused({ workspace: "/var/lib/containai/sysbox" }, "containai:agents[0].workspace", /host state/);
        refused({ workspace: "/etc/containai/ws" }, "containai:agents[0].workspace", /isolated daemons' configuration/);
    });

    it("a bind source that reaches another agent's workspace is refused", () => {
        const ps = problemsOf({ ssh: SSH, agents: [agent({ workspace: "/srv/ws/alpha" }),
            agent({ name: "beta", workspace: "/srv/ws/beta", mounts: [{ source: "/srv/ws", target: "/all" }] })] });
        assert.ok(ps.some((p) => p.key === "containai:agents[1].mounts[0].source" && /reaches agent alpha's workspace/.test(p.message)),
            JSON.stringify(ps));
    });

    it("the policy pack judges the normal form as well", () => {
        for (const source of ["/var/./run/docker.sock", "/./var/lib/containai-docker/volumes", "//proc/", "/etc/./containai", "/root/.ssh"]) {
            assert.equal(mountViolations({ mounts: [{ type: "bind", source, target: "/x" }] }).length, 1, source);
        }
        assert.deepEqual(mountViolations({ mounts: [{ type: "bind", source: "/srv/data", target: "/x" }] }), []);
    });

    it("the host step is told every bind source, with the config key it came from", () => {
        const { config } = checkConfig({ ssh: SSH, agents: [agent(), agent({ name: "beta",
            mounts: [{ source: "cache", target: "/c" }, { source: "/srv/./d", target: "/d" }] })] });
        assert.equal(agentSourceLines(config.agents, (n) => config.agents.findIndex((a) => a.name === n)), [
            "alpha containai:agents[0].workspace /var/lib/containai/workspaces/alpha missing-ok",
            "beta containai:agents[1].workspace /var/lib/containai/workspaces/beta missing-ok",
            "beta containai:agents[1].mounts[1].source /srv/d",
        ].join("\n"));
    });
});

describe("agent security: sources checked on the host (lib.sh source_problem, real bash and files)", () => {
    // Runs the host function on this machine's own filesystem, in a temp dir. The login user is
    // trusted like root (SUDO_UID): this user when not root, so the test runs either way.
    const lib = path.join(projectRoot(), "host-scripts", "lib.sh");
    const me = os.userInfo().uid;
    const problem = (p: string, extra = "", trusted = me === 0 ? "" : String(me)): string => {
        const r = spawnSync("bash", ["-c", `CONTAINAI_LIB=1; . "$1"; source_problem "$2" "$3"`, "_", lib, p, extra],
            { encoding: "utf8", env: { PATH: process.env.PATH, SUDO_UID: trusted, SUDO_USER: "" } });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim();
    };
    let dir = "";
    before(() => {
        dir = fs.mkdtempSync(path.join("/tmp", "containai-src-"));
        fs.chmodSync(dir, 0o755);
        fs.mkdirSync(path.join(dir, "real"));
        fs.symlinkSync(path.join(dir, "real"), path.join(dir, "link"));
        fs.mkdirSync(path.join(dir, "open"), { mode: 0o777 });
        fs.chmodSync(path.join(dir, "open"), 0o777);
        fs.mkdirSync(path.join(dir, "open", "x"));
        fs.mkdirSync(path.join(dir, "user"));
        fs.mkdirSync(path.join(dir, "user", "x"));
        if (me === 0) fs.chownSync(path.join(dir, "user"), 1000, 1000);
    });
    after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

    it("a plain directory of root's is safe; a missing one is refused unless missing-ok", () => {
        assert.equal(problem(path.join(dir, "real")), "");
        assert.match(problem(path.join(dir, "nope")), /does not exist on the host/);
        assert.equal(problem(path.join(dir, "nope", "deeper"), "missing-ok"), "");
    });

    it("a symlink anywhere on the path is refused, naming where it points", () => {
        assert.match(problem(path.join(dir, "link")), new RegExp(`${dir}/link is a symlink \\(to ${dir}/real\\)`));
        fs.mkdirSync(path.join(dir, "real", "inner"), { recursive: true });
        assert.match(problem(path.join(dir, "link", "inner")), /link is a symlink/);
        // /var/run is a symlink on Debian: the kernel would follow it, so the check does too.
        if (fs.lstatSync("/var/run").isSymbolicLink()) assert.match(problem("/var/run/x"), /\/var\/run is a symlink/);
    });

    it("a path others could swap after the check is refused (writable parent, parent of another uid)", () => {
        assert.match(problem(path.join(dir, "open", "x")), /is writable by others \(mode 777\)/);
        if (me === 0) assert.match(problem(path.join(dir, "user", "x")), /belongs to uid 1000: .* could be swapped/);
        // Not root: the same rule, seen with this user not trusted.
        else assert.match(problem(path.join(dir, "user", "x"), "", "0"), new RegExp(`belongs to uid ${me}: .* could be swapped`));
    });

    it("sockets are refused, and a source holding the login user's ~/.ssh", () => {
        const sock = path.join(dir, "real", "s.sock");
        const server = net.createServer().listen(sock);
        try {
            assert.match(problem(sock), /socket, device or pipe/);
        } finally {
            server.close();
        }
        const home = os.userInfo().homedir;
        assert.match(problem(home), new RegExp(`${home}/\\.ssh, the login user's SSH keys`));
        assert.match(problem("/"), /login user's SSH keys/);
    });
});

describe("agent security: SSH exposure and the operator's config", () => {
    it("sshBind off loopback needs exposeSsh, and warns while it is on", () => {
        refused({ sshBind: "0.0.0.0" }, "containai:agents[0].sshBind", /every interface of the host.*exposeSsh' true/);
        refused({ sshBind: "10.0.0.5" }, "containai:agents[0].sshBind", /the host's address 10\.0\.0\.5/);
        const on = checkConfig({ ssh: SSH, agents: [agent({ sshBind: "0.0.0.0", exposeSsh: true })] });
        assert.deepEqual(on.problems, []);
        assert.ok(on.warnings.some((w) => w.key === "containai:agents[0].sshBind" && /listens on every interface/.test(w.message)));
        assert.deepEqual(checkConfig({ ssh: SSH, agents: [agent({ sshBind: "127.0.0.2" })] }).problems, []);
    });

    it("the generated config pins ProxyJump: an operator's `Host *` ProxyJump reroutes nothing", () => {
        const text = renderOperatorSshConfig({ stack: "s", knownHostsFile: "~/.ssh/k", host: { alias: "h", hostName: "10.0.0.5", port: 22, user: "ops", hostKey: KEY },
            agents: [{ alias: "s-a", agent: "a", bind: "127.0.0.1", port: 2300, user: "agent", hostKey: KEY },
                { alias: "s-b", agent: "b", bind: "0.0.0.0", port: 2301, user: "agent", hostKey: KEY }] });
        assert.match(text, /Host h\n {2}HostName 10\.0\.0\.5\n {2}Port 22\n {2}User ops\n {2}ProxyJump none\n/);
        assert.match(text, /Host s-a\n.*\n.*\n.*\n {2}ProxyJump h\n/);
        assert.match(text, /Host s-b\n.*\n.*\n.*\n {2}ProxyJump none\n/);
        // Real OpenSSH: with an operator's `Host *` ProxyJump after our (included first) file, ours wins.
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-sshcfg-"));
        try {
            fs.writeFileSync(path.join(tmp, "ours.conf"), text);
            fs.writeFileSync(path.join(tmp, "config"), `Include ${tmp}/ours.conf\n\nHost *\n  ProxyJump elsewhere.invalid\n`);
            const g = (alias: string): string => spawnSync("ssh", ["-F", path.join(tmp, "config"), "-G", alias], { encoding: "utf8" }).stdout;
            assert.doesNotMatch(g("h"), /^proxyjump elsewhere/m);
            assert.match(g("s-a"), /^proxyjump h$/m);
            assert.doesNotMatch(g("s-b"), /^proxyjump elsewhere/m);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("control sockets stay short whatever HOME is (and the kernel accepts the longest)", async () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-ctl-"));
        try {
            const short = path.join(tmp, "s");
            assert.equal(sshControlDir(path.join(tmp, "c"), short), path.join(tmp, "c"));
            const long = path.join(tmp, "home", "firstname.lastname.with.a.long.name", ".cache", "containai-infra", "ssh");
            const dir = sshControlDir(long, short);
            assert.equal(dir, short);
            assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
            // The default short place is a fixed, private path.
            assert.ok(`/tmp/containai-ssh-${os.userInfo().uid}`.length <= CONTROL_DIR_MAX);
            // A directory of the longest allowed length still holds OpenSSH's temporary master socket.
            const longest = `/tmp/${"d".repeat(CONTROL_DIR_MAX - 5)}`;
            fs.mkdirSync(longest, { recursive: true });
            try {
                const sock = `${longest}/${"c".repeat(40)}.${"r".repeat(16)}`;
                await new Promise<void>((resolve, reject) => {
                    const s = net.createServer().on("error", reject).listen(sock, () => s.close(() => resolve()));
                });
            } finally {
                fs.rmSync(longest, { recursive: true, force: true });
            }
            // Someone else's (or an open) directory in the short place is refused, not used.
            fs.chmodSync(short, 0o777);
            assert.throws(() => sshControlDir(long, short), /is not a private directory of uid/);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});

describe("agent security: authorized_keys with OpenSSH options", () => {
    const ok = [
        `restrict ${KEY}`,
        `from="10.0.0.0/8,192.168.1.*",no-agent-forwarding ${KEY} me@laptop`,
        `command="echo \\"hi, there\\"",no-pty ${KEY}`,
        `NO-PORT-FORWARDING,permitopen="localhost:8080" ${KEY}`,
        `cert-authority,principals="ops" ${KEY}`,
    ];
    it("options are accepted verbatim, as sshd reads them", () => {
        for (const line of ok) assert.equal(authorizedKeyProblem(line), undefined, line);
        const { config, problems } = checkConfig({ ssh: SSH, agents: [agent({ authorizedKeys: ok })] });
        assert.deepEqual(problems, []);
        assert.deepEqual(config.agents[0].authorizedKeys, ok);
    });

    it("broken option syntax, unknown options and a missing key are refused with the reason", () => {
        const cases: [string, RegExp][] = [
            [`command=echo ${KEY}`, /without a quoted value/],
            [`command="echo ${KEY}`, /unterminated quote/],
            [`frm="x" ${KEY}`, /unknown option "frm"/],
            [`restrict=1 ${KEY}`, /takes no value/],
            [`ssh-dss ${KEY}`, /unknown key type "ssh-dss"/],
            [`from ${KEY}`, /without its value/],
            ["restrict", /has options but no key/],
            [`restrict ssh-ed25519 AAAA`, /not valid base64|too short/],
            ["command=\"x\"", /has options but no key/],
        ];
        for (const [line, re] of cases) assert.match(authorizedKeyProblem(line) ?? "(accepted)", re, line);
        refused({ authorizedKeys: [`frm="x" ${KEY}`] }, "containai:agents[0].authorizedKeys[0]", /unknown option "frm".*options before it are kept/);
    });

    it("what is accepted, real OpenSSH parses as a key line too (ssh-keygen -l)", () => {
        assert.ok(which("ssh-keygen"), "ssh-keygen (openssh-client, installed by scripts/bootstrap.sh) is needed");
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-ak-"));
        try {
            const pub = path.join(tmp, "k");
            spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", pub]);
            const real = fs.readFileSync(`${pub}.pub`, "utf8").trim();
            for (const line of ok.map((l) => l.replace(KEY, real))) {
                assert.equal(authorizedKeyProblem(line), undefined, line);
                fs.writeFileSync(path.join(tmp, "ak"), `${line}\n`);
                const r = spawnSync("ssh-keygen", ["-l", "-f", path.join(tmp, "ak")], { encoding: "utf8" });
                assert.equal(r.status, 0, `${line}: ${r.stderr}`);
            }
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});

describe("agent security: generated host keys load in OpenSSH", () => {
    it("a key with a short public half is found, and real OpenSSH agrees", () => {
        assert.match(hostKeyProblem(BROKEN, BROKEN_PUB) ?? "", /32-byte/);
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-hk-"));
        try {
            fs.writeFileSync(path.join(tmp, "k"), BROKEN, { mode: 0o600 });
            assert.notEqual(spawnSync("ssh-keygen", ["-y", "-f", path.join(tmp, "k")]).status, 0);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("generation checks every key and generates again when one is broken", () => {
        let calls = 0;
        const k = generateHostKey("t", (comment) => {
            calls += 1;
            if (calls === 1) return { private: BROKEN, public: `${BROKEN_PUB} ${comment}` };
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return (require("ssh2") as typeof import("ssh2")).utils.generateKeyPairSync("ed25519", { comment });
        });
        assert.equal(calls, 2);
        assert.equal(hostKeyProblem(k.privateKey, k.publicKey), undefined);
        assert.throws(() => generateHostKey("t", () => ({ private: BROKEN, public: BROKEN_PUB }), 3), /could not generate a valid ed25519 host key in 3 tries/);
    });

    it("a mismatched public line is found", () => {
        const a = generateHostKey("a"), b = generateHostKey("b");
        assert.match(hostKeyProblem(a.privateKey, b.publicKey) ?? "", /does not match/);
    });

    it("a stack holding a broken key gets a new one (replaced, so the container and the pinned entries follow)", async () => {
        const diff = hostKeyProvider.diff as NonNullable<typeof hostKeyProvider.diff>;
        const bad = await diff("hostkey-a", { agent: "a", privateKey: BROKEN, publicKey: BROKEN_PUB }, { agent: "a" });
        assert.deepEqual(bad, { changes: true, replaces: ["privateKey"] });
        const good = generateHostKey("a");
        assert.deepEqual(await diff("hostkey-a", { agent: "a", ...good }, { agent: "a" }), { changes: false });
        const created = await (hostKeyProvider.create as NonNullable<typeof hostKeyProvider.create>)({ agent: "a" });
        assert.equal(hostKeyProblem(created.outs.privateKey, created.outs.publicKey), undefined);
        // A new key records the current data layout in its ID (a replaced broken key too: its container is re-created anyway).
        assert.equal(created.id, hostKeyId("a"));
        assert.equal(dataLayoutOf(created.id), AGENT_DATA_LAYOUT);
        assert.equal(dataLayoutOf("hostkey-a"), 1, "keys made before layout 2");
        assert.equal(dataLayoutOf("hostkey-hostkey2-x"), 1, "an agent's name never reads as a layout");
    });

    it("600 generated keys all load in real OpenSSH (ssh-keygen -y gives the same public key)", function () {
        // Bounded by its count (600 ssh-keygen runs), not by the machine's speed.
        this.timeout(0);
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-hk-"));
        try {
            const keys = Array.from({ length: 600 }, (_, i) => generateHostKey(`k${i}`));
            keys.forEach((k, i) => fs.writeFileSync(path.join(tmp, `k${i}`), k.privateKey, { mode: 0o600 }));
            const r = spawnSync("bash", ["-c", 'for i in $(seq 0 599); do ssh-keygen -y -f "$1/k$i" | cut -d" " -f1-2 || echo "FAIL $i"; done', "_", tmp],
                { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
            assert.deepEqual(r.stdout.trim().split("\n"), keys.map((k) => k.publicKey));
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});

describe("agent security: credentials in the image archive URL", () => {
    const archive = { url: "https://ci:t0ken@images.example/agent.tar", sha256: "a".repeat(64) };
    it("refused from plaintext config, without repeating them; accepted when the agents are a secret", () => {
        const ps = problemsOf({ ssh: SSH, agents: [agent({ imageArchive: archive })] });
        const hit = ps.find((p) => p.key === "containai:agents[0].imageArchive.url");
        assert.ok(hit, JSON.stringify(ps));
        assert.match(hit.message, /carries credentials in plaintext config.*--secret/);
        assert.doesNotMatch(JSON.stringify(ps), /t0ken/);
        assert.deepEqual(problemsOf({ ssh: SSH, agents: [agent({ imageArchive: archive })] }, ["containai:agents"]), []);
    });
});

describe("agent security: egress policy (daemons[].egress)", () => {
    const daemonProblems = (egress: unknown): { key: string; message: string }[] => problemsOf({ ssh: SSH, daemons: [{ egress }] });
    it("blocks by default; the allow-list is normalised as iptables prints it", () => {
        const { config } = checkConfig({ ssh: SSH });
        assert.deepEqual(config.daemons[0].egress, { block: true, allow: [] });
        const ok = checkConfig({ ssh: SSH, daemons: [{ egress: { allow: [
            { cidr: "10.20.0.5" }, { cidr: "10.30.0.0/16", ports: [443, 8443] }, { cidr: "192.168.1.53/32", ports: [53], protocol: "udp" },
        ] } }] });
        assert.deepEqual(ok.problems, []);
        assert.deepEqual(ok.config.daemons[0].egress.allow, [
            { cidr: "10.20.0.5/32", protocol: "any", ports: [] },
            { cidr: "10.30.0.0/16", protocol: "tcp", ports: [443, 8443] },
            { cidr: "192.168.1.53/32", protocol: "udp", ports: [53] },
        ]);
        matchSnapshot("cai0.egress", renderEgress(ok.config.daemons[0]));
    });

    it("egress is per daemon: a per-agent setting is refused with the reason and where to put it", () => {
        refused({ egress: { allow: ["10.0.0.1"] } }, "containai:agents[0].egress", /root inside any agent can take another agent's address.*daemons\[j\]\.egress\.allow/);
    });

    it("bad entries are refused naming the key; the opt-out is warned about on every run", () => {
        const cases: [unknown, string, RegExp][] = [
            [{ allow: [{ cidr: "10.1.2.3/16" }] }, "containai:daemons[0].egress.allow[0].cidr", /host bits set; write the network 10\.1\.0\.0\/16/],
            [{ allow: [{ cidr: "fd00::1" }] }, "containai:daemons[0].egress.allow[0].cidr", /not an IPv4 address/],
            [{ allow: [{ cidr: "10.0.0.1", ports: [0] }] }, "containai:daemons[0].egress.allow[0].ports[0]", /outside 1-65535/],
            [{ allow: [{ cidr: "10.0.0.1", ports: [1, 2], protocol: "any" }] }, "containai:daemons[0].egress.allow[0].protocol", /any cannot have ports/],
            [{ allow: [{ cidr: "10.0.0.1", ports: Array.from({ length: 16 }, (_, i) => i + 1) }] }, "containai:daemons[0].egress.allow[0].ports", /at most 15/],
            [{ blok: true }, "containai:daemons[0].egress.blok", /unknown setting/],
        ];
        for (const [egress, key, re] of cases) {
            const hit = daemonProblems(egress).find((p) => p.key === key);
            assert.ok(hit, `${key}: ${JSON.stringify(daemonProblems(egress))}`);
            assert.match(hit.message, re);
        }
        const off = checkConfig({ ssh: SSH, daemons: [{ egress: { block: false } }] });
        assert.deepEqual(off.problems, []);
        assert.ok(off.warnings.some((w) => w.key === "containai:daemons[0].egress.block" && /cloud's metadata service/.test(w.message)));
        assert.equal(renderEgress(off.config.daemons[0]).split("\n")[1], "block no");
    });

    it("the network script turns the policy into exactly the rules its check expects (real iptables in a network namespace)", () => {
        // Root only: CI and the lab run as root. A private network namespace: nothing on this machine changes.
        assert.equal(os.userInfo().uid, 0, "needs root (unshare -n, iptables)");
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-egress-"));
        try {
            const { config } = checkConfig({ ssh: SSH, daemons: [{ egress: { allow: [{ cidr: "10.20.0.5" }, { cidr: "10.30.0.0/16", ports: [443] }] } }] });
            fs.writeFileSync(path.join(tmp, "cai0.egress"), renderEgress(config.daemons[0]));
            const script = path.join(projectRoot(), "host-scripts", "bridge-network.sh");
            const r = spawnSync("unshare", ["-n", "bash", "-c", `set -e; ip link add cai0 type bridge
                export EGRESS_DIR="$2"; bash "$1" start cai0 172.30.0.1/16 172.30.0.0/16; bash "$1" check cai0 172.30.0.1/16 172.30.0.0/16
                iptables-save -t mangle | grep -- '-A CAI-cai0-EGR'
                iptables -t mangle -D CAI-cai0-EGR -d 169.254.0.0/16 -j DROP; bash "$1" check cai0 172.30.0.1/16 172.30.0.0/16 || echo "drift seen"
                bash "$1" start cai0 172.30.0.1/16 172.30.0.0/16; bash "$1" check cai0 172.30.0.1/16 172.30.0.0/16
                bash "$1" remove cai0; echo "left: $(iptables-save | grep -c CAI- || true) $(ip6tables-save | grep -c CAI- || true)"`,
            "_", script, tmp], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stdout + r.stderr);
            const out = r.stdout;
            assert.match(out, /^ok\n/);
            for (const rule of ["-d 10.20.0.5/32 -j RETURN", "-d 10.30.0.0/16 -p tcp -m multiport --dports 443 -j RETURN",
                "-p udp -m udp --dport 53 -j RETURN", "-m addrtype --dst-type LOCAL -j DROP", "-d 169.254.0.0/16 -j DROP",
                "-d 100.64.0.0/10 -j DROP", "-d 10.0.0.0/8 -j DROP", "-d 172.16.0.0/12 -j DROP", "-d 192.168.0.0/16 -j DROP"]) {
                assert.ok(out.includes(`-A CAI-cai0-EGR ${rule}`), rule);
            }
            // The allow-list comes before every drop.
            assert.ok(out.indexOf("10.20.0.5/32 -j RETURN") < out.indexOf("-j DROP"));
            assert.match(out, /rules-of:CAI-cai0-ISO,CAI-cai0-EGR.*\ndrift seen\nok\n/);
            assert.match(out, /left: 0 0$/m);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});

describe("agent security: secrets as files", () => {
    it("only from secret config; names checked; values never in a message", () => {
        const raw = { ssh: SSH, agents: [agent({ secrets: { GH_TOKEN: "v4lue-never-shown", "bad/name": "x" } })] };
        const plain = problemsOf(raw);
        const hit = plain.find((p) => p.key === "containai:agents[0].secrets");
        assert.ok(hit, JSON.stringify(plain));
        assert.match(hit.message, /GH_TOKEN, bad\/name in plaintext config: secrets are refused unless stored as Pulumi secrets.*--secret/);
        assert.doesNotMatch(JSON.stringify(plain), /v4lue-never-shown/);
        const secret = checkConfig(raw, new Set(["containai:agents"]));
        assert.ok(secret.problems.some((p) => p.key === "containai:agents[0].secrets.bad/name" && /not a file name/.test(p.message)));
        const ok = checkConfig({ ssh: SSH, agents: [agent({ secrets: { GH_TOKEN: "v" } })] }, new Set(["containai:agents"]));
        assert.deepEqual(ok.problems, []);
        assert.deepEqual(ok.config.agents[0].secrets, { GH_TOKEN: "v" });
        assert.equal(agentSecretLines(ok.config.agents), `alpha alpha 1000 GH_TOKEN ${Buffer.from("v").toString("base64")}`);
    });
});

describe("agent security: the secrets watcher (host-scripts/secrets-watch.sh, real bash and files; docker is a TEST DOUBLE)", () => {
    const WATCH = path.join(projectRoot(), "host-scripts", "secrets-watch.sh");
    const VALUE = "v4lue-never-shown\nsecond line";
    /**
     * A TEST DOUBLE of the docker CLI, as the watcher uses it: `inspect` says a
     * container runs when its name is in $FAKE/running; `exec ... C sh -c S _ ...`
     * runs S with /run/secrets standing for $FAKE/C; `events` reads the FIFO $FAKE/ev.
     * (The real CLI, dockerd and an agent's tmpfs: test/lab/agents.test.ts.)
     */
    function withFake(fn: (fake: string, env: NodeJS.ProcessEnv, store: string) => void): void {
        assert.equal(os.userInfo().uid, 0, "needs root (chown to the agent's uid)");
        const fake = fs.mkdtempSync(path.join(os.tmpdir(), "containai-secrets-"));
        try {
            fs.mkdirSync(path.join(fake, "bin"));
            fs.writeFileSync(path.join(fake, "bin", "docker"), `#!/usr/bin/env bash
set -euo pipefail
shift 2
case "$1" in
  inspect) if grep -qx -- "\${!#}" "$FAKE/running" 2>/dev/null; then echo true; else echo false; fi ;;
  exec) shift; while [[ $1 == -* ]]; do if [ "$1" = -u ]; then shift 2; else shift; fi; done
        c=$1; shift 3; s=$1; shift; exec sh -c "\${s//"/run/secrets"/$FAKE/$c}" "$@" ;;
  events) exec cat "$FAKE/ev" ;;
  *) echo "docker double: $*" >&2; exit 2 ;;
esac
`, { mode: 0o755 });
            fs.writeFileSync(path.join(fake, "running"), "ca\n");
            const env = { ...process.env, FAKE: fake, PATH: `${path.join(fake, "bin")}:${process.env.PATH}` };
            fn(fake, env, path.join(fake, "store"));
        } finally {
            fs.rmSync(fake, { recursive: true, force: true });
        }
    }
    const line = (agent: string, c: string, name: string, v: string): string => `${agent} ${c} 1000 ${name} ${Buffer.from(v).toString("base64")}`;
    const files = (dir: string): string => spawnSync("bash", ["-c", `cd "$1" && for f in $(ls -A | sort); do echo "$f $(stat -c '%u %a' "$f") $(sha256sum < "$f" | cut -c1-8)"; done`, "_", dir], { encoding: "utf8" }).stdout;
    const sha8 = (v: string): string => spawnSync("sha256sum", { input: v, encoding: "utf8" }).stdout.slice(0, 8);

    it("deliver: each file the agent user's, 0400, exact bytes; files no longer configured pruned; a stopped agent fails, naming it, never a value", () => withFake((fake, env, store) => {
        fs.writeFileSync(store, [line("a", "ca", "GH_TOKEN", VALUE), line("a", "ca", "OLD", "x"), line("b", "cb", "K", "y")].join("\n") + "\n");
        const r = spawnSync("bash", [WATCH, "deliver", "/s.sock", store], { env, encoding: "utf8" });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /agent b: its container is not running, so its secrets cannot be delivered; run `pulumi up --refresh`/);
        assert.doesNotMatch(r.stdout + r.stderr, /v4lue|djRsdWU/);
        assert.equal(files(path.join(fake, "ca")), `.containai-managed 0 400 ${sha8("GH_TOKEN\nOLD\n")}\nGH_TOKEN 1000 400 ${sha8(VALUE)}\nOLD 1000 400 ${sha8("x")}\n`);
        fs.writeFileSync(store, line("a", "ca", "GH_TOKEN", VALUE) + "\n");
        const again = spawnSync("bash", [WATCH, "deliver", "/s.sock", store], { env, encoding: "utf8" });
        assert.equal(again.status, 0, again.stderr);
        assert.equal(files(path.join(fake, "ca")), `.containai-managed 0 400 ${sha8("GH_TOKEN\n")}\nGH_TOKEN 1000 400 ${sha8(VALUE)}\n`);
    }));

    it("watch: a pass over the running agents, then each agent again when its container starts; exits when the event stream ends", () => withFake((fake, env, store) => {
        fs.writeFileSync(store, [line("a", "ca", "GH_TOKEN", VALUE), line("b", "cb", "K", "y")].join("\n") + "\n");
        // Events, once the first pass has written a's file: a start of something
        // not ours, then of cb (now running), then the stream ends.
        const script = `set -e; mkfifo "$FAKE/ev"; ( exec 3>"$FAKE/ev"; while [ ! -f "$FAKE/ca/GH_TOKEN" ]; do sleep 0.1; done
            echo unrelated >&3; echo cb >> "$FAKE/running"; echo cb >&3 ) &
            bash "$1" watch /s.sock "$2"`;
        const r = spawnSync("bash", ["-c", script, "_", WATCH, store], { env, encoding: "utf8", timeout: 300_000 });
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /secrets-watch: the event stream of \/s\.sock ended/);
        assert.equal(files(path.join(fake, "ca")), `.containai-managed 0 400 ${sha8("GH_TOKEN\n")}\nGH_TOKEN 1000 400 ${sha8(VALUE)}\n`);
        assert.equal(files(path.join(fake, "cb")), `.containai-managed 0 400 ${sha8("K\n")}\nK 1000 400 ${sha8("y")}\n`, "delivered on cb's start event");
        assert.doesNotMatch(r.stdout + r.stderr, /v4lue/);
    }));

    it("its unit follows the daemon and never gives up restarting", () => {
        const unit = renderSecretsWatchUnit({ name: "containai-docker", socket: "/var/run/containai-docker.sock" });
        matchSnapshot("secrets-watch.service", unit);
        assert.match(unit, /^ExecStart=\/usr\/local\/libexec\/containai\/containai-docker-secrets-watch watch \/var\/run\/containai-docker\.sock \/run\/containai\/secrets\/containai-docker$/m);
        assert.match(unit, /^PartOf=containai-docker\.service$/m);
        assert.match(unit, /^StartLimitIntervalSec=0$/m);
        assert.match(unit, /^Restart=always$/m);
    });
});

describe("agent security: recovering a killed run", () => {
    it("the program records its engine address with its stack, for recover (best effort, pruned after a week)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-runs-"));
        try {
            assert.equal(engineAddress(["/x/pulumi-language-nodejs", "-typescript=false", "127.0.0.1:35719"]), "127.0.0.1:35719");
            assert.equal(engineAddress(["node", "run"]), undefined);
            assert.equal(engineAddress(undefined), undefined);
            fs.writeFileSync(path.join(dir, "127.0.0.1_1"), "stack=old\n");
            fs.utimesSync(path.join(dir, "127.0.0.1_1"), new Date(0), new Date(0));
            const f = recordRun("web-01", "containai-infra", ["langhost", "127.0.0.1:35719"], dir);
            assert.equal(f, path.join(dir, "127.0.0.1_35719"));
            assert.equal(fs.readFileSync(f as string, "utf8"), `stack=web-01\nproject=containai-infra\npid=${process.pid}\n`);
            assert.deepEqual(fs.readdirSync(dir), ["127.0.0.1_35719"], "a week-old record is dropped");
            assert.equal(recordRun("s", "p", ["no", "engine"], dir), undefined);
            const notADir = path.join(dir, "127.0.0.1_35719");
            assert.equal(recordRun("s", "p", ["langhost", "127.0.0.1:2"], notADir), undefined, "never fails the run");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("pending creates and the docker provider's target are read from the exported state", () => {
        const provider = "urn:pulumi:s::containai-infra::containai:agent:Agents$pulumi:providers:docker::agents-containai-docker";
        const exported = { deployment: {
            resources: [{ urn: provider, type: "pulumi:providers:docker", id: "pid-1", inputs: {
                host: "ssh://ops@10.0.0.5:2222/var/run/containai-docker.sock",
                sshOpts: JSON.stringify(["-o", "HostKeyAlias=h", "-i", "/k"]),
            } }],
            pending_operations: [
                { type: "creating", resource: { urn: "urn:…::agents-omega-container", type: CONTAINER_TYPE, inputs: { name: "omega" }, provider: `${provider}::pid-1` } },
                { type: "updating", resource: { urn: "urn:…::agents-alpha-container", type: CONTAINER_TYPE, inputs: { name: "alpha" } } },
                { type: "creating", resource: { urn: "urn:…::agents-x-prepare", type: "pulumi-nodejs:dynamic:Resource", inputs: {} } },
            ],
        } };
        const p = pendingCreates(exported);
        assert.deepEqual(p.map((x) => [x.name, x.type]), [["omega", CONTAINER_TYPE], [undefined, "pulumi-nodejs:dynamic:Resource"]]);
        assert.deepEqual(dockerTarget(exported, p[0].provider), { user: "ops", host: "10.0.0.5", port: 2222,
            socket: "/var/run/containai-docker.sock", sshOpts: ["-o", "HostKeyAlias=h", "-i", "/k"] });
        assert.equal(dockerTarget(exported, undefined), undefined);
        assert.equal(dockerTarget(exported, "urn:other::id"), undefined);
    });
});
