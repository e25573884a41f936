// devcontainer.json as the agent spec: the JSONC reader, the rule table (one
// case per pattern of the seed's compatibility matrix, and every rule
// exercised), the guardrails applied to what a file contributes, the
// translation into an agents[] entry, and the `check` command.
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, it, before, after } from "mocha";
import { assessDevcontainer, checkDevcontainerFile, DevcontainerContext, Finding, parseDevcontainer, RULES, Verdict } from "../../components/devcontainer";
import { main } from "../../components/devcontainer/cli";
import { checkConfig, defaultDaemon } from "../../components/config/schema";
import { projectRoot } from "../helpers";

let tmp: string;
const ctx = (extra: Partial<DevcontainerContext> = {}): DevcontainerContext => ({
    file: path.join(tmp, ".devcontainer", "devcontainer.json"), name: "dev", workspace: "/var/lib/containai/workspaces/dev",
    workspacePath: "/home/agent/workspace", env: { HOME: "/home/op", TOKEN: "s3cret" }, daemons: [defaultDaemon()], ...extra,
});
const assess = (doc: Record<string, unknown>, extra: Partial<DevcontainerContext> = {}) =>
    assessDevcontainer({ image: "debian:bookworm", ...doc }, ctx(extra));
const find = (fs: Finding[], property: string): Finding => {
    const f = fs.find((x) => x.property === property);
    assert.ok(f, `no finding for ${property}: ${fs.map((x) => x.property).join(", ")}`);
    return f;
};

