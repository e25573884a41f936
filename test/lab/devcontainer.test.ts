// End-to-end: agents built from devcontainer.json files (agents[i].devcontainer)
// by the real engine on lab host 4 with REAL sysbox (a LAB BUILD of 0.7.0):
// the image built on the host's isolated daemon through the docker provider
// (a LAB BUILD of the plugin), a local feature, containerEnv, forwardPorts,
// lifecycle commands as systemd units, reached with the real OpenSSH client
// through the generated SSH config. Bases come from the lab's image archives
// (no registry here): one file names the lab image, the other builds FROM it.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { agentSsh, agentSshOk, DOUBLE_DIR, hostOk, LAB_DIR, labConfig, realSysboxHost, Result, Stack } from "./harness";
import { describe, it, before, after } from "mocha";

describe("lab e2e: agents from devcontainer.json, real sysbox (host 4)", () => {
    const H = 4;
    const D = "docker -H unix:///var/run/containai-docker.sock";
    const STACK = "e2e-devcontainer";
    /** A port of this machine's loopback for the forwarded port (LocalForward). */
    const FWD = 18473;
    const BASE = "containai-lab-agent:dind-bookworm";
    let stack: Stack;
    let sshDir: string;
    let repo: string;
    let gw: string;
    let sysbox: { version: string; config: Record<string, unknown> };
    const pub = fs.readFileSync(path.join(LAB_DIR, "id_ed25519.pub"), "utf8").trim();
    const images = path.join(DOUBLE_DIR, "agent-images");
    const alias = (name: string): string => `${STACK}-${name}`;
    const imgFile = () => path.join(repo, "img", ".devcontainer", "devcontainer.json");
    const bldFile = () => path.join(repo, "bld", ".devcontainer", "devcontainer.json");
    let extra: Record<string, unknown>[] = [];
    const config = (): Record<string, unknown> => ({
        ...labConfig(H, {
            "containai:agents": [
                { name: "img", devcontainer: imgFile(), memory: "1g", authorizedKeys: [pub], imageArchive: {
                    url: `${gw}/agent-images/containai-lab-agent_dind-bookworm.tar`,
                    sha256: fs.readFileSync(path.join(images, "containai-lab-agent_dind-bookworm.tar.sha256"), "utf8").split(/\s+/)[0] } },
                { name: "bld", devcontainer: bldFile(), memory: "1g", authorizedKeys: [pub] },
                ...extra,
            ],
            "containai:operator": { sshConfig: true, sshDir },
        }),
        "containai:sysbox": sysbox.config,
    });

    const ssh = (name: string, cmd: string, input?: Buffer): Result => agentSsh(sshDir, alias(name), cmd, input);
    const sshOk = (name: string, cmd: string, input?: Buffer): string => agentSshOk(sshDir, alias(name), cmd, input);
    /** sshd answers again (after a restart), and boot finished (the lifecycle units are oneshots of multi-user.target). */
    const booted = (name: string): void => {
        let r: Result = { code: 1, out: "" };
        for (let i = 0; i < 90 && r.code !== 0; i++) {
            r = ssh(name, "true");
            if (r.code !== 0) spawnSync("sleep", ["1"]);
        }
        assert.equal(r.code, 0, `ssh ${alias(name)} never answered: ${r.out}`);
        ssh(name, "timeout 180 systemctl is-system-running --wait >/dev/null; true");
    };
    const lines = (name: string, file: string): string[] => sshOk(name, `cat ${file} 2>/dev/null || true`).split("\n").filter(Boolean);
    const write = (file: string, doc: unknown) => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, typeof doc === "string" ? doc : JSON.stringify(doc, null, 2));
    };
    const imgDoc = (greeting: string, feature = "hi-from-feature") => `// the image form, with JSONC comments
{
  "image": "${BASE}",
  "remoteUser": "agent",
  "containerEnv": { "GREETING_ENV": "${greeting}" },
  "features": { "./features/hello": { "greeting": "${feature}" } },
  "forwardPorts": [${FWD}],
  "remoteEnv": { "DC_REMOTE": "\${containerEnv:GREETING_ENV}-remote" },
  "postCreateCommand": "echo \\"created $GREETING_ENV\\" >> $HOME/created.log",
  "postStartCommand": ["sh", "-c", "echo started >> $HOME/started.log"],
}`;

    before(() => {
        ({ gw, sysbox, sshDir } = realSysboxHost(H));
        repo = fs.mkdtempSync(path.join(os.tmpdir(), "containai-e2e-repo-"));
        write(imgFile(), imgDoc("from-dc"));
        const feature = path.join(repo, "img", ".devcontainer", "features", "hello");
        write(path.join(feature, "devcontainer-feature.json"), { id: "hello", version: "1.0.0", options: { greeting: { type: "string", default: "hello" } } });
        write(path.join(feature, "install.sh"), "#!/bin/sh\nset -e\nprintf '#!/bin/sh\\necho %s\\n' \"$GREETING\" > /usr/local/bin/hello\nchmod 0755 /usr/local/bin/hello\n");
        write(bldFile(), { build: { dockerfile: "Dockerfile", context: ".", args: { MARK: "built-arg" } }, remoteUser: "agent" });
        write(path.join(repo, "bld", ".devcontainer", "Dockerfile"), `FROM ${BASE}\nARG MARK\nRUN echo "$MARK" > /etc/dc-mark\n`);
        stack = new Stack(STACK, config());
    });
    after(() => {
        stack?.cleanup();
        for (const d of [sshDir, repo]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    it("D1. up builds each agent's image on the host's daemon (image form, and FROM it by a Dockerfile); ssh as the remote user; the feature's tool; lifecycle units", () => {
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        for (const name of ["img", "bld"]) {
            booted(name);
            assert.equal(sshOk(name, "whoami"), "agent");
            assert.equal(sshOk(name, "systemctl is-active containai-devcontainer-create.service containai-devcontainer-start.service | sort -u"), "active");
            assert.match(hostOk(H, `${D} inspect -f '{{.Config.Image}}' ${name}`), /^sha256:/);
            assert.match(hostOk(H, `${D} image ls --format '{{.Repository}}:{{.Tag}}' | grep '^containai-devcontainer/${name}:'`), new RegExp(`^containai-devcontainer/${name}:[0-9a-f]{16}$`));
        }
        assert.equal(sshOk("img", "hello"), "hi-from-feature");
        assert.equal(sshOk("bld", "cat /etc/dc-mark"), "built-arg");
        assert.match(hostOk(H, `${D} image ls --format '{{.Repository}}' | sort -u | tr '\\n' ' '`), /containai-devcontainer-base\/bld /);
        // containerEnv reached the lifecycle command, which ran once, as the remote user, in its home.
        assert.deepEqual(lines("img", "created.log"), ["created from-dc"]);
        assert.deepEqual(lines("img", "started.log"), ["started"]);
        // A login shell has the container's environment and remoteEnv (which refers to it).
        assert.equal(sshOk("img", "bash -lc 'echo \"$GREETING_ENV|$DC_REMOTE\"'"), "from-dc|from-dc-remote");
        // The generated SSH config forwards the port.
        assert.match(fs.readFileSync(path.join(sshDir, "containai.d", `${STACK}.conf`), "utf8"), new RegExp(`LocalForward localhost:${FWD} localhost:${FWD}`));
    });

    it("D2. right after: preview --expect-no-changes; a restart runs postStartCommand again and postCreateCommand not", () => {
        const p = stack.preview("--expect-no-changes");
        assert.equal(p.code, 0, p.out);
        hostOk(H, `${D} restart -t 60 img >/dev/null`);
        booted("img");
        assert.deepEqual(lines("img", "created.log"), ["created from-dc"]);
        assert.deepEqual(lines("img", "started.log"), ["started", "started"]);
    });

    it("D3. the forwarded port answers on this machine's localhost through the generated SSH config", () => {
        sshOk("img", "docker image inspect tiny >/dev/null 2>&1 || docker import - tiny", fs.readFileSync(path.join(images, "tiny.tar")));
        sshOk("img", `docker rm -f web >/dev/null 2>&1; docker run -d --name web -p 127.0.0.1:${FWD}:80 tiny httpd -f -p 80 -h /www >/dev/null`);
        const r = spawnSync("bash", ["-c", `ssh -F ${path.join(sshDir, "config")} -o BatchMode=yes -o ExitOnForwardFailure=yes -N ${alias("img")} & pid=$!
            for _ in $(seq 1 60); do out=$(curl -fsS --max-time 2 http://127.0.0.1:${FWD}/ 2>/dev/null) && break; sleep 0.5; done
            kill $pid; echo "$out"`], { encoding: "utf8", timeout: 120_000 });
        assert.equal(r.stdout.trim(), "tiny-www-ok", r.stderr);
        sshOk("img", "docker rm -f web >/dev/null");
    });

    it("D4. an edited devcontainer.json shows in preview and up applies it: a new image, the agent re-created with its volumes, postCreate once more", () => {
        // containerEnv is the container's; the feature's option is in the image.
        write(imgFile(), imgDoc("changed", "hi-again"));
        const p = stack.preview();
        assert.equal(p.code, 0, p.out);
        assert.match(p.out, /agents-img-devcontainer\s+replace/);
        assert.match(p.out, /agents-img-container\s+replace/);
        assert.doesNotMatch(p.out, /agents-bld-(devcontainer|container)\s+replace/);
        const bldId = hostOk(H, `${D} inspect -f '{{.Id}}' bld`);
        const r = stack.up();
        assert.equal(r.code, 0, r.out);
        booted("img");
        // The home volume was kept: the first container's line is there, and the new one's after it.
        assert.deepEqual(lines("img", "created.log"), ["created from-dc", "created changed"]);
        assert.equal(sshOk("img", "hello"), "hi-again");
        assert.equal(hostOk(H, `${D} inspect -f '{{.Id}}' bld`), bldId, "the other agent was not touched");
        assert.equal(stack.preview("--expect-no-changes").code, 0);
    });

    it("D5. a devcontainer.json with privileged, a Docker socket mount and initializeCommand is refused naming the file and property; the host untouched", () => {
        const bad = path.join(repo, "bad", ".devcontainer", "devcontainer.json");
        write(bad, { image: BASE, privileged: true, initializeCommand: "touch /tmp/pwned",
            mounts: ["source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"] });
        extra = [{ name: "bad", devcontainer: bad, authorizedKeys: [pub] }];
        stack.setConfig(config());
        const before = hostOk(H, `${D} ps -aq | sort | tr '\\n' ' '`);
        const r = stack.preview();
        assert.notEqual(r.code, 0);
        assert.match(r.out, /containai:agents\[2\]\.devcontainer: .*bad\/\.devcontainer\/devcontainer\.json: privileged true: refused/);
        assert.match(r.out, /containai:agents\[2\]\.devcontainer: .*initializeCommand touch \/tmp\/pwned: it runs on the machine/);
        assert.match(r.out, /containai:agents\[2\]\.devcontainer: .*mounts\[0\] .*docker\.sock.* is refused/);
        assert.doesNotMatch(r.out, /^\s+at .+\(.+:\d+:\d+\)$/m, "no stack trace");
        assert.equal(fs.existsSync("/tmp/pwned"), false, "initializeCommand never ran here");
        assert.equal(hostOk(H, `${D} ps -aq | sort | tr '\\n' ' '`), before);
        extra = [];
        stack.setConfig(config());
    });

    it("D6. a failing postStartCommand is named by the health check (the end of up fails), and up passes again once it is fixed", () => {
        write(imgFile(), imgDoc("changed", "hi-again").replace(/"postStartCommand": \[[^\]]*\]/, '"postStartCommand": "exit 7"'));
        const r = stack.up();
        assert.notEqual(r.code, 0, r.out);
        assert.match(r.out, /agent\.img.a devcontainer lifecycle command failed \(containai-devcontainer-start\.service\): see journalctl -u containai-devcontainer-start\.service/);
        write(imgFile(), imgDoc("changed", "hi-again"));
        const ok = stack.up();
        assert.equal(ok.code, 0, ok.out);
    });

    it("D7. a built image removed from the host is drift: preview --refresh reports it, up builds it again", () => {
        const tag = hostOk(H, `${D} image ls --format '{{.Repository}}:{{.Tag}}' | grep '^containai-devcontainer/bld:'`);
        hostOk(H, `${D} rmi -f ${tag} >/dev/null`);
        stack.driftReportedThenRestored(/agents-bld-devcontainer/);
        assert.equal(hostOk(H, `${D} image ls --format '{{.Repository}}:{{.Tag}}' | grep '^containai-devcontainer/bld:'`), tag);
        assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
    });

    it("D8. a base that is not Debian or Ubuntu fails the build with that message; the other agents untouched", () => {
        const alp = path.join(repo, "alp", ".devcontainer");
        write(path.join(alp, "devcontainer.json"), { build: { dockerfile: "Dockerfile" } });
        write(path.join(alp, "Dockerfile"), `FROM ${BASE}\nRUN rm -f /usr/lib/os-release && printf 'ID=alpine\\nPRETTY_NAME="Alpine Linux v3.20"\\n' > /etc/os-release\n`);
        extra = [{ name: "alp", devcontainer: path.join(alp, "devcontainer.json"), authorizedKeys: [pub] }];
        stack.setConfig(config());
        const ids = hostOk(H, `${D} ps -aq --no-trunc | sort | tr '\\n' ' '`);
        const r = stack.up();
        assert.notEqual(r.code, 0, r.out);
        assert.match(r.out, /agents-alp-devcontainer/);
        assert.match(r.out, /containai: agents are built on Debian or Ubuntu bases only: start the devcontainer's image or Dockerfile FROM a Debian or Ubuntu image/);
        assert.equal(hostOk(H, `${D} ps -aq --no-trunc | sort | tr '\\n' ' '`), ids, "no container created or replaced");
        // Taking it out again removes what its failed run recorded (its host key, its port), and nothing else.
        extra = [];
        stack.setConfig(config());
        const u = stack.up();
        assert.equal(u.code, 0, u.out);
        assert.equal(hostOk(H, `${D} ps -aq --no-trunc | sort | tr '\\n' ' '`), ids);
        assert.equal(stack.preview("--expect-no-changes").code, 0);
    });
});