describe("devcontainer.json as the agent spec", () => {
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-devcontainer-"));
        const feat = path.join(tmp, ".devcontainer", "features");
        fs.mkdirSync(path.join(feat, "hello"), { recursive: true });
        fs.writeFileSync(path.join(feat, "hello", "install.sh"), "#!/bin/sh\necho hello\n");
        fs.mkdirSync(path.join(feat, "empty"));
        fs.mkdirSync(path.join(tmp, "outside"));
        fs.writeFileSync(path.join(tmp, "outside", "install.sh"), "#!/bin/sh\n");
        fs.symlinkSync(path.join(tmp, "outside"), path.join(feat, "link"));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    describe("JSONC (jsonc-parser)", () => {
        it("comments, trailing commas and a byte-order mark are what the spec allows", () => {
            const r = parseDevcontainer("\ufeff// top\n{\n  /* block */ \"image\": \"debian:bookworm\", // line\n  \"runArgs\": [\"--init\",],\n}\n");
            assert.deepEqual(r.doc, { image: "debian:bookworm", runArgs: ["--init"] });
        });
        it("syntax errors carry line:column and what was expected; nothing is half-read", () => {
            assert.deepEqual(parseDevcontainer('{\n  "image": "x"\n  "name": "y"\n}').errors, ["3:3: a comma was expected"]);
            assert.match(parseDevcontainer('{ "image": "x').errors![0], /^1:12: a string is not closed/);
            assert.match(parseDevcontainer('{ /* open\n "image": "x" }').errors![0], /a comment is not closed/);
            assert.equal(parseDevcontainer('{ "a": [1,\n}').errors!.length, 1, "one error: the rest follow from it");
            assert.match(parseDevcontainer('{ "image": }').errors![0], /^1:12: a value was expected/);
        });
        it("the document is one object; empty, an array or a scalar is refused", () => {
            for (const t of ["", "[]", "\"x\"", "// only a comment\n"]) {
                assert.ok(parseDevcontainer(t).errors?.length, `accepted ${JSON.stringify(t)}`);
            }
            assert.deepEqual(parseDevcontainer("[]").errors, ["1:1: a devcontainer.json is one JSON object ({ ... })"]);
        });
        it("a property given twice is an error naming it (tools disagree which one wins)", () => {
            assert.deepEqual(parseDevcontainer('{ "image": "a",\n "build": { "args": { "A": "1", "A": "2" } } }').errors,
                ["2:33: build.args.A is given twice; keep one"]);
            assert.deepEqual(parseDevcontainer('{ "image": "a", "image": "b" }').errors, ["1:17: image is given twice; keep one"]);
        });
        it("__proto__ is an ordinary property, not a prototype", () => {
            const r = parseDevcontainer('{ "image": "a", "containerEnv": { "__proto__": "x" } }');
            const env = r.doc!.containerEnv as Record<string, unknown>;
            assert.equal(Object.getPrototypeOf(env), Object.prototype);
            assert.deepEqual(Object.keys(env), ["__proto__"]);
        });
    });

    describe("the rule table: one case per pattern of the seed's matrix", () => {
        // [what the file says, the property, the verdict, the rule]
        const CASES: [Record<string, unknown>, string, Verdict, string][] = [
            // Docker-in-Docker: native support
            [{ features: { "ghcr.io/devcontainers/features/docker-in-docker:2": {} } },
                'features["ghcr.io/devcontainers/features/docker-in-docker:2"]', "ADJUSTED", "feature.dind"],
            // Basic image + commands: pass through
            [{}, "image", "ADJUSTED", "image"],
            [{ build: { dockerfile: "Dockerfile" } }, "build", "ADJUSTED", "build"],
            [{ dockerFile: "Dockerfile", context: ".." }, "dockerFile", "ADJUSTED", "build"],
            [{ build: { dockerfile: "Dockerfile" } }, "image", "WARNED", "image.ignored"],
            [{ build: { dockerfile: "D", cacheFrom: "x" } }, "build.cacheFrom", "WARNED", "build.ignored"],
            [{ build: { dockerfile: "D", options: ["--network=host"] } }, "build.options", "BLOCKED", "build.network-host"],
            [{ build: { dockerfile: "D", options: ["--network", "host"] } }, "build.options", "BLOCKED", "build.network-host"],
            [{ image: undefined, dockerComposeFile: "c.yml" }, "dockerComposeFile", "BLOCKED", "compose"],
            [{ service: "app" }, "service", "WARNED", "compose.part"],
            [{ image: undefined }, "(file)", "BLOCKED", "no-image"],
            [{ containerEnv: { FOO: "bar" } }, "containerEnv.FOO", "ADJUSTED", "containerEnv"],
            [{ remoteEnv: { PATH: "${containerEnv:PATH}:/x" } }, "remoteEnv.PATH", "ADJUSTED", "remoteEnv"],
            [{ containerEnv: { T: "${localEnv:TOKEN}" } }, "containerEnv.T", "WARNED", "localEnv"],
            [{ containerEnv: { T: "${nope}" } }, "containerEnv.T", "WARNED", "variable.unknown"],
            // Custom user (remoteUser): map to agent user
            [{ remoteUser: "vscode" }, "remoteUser", "ADJUSTED", "remoteUser"],
            [{ containerUser: "root" }, "containerUser", "COMPATIBLE", "containerUser.root"],
            [{ containerUser: "node" }, "containerUser", "ADJUSTED", "containerUser"],
            [{ updateRemoteUserUID: true }, "updateRemoteUserUID", "ADJUSTED", "updateRemoteUserUID"],
            [{ userEnvProbe: "loginShell" }, "userEnvProbe", "COMPATIBLE", "userEnvProbe"],
            [{ remoteUser: "root" }, "remoteUser", "BLOCKED", "guardrail"],
            // Privileged mode: warn/block
            [{ privileged: true }, "privileged", "BLOCKED", "privileged"],
            [{ runArgs: ["--privileged"] }, "runArgs[0]", "BLOCKED", "privileged"],
            [{ privileged: false }, "privileged", "COMPATIBLE", "privileged.false"],
            [{ runArgs: ["--privileged=false"] }, "runArgs[0]", "COMPATIBLE", "privileged.false"],
            [{ runArgs: ["--network=host"] }, "runArgs[0]", "BLOCKED", "namespace.host"],
            [{ runArgs: ["--pid", "host"] }, "runArgs[0..1]", "BLOCKED", "namespace.host"],
            [{ runArgs: ["--ipc=container:db"] }, "runArgs[0]", "BLOCKED", "namespace.host"],
            [{ runArgs: ["--network", "mynet"] }, "runArgs[0..1]", "BLOCKED", "network.other"],
            [{ runArgs: ["--ipc=private"] }, "runArgs[0]", "COMPATIBLE", "namespace.private"],
            [{ runArgs: ["--device=/dev/kvm"] }, "runArgs[0]", "BLOCKED", "device"],
            [{ runArgs: ["--gpus", "all"] }, "runArgs[0..1]", "BLOCKED", "device"],
            [{ hostRequirements: { gpu: true } }, "hostRequirements.gpu", "BLOCKED", "device"],
            [{ hostRequirements: { gpu: "optional" } }, "hostRequirements.gpu", "WARNED", "gpu.optional"],
            [{ hostRequirements: { gpu: false } }, "hostRequirements.gpu", "COMPATIBLE", "gpu.false"],
            [{ runArgs: ["--runtime=runc"] }, "runArgs[0]", "BLOCKED", "runtime.other"],
            [{ runArgs: ["--runtime=sysbox-runc"] }, "runArgs[0]", "COMPATIBLE", "runtime"],
            [{ runArgs: ["--volumes-from", "db"] }, "runArgs[0..1]", "BLOCKED", "volumesFrom"],
            [{ runArgs: ["--env-file", ".env"] }, "runArgs[0..1]", "BLOCKED", "envFile"],
            // Volume mounts: filter dangerous mounts
            [{ mounts: ["source=cache,target=/home/agent/.cache,type=volume"] }, "mounts[0]", "ADJUSTED", "mount"],
            [{ mounts: [{ type: "bind", source: "/srv/data", target: "/data" }] }, "mounts[0]", "ADJUSTED", "mount"],
            [{ mounts: ["source=/proc,target=/host-proc,type=bind"] }, "mounts[0]", "BLOCKED", "mount.refused"],
            [{ mounts: ["source=/srv/x,target=/sys/fs/x,type=bind"] }, "mounts[0]", "BLOCKED", "mount.refused"],
            [{ mounts: ["source=data,target=/var/lib/docker,type=volume"] }, "mounts[0]", "BLOCKED", "mount.refused"],
            [{ mounts: [{ type: "tmpfs", target: "/tmp" }] }, "mounts[0]", "WARNED", "mount.unsupported"],
            [{ runArgs: ["-v", "/data"] }, "runArgs[0..1]", "WARNED", "mount.unsupported"],
            [{ workspaceFolder: "/work" }, "workspaceFolder", "ADJUSTED", "workspace"],
            // Docker socket mount: block
            [{ mounts: ["source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"] }, "mounts[0]", "BLOCKED", "mount.refused"],
            [{ runArgs: ["-v", "/var/run/docker.sock:/var/run/docker.sock"] }, "runArgs[0..1]", "BLOCKED", "mount.refused"],
            [{ features: { "ghcr.io/devcontainers/features/docker-outside-of-docker:1": {} } },
                'features["ghcr.io/devcontainers/features/docker-outside-of-docker:1"]', "BLOCKED", "feature.dood"],
            // runArgs capabilities: allow (contained by the user namespace)
            [{ capAdd: ["SYS_PTRACE"] }, "capAdd[0]", "ADJUSTED", "capAdd"],
            [{ runArgs: ["--cap-add=NET_ADMIN"] }, "runArgs[0]", "ADJUSTED", "capAdd"],
            [{ runArgs: ["--cap-drop", "ALL"] }, "runArgs[0..1]", "WARNED", "capDrop"],
            [{ securityOpt: ["seccomp=unconfined"] }, "securityOpt[0]", "WARNED", "securityOpt"],
            [{ runArgs: ["--security-opt", "apparmor=unconfined"] }, "runArgs[0..1]", "WARNED", "securityOpt"],
            [{ securityOpt: ["systempaths=unconfined"] }, "securityOpt[0]", "BLOCKED", "securityOpt.systempaths"],
            // Lifecycle commands: block initializeCommand only
            [{ initializeCommand: "echo hi" }, "initializeCommand", "BLOCKED", "initializeCommand"],
            [{ onCreateCommand: ["make", "deps"] }, "onCreateCommand", "ADJUSTED", "createCommand"],
            [{ updateContentCommand: "make" }, "updateContentCommand", "ADJUSTED", "createCommand"],
            [{ postCreateCommand: { a: "x", b: ["y", "z"] } }, "postCreateCommand", "ADJUSTED", "createCommand"],
            [{ postStartCommand: "echo start" }, "postStartCommand", "ADJUSTED", "postStartCommand"],
            [{ postAttachCommand: "echo" }, "postAttachCommand", "WARNED", "postAttachCommand"],
            [{ waitFor: "postCreateCommand" }, "waitFor", "WARNED", "waitFor"],
            [{ postCreateCommand: 42 }, "postCreateCommand", "BLOCKED", "type"],
            // Features: allowlist
            [{ features: { "./features/hello": {} } }, 'features["./features/hello"]', "ADJUSTED", "feature.local"],
            [{ features: { "../outside": {} } }, 'features["../outside"]', "BLOCKED", "feature.outside"],
            [{ features: { "./features/link": {} } }, 'features["./features/link"]', "BLOCKED", "feature.outside"],
            [{ features: { "./features/empty": {} } }, 'features["./features/empty"]', "BLOCKED", "type"],
            [{ features: { "ghcr.io/devcontainers/features/node:1": { version: "20" } } },
                'features["ghcr.io/devcontainers/features/node:1"]', "BLOCKED", "feature.remote"],
            [{ features: { "github-cli": "latest" } }, 'features["github-cli"]', "BLOCKED", "feature.remote"],
            [{ overrideFeatureInstallOrder: ["./features/hello"] }, "overrideFeatureInstallOrder", "COMPATIBLE", "feature.order"],
            // Kernel sysctls: allow net.*, block kernel.*
            [{ runArgs: ["--sysctl", "net.ipv4.ip_forward=1"] }, "runArgs[0..1]", "ADJUSTED", "sysctl"],
            [{ runArgs: ["--sysctl=kernel.shmmax=65536"] }, "runArgs[0]", "BLOCKED", "sysctl.refused"],
            [{ runArgs: ["--sysctl=vm.swappiness=1"] }, "runArgs[0]", "BLOCKED", "sysctl.refused"],
            // overrideCommand, init: systemd stays PID 1
            [{ overrideCommand: true }, "overrideCommand", "WARNED", "overrideCommand"],
            [{ overrideCommand: false }, "overrideCommand", "COMPATIBLE", "overrideCommand.false"],
            [{ runArgs: ["--entrypoint", "/bin/sh"] }, "runArgs[0..1]", "WARNED", "overrideCommand"],
            [{ init: true }, "init", "WARNED", "init"],
            [{ runArgs: ["--init"] }, "runArgs[0]", "WARNED", "init"],
            [{ init: false }, "init", "COMPATIBLE", "init.false"],
            // Port forwarding
            [{ forwardPorts: [3000] }, "forwardPorts[0]", "ADJUSTED", "forwardPorts"],
            [{ forwardPorts: ["db:5432"] }, "forwardPorts[0]", "WARNED", "forwardPorts.other"],
            [{ appPort: [8080] }, "appPort[0]", "ADJUSTED", "publish"],
            [{ runArgs: ["-p", "8080:80"] }, "runArgs[0..1]", "ADJUSTED", "publish"],
            [{ runArgs: ["-p", "8000-8010:8000-8010"] }, "runArgs[0..1]", "WARNED", "publish.unsupported"],
            [{ runArgs: ["-P"] }, "runArgs[0]", "WARNED", "publish.unsupported"],
            [{ runArgs: ["-p", "2300:22"] }, "runArgs[0..1]", "BLOCKED", "guardrail"],
            [{ portsAttributes: { 3000: { label: "app" } } }, "portsAttributes", "COMPATIBLE", "portsAttributes"],
            // Limits
            [{ hostRequirements: { cpus: 2, memory: "4gb" } }, "hostRequirements.memory", "ADJUSTED", "limits"],
            [{ runArgs: ["--memory=32m"] }, "runArgs[0]", "BLOCKED", "guardrail"],
            [{ hostRequirements: { storage: "32gb" } }, "hostRequirements.storage", "WARNED", "storage"],
            // Everything else in runArgs
            [{ runArgs: ["-u", "1000"] }, "runArgs[0..1]", "WARNED", "user.flag"],
            [{ runArgs: ["--hostname=x"] }, "runArgs[0]", "WARNED", "name.flag"],
            [{ runArgs: ["--rm", "-it"] }, "runArgs[1]", "COMPATIBLE", "runArgs.ignored"],
            [{ runArgs: ["--shm-size=1g"] }, "runArgs[0]", "WARNED", "runArgs.other"],
            // Metadata and unknowns
            [{ name: "x", customizations: { vscode: {} } }, "customizations", "COMPATIBLE", "metadata"],
            [{ imagee: "typo" }, "imagee", "WARNED", "unknown"],
        ];
        for (const [doc, property, verdict, ruleId] of CASES) {
            it(`${JSON.stringify(doc)} → ${property} ${verdict} (${ruleId})`, () => {
                const f = find(assess(doc).findings, property);
                assert.equal(f.verdict, verdict, f.reason);
                assert.equal(f.rule, ruleId, f.reason);
                if (verdict === "BLOCKED" || verdict === "WARNED") assert.ok(f.fix || /remove it|use |give |keep /.test(f.reason), `no fix: ${f.reason}`);
            });
        }
        it("every rule of the table is exercised by a case above, and every verdict is one of the four", () => {
            const used = new Set(CASES.map((c) => c[3]));
            assert.deepEqual(RULES.map((r) => r.id).filter((id) => !used.has(id)), []);
            for (const r of RULES) assert.ok(["COMPATIBLE", "ADJUSTED", "WARNED", "BLOCKED"].includes(r.verdict));
            assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length, "rule ids are unique");
        });
    });

    describe("guardrails hold after normalisation (the agents' own validator)", () => {
        it("a socket reached through //, /./ or /var/run is refused like the plain path", () => {
            for (const src of ["//var//run/docker.sock", "/var/run/./docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock"]) {
                const f = find(assess({ mounts: [`source=${src},target=/s,type=bind`] }).findings, "mounts[0]");
                assert.equal(f.verdict, "BLOCKED", `${src}: ${f.reason}`);
            }
        });
        it("${localWorkspaceFolder}/.. escapes are refused, not resolved", () => {
            const f = find(assess({ mounts: ["source=${localWorkspaceFolder}/../../../etc,target=/e,type=bind"] }).findings, "mounts[0]");
            assert.equal(f.verdict, "BLOCKED");
            assert.match(f.reason, /contains '\.\.'/);
        });
        it("an inner Docker data-root override in containerEnv is refused; a mount onto the workspace path is refused", () => {
            assert.equal(find(assess({ containerEnv: { DOCKER_OPTS: "--data-root /x" } }).findings, "containerEnv.DOCKER_OPTS").verdict, "BLOCKED");
            const f = find(assess({ workspaceFolder: "/w", mounts: ["source=v,target=/w,type=volume"] }).findings, "mounts[0]");
            assert.equal(f.verdict, "BLOCKED");
            assert.match(f.reason, /workspace's own mount/);
        });
        it("a workspace in the daemon's data-root (workspaceMount) is refused naming the property", () => {
            const f = find(assess({ workspaceMount: "source=/var/lib/containai-docker/x,target=/w,type=bind", workspaceFolder: "/w" }).findings,
                "workspaceMount");
            assert.equal(f.verdict, "BLOCKED");
            assert.match(f.reason, /data-root/);
        });
    });

    describe("what a file contributes to the agent", () => {
        it("user, env, mounts, ports, sysctls, limits, workspace, forwards, lifecycle and local features", () => {
            const { agent, findings } = assess({
                remoteUser: "vscode",
                workspaceMount: "source=${localWorkspaceFolder},target=/workspaces/${localWorkspaceFolderBasename},type=bind",
                workspaceFolder: "/workspaces/${localWorkspaceFolderBasename}/app",
                containerEnv: { A: "1", W: "${containerWorkspaceFolder}", H: "${localEnv:MISSING:fallback}" },
                remoteEnv: { PATH: "${containerEnv:PATH}:/opt/bin", GONE: null },
                mounts: ["source=cache,target=/home/vscode/.cache,type=volume,readonly"],
                runArgs: ["-e", "B=2", "-v", "/srv/data:/data:ro", "--sysctl", "net.core.somaxconn=1024", "-p", "127.0.0.1:9000:9000/udp", "--cpus=1.5"],
                hostRequirements: { cpus: 4, memory: "4gb" },
                forwardPorts: [3000, "localhost:5000"],
                features: { "./features/hello": { greeting: "hi", loud: true } },
                postCreateCommand: "make deps", postStartCommand: ["echo", "started"],
            });
            assert.deepEqual(findings.filter((f) => f.verdict === "BLOCKED"), []);
            assert.deepEqual(agent.raw, {
                user: "vscode",
                workspacePath: "/workspaces/dev",
                env: { A: "1", W: "/workspaces/dev", H: "fallback", B: "2" },
                mounts: [{ source: "cache", target: "/home/vscode/.cache", readOnly: true }, { source: "/srv/data", target: "/data", readOnly: true }],
                sysctls: { "net.core.somaxconn": "1024" },
                ports: [{ container: 9000, host: 9000, bind: "127.0.0.1", protocol: "udp" }],
                cpus: "1.5", memory: "4gb",
            });
            assert.equal(agent.workdir, "/workspaces/dev/app");
            assert.deepEqual(agent.remoteEnv, { PATH: "${PATH}:/opt/bin", GONE: null });
            assert.deepEqual(agent.forwardPorts, [3000, 5000]);
            assert.deepEqual(agent.lifecycle, { postCreateCommand: "make deps", postStartCommand: ["echo", "started"] });
            assert.deepEqual(agent.features.map((f) => [f.id, path.relative(tmp, f.dir), f.options]),
                [["./features/hello", path.join(".devcontainer", "features", "hello"), { greeting: "hi", loud: true }]]);
        });
        it("the build: Dockerfile and context relative to the file; args with variables", () => {
            const { agent } = assess({ image: undefined, build: { dockerfile: "Dockerfile", context: "..", args: { V: "${localEnv:HOME}" }, target: "dev" } });
            assert.deepEqual(agent.build, { dockerfile: path.join(tmp, ".devcontainer", "Dockerfile"), context: tmp, args: { V: "/home/op" }, target: "dev" });
            assert.equal(agent.image, undefined);
        });
        it("a finding shows the value as written, never a substituted one (${localEnv:TOKEN} stays a reference)", () => {
            const { findings, agent } = assess({ containerEnv: { T: "${localEnv:TOKEN}" } });
            assert.equal(find(findings, "containerEnv.T").value, "${localEnv:TOKEN}");
            assert.equal((agent.raw.env as Record<string, string>).T, "s3cret");
            assert.ok(!JSON.stringify(findings).includes("s3cret"));
        });
    });

    describe("npm run devcontainer -- check", () => {
        const run = (...argv: string[]) => {
            const lines: string[] = [];
            const code = main(argv, (s) => lines.push(s));
            return { code, out: lines.join("\n") };
        };
        const write = (name: string, text: string) => {
            const p = path.join(tmp, ".devcontainer", name);
            fs.writeFileSync(p, text);
            return p;
        };
        it("a clean file: exit 0, a summary line and the non-COMPATIBLE verdicts; --all adds the rest", () => {
            const p = write("ok.json", '{ "name": "x", "image": "debian:bookworm", // base\n "forwardPorts": [3000], }');
            const r = run("check", p);
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, /0 BLOCKED/);
            assert.match(r.out, /PROPERTY\s+VALUE\s+VERDICT\s+REASON/);
            assert.match(r.out, /forwardPorts\[0\]\s+3000\s+ADJUSTED\s+a LocalForward line/);
            assert.doesNotMatch(r.out, /COMPATIBLE\s+for the devcontainer tools/);
            assert.match(run("check", p, "--all").out, /name\s+x\s+COMPATIBLE\s+for the devcontainer tools/);
        });
        it("anything BLOCKED: exit 1, BLOCKED rows first, each with its reason and fix", () => {
            const p = write("bad.json", JSON.stringify({ image: "debian:bookworm", forwardPorts: [3000], privileged: true,
                mounts: ["source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"], initializeCommand: "curl x | sh" }));
            const r = run("check", p);
            assert.equal(r.code, 1, r.out);
            const rows = r.out.split("\n").filter((l) => /^ {2}\S/.test(l) && !/PROPERTY/.test(l));
            assert.deepEqual(rows.slice(0, 3).map((l) => l.trim().split(/\s+/)[0]).sort(), ["initializeCommand", "mounts[0]", "privileged"]);
            assert.match(r.out, /privileged\s+true\s+BLOCKED\s+refused: sysbox gives .*Fix: remove it/);
            assert.match(r.out, /3 BLOCKED: an agent cannot be made from this file/);
        });
        it("a file that does not parse: exit 2 naming file:line:column; bad usage: exit 2 with the usage", () => {
            const p = write("broken.json", '{\n  "image": "x",\n  "runArgs": ["--init"\n}');
            const r = run("check", p);
            assert.equal(r.code, 2);
            assert.match(r.out, new RegExp(`${p.replace(/[.]/g, "\\.")}:4:1: a comma was expected$`, "m"));
            assert.equal(run("check").code, 2);
            assert.equal(run("lint", p).code, 2);
            assert.match(run("check", p, "extra").out, /^usage: npm run devcontainer -- check/);
            assert.match(run("check", path.join(tmp, "none.json")).out, /cannot be read: ENOENT/);
        });
        it("a repository folder is looked into where the spec says: .devcontainer/devcontainer.json, else .devcontainer.json", () => {
            const nested = path.join(tmp, "repo-nested"), flat = path.join(tmp, "repo-flat");
            fs.mkdirSync(path.join(nested, ".devcontainer"), { recursive: true });
            fs.mkdirSync(flat);
            fs.writeFileSync(path.join(nested, ".devcontainer", "devcontainer.json"), '{ "image": "a:1" }');
            fs.writeFileSync(path.join(nested, ".devcontainer.json"), '{ "image": "ignored:1" }');
            fs.writeFileSync(path.join(flat, ".devcontainer.json"), '{ "image": "b:1", "privileged": true }');
            const r = run("check", nested);
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, new RegExp(`^${path.join(nested, ".devcontainer", "devcontainer.json").replace(/[.]/g, "\\.")}: `));
            const f = run("check", flat);
            assert.equal(f.code, 1, f.out);
            assert.match(f.out, /^\S*repo-flat\/\.devcontainer\.json: /);
            assert.match(run("check", path.join(tmp, "repo-empty-none")).out, /cannot be read: ENOENT/);
        });
        it("checkDevcontainerFile: ${containerWorkspaceFolder} follows remoteUser's home by default", () => {
            const p = write("user.json", '{ "image": "x:1", "remoteUser": "node", "containerEnv": { "W": "${containerWorkspaceFolder}" } }');
            const r = checkDevcontainerFile(p);
            assert.ok(r.ok);
            if (r.ok) assert.equal((r.agent.raw.env as Record<string, string>).W, "/home/node/workspace");
        });
    });

    describe("containai:agents[i].devcontainer in a stack's config", () => {
        const SSH = { host: "10.0.0.5", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==", privateKeyFile: "/k" };
        const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==";
        const file = (name: string, doc: unknown) => {
            const p = path.join(tmp, ".devcontainer", name);
            fs.writeFileSync(p, typeof doc === "string" ? doc : JSON.stringify(doc));
            return p;
        };
        const check = (entry: Record<string, unknown>) =>
            checkConfig({ ssh: SSH, agents: [{ name: "dc", authorizedKeys: [KEY], ...entry }] }, new Set(), { TOKEN: "s3cret" });

        it("the file's contribution under the agent's own keys (the entry wins), its image built: no image key needed", () => {
            const p = file("stack.json", { build: { dockerfile: "Dockerfile", context: "." }, remoteUser: "vscode",
                containerEnv: { A: "file", B: "file" }, runArgs: ["--cpus=2", "-v", "/srv/data:/data"], forwardPorts: [3000],
                postCreateCommand: "make", features: { "./features/hello": {} } });
            const { config, problems, warnings } = check({ devcontainer: p, env: { B: "entry" }, cpus: 1,
                mounts: [{ source: "/srv/other", target: "/data" }] });
            assert.deepEqual(problems, []);
            const a = config.agents[0];
            assert.equal(a.image, "containai-devcontainer/dc:built");
            assert.equal(a.user, "vscode");
            assert.equal(a.workspacePath, "/home/vscode/workspace");
            assert.deepEqual(a.env, { A: "file", B: "entry" });
            assert.equal(a.cpus, 1);
            assert.deepEqual(a.mounts.map((m) => `${m.source}:${m.target}`), ["/srv/other:/data"]);
            assert.equal(a.devcontainer?.file, p);
            assert.deepEqual(a.devcontainer?.forwardPorts, [3000]);
            assert.deepEqual(a.devcontainer?.lifecycle, { postCreateCommand: "make" });
            assert.equal(a.devcontainer?.workdir, "/home/vscode/workspace");
            assert.equal(a.devcontainer?.build?.context, path.dirname(p));
            // One warning block for the agent, naming the file and each property not used as written.
            assert.equal(warnings.length, 1);
            assert.equal(warnings[0].key, "containai:agents[0].devcontainer");
            assert.match(warnings[0].message, /stack\.json, as agent dc: \d+ properties adjusted or not applied:\n {2}PROPERTY/);
            assert.match(warnings[0].message, /forwardPorts\[0\]\s+3000\s+ADJUSTED/);
        });

        it("BLOCKED verdicts are config problems naming agents[i].devcontainer, the file and the property, with the fix", () => {
            const p = file("blocked.json", { image: "debian:bookworm", privileged: true, initializeCommand: "curl x | sh",
                mounts: ["source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"] });
            const { problems } = check({ devcontainer: p });
            const mine = problems.filter((x) => x.key === "containai:agents[0].devcontainer").map((x) => x.message);
            assert.equal(mine.length, 3, JSON.stringify(problems));
            assert.ok(mine.some((m) => /blocked\.json: privileged true: refused: .*Fix: remove it/.test(m)), mine.join("\n"));
            assert.ok(mine.some((m) => /blocked\.json: initializeCommand curl x \| sh: it runs on the machine/.test(m)));
            assert.ok(mine.some((m) => /blocked\.json: mounts\[0\] .*\/var\/run\/docker\.sock.* is refused/.test(m)));
            // Only those: no second report of the same mount under agents[0].mounts.
            assert.deepEqual(problems.filter((x) => x.key !== "containai:agents[0].devcontainer"), []);
        });

        it("a file that cannot be read or parsed, an image beside it, or a non-string path: one problem each, naming the key", () => {
            const key = "containai:agents[0].devcontainer";
            const msg = (entry: Record<string, unknown>, k = key) => check(entry).problems.find((x) => x.key === k)?.message ?? "";
            assert.match(msg({ devcontainer: path.join(tmp, "nope.json") }), /nope\.json cannot be read \(ENOENT\)/);
            assert.match(msg({ devcontainer: file("bad.json", "{ \"image\": }") }), /bad\.json:1:12: a value was expected; fix the file/);
            assert.match(msg({ devcontainer: 3 }), /must be the path of a devcontainer\.json/);
            assert.match(msg({ devcontainer: file("img.json", { image: "x:1" }), image: "y:1" }, "containai:agents[0].image"),
                /is set beside devcontainer: the agent's image is built from the devcontainer\.json; remove image/);
        });

        it("the path may be the repository's folder", () => {
            const repo = path.join(tmp, "stack-repo");
            fs.mkdirSync(path.join(repo, ".devcontainer"), { recursive: true });
            fs.writeFileSync(path.join(repo, ".devcontainer", "devcontainer.json"), '{ "image": "x:1" }');
            const { config, problems } = check({ devcontainer: repo });
            assert.deepEqual(problems, []);
            assert.equal(config.agents[0].devcontainer?.file, path.join(repo, ".devcontainer", "devcontainer.json"));
        });

        it("a Dockerfile outside the build context is refused (the context is what is sent to the host)", () => {
            const p = file("outside.json", { build: { dockerfile: "../Dockerfile", context: "." } });
            assert.match(check({ devcontainer: p }).problems.map((x) => x.message).join("\n"), /is outside the build context/);
        });
    });

    it("docs/agents.md lists every rule: its pattern and its verdict", () => {
        const doc = fs.readFileSync(path.join(projectRoot(), "docs", "agents.md"), "utf8");
        const missing = RULES.filter((r) => !doc.includes(`| ${r.pattern.replace(/\|/g, "\\|")} | ${r.verdict} |`)).map((r) => r.id);
        assert.deepEqual(missing, []);
    });
});
