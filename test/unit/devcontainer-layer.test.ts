// The layer that makes a devcontainer's image an agent (renderer, snapshot),
// its lifecycle scripts run for real with bash, and the content-addressed
// build contexts. The image build itself runs in test/lab/devcontainer.test.ts.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, it, before, after } from "mocha";
import { devcontainerImages, treeHash } from "../../components/agent/devcontainer";
import { BASE_CHECK, featureEnvName, renderCommand, renderLayer, renderRemoteEnv, shQuote } from "../../components/render/devcontainer";
import { DevcontainerSpec } from "../../components/devcontainer";
import { matchSnapshot, projectRoot } from "../helpers";

let tmp: string;
const sh = (script: string, env: Record<string, string> = {}) => {
    const r = spawnSync("bash", ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

describe("devcontainer layer: renderer, lifecycle commands, build contexts", () => {
    before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), "containai-dclayer-")); });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("the layer's Dockerfile and files (snapshot)", () => {
        const files = renderLayer({
            agent: "web", base: "containai-devcontainer-base/web:0123456789abcdef", user: "vscode", uid: 1000, workdir: "/workspaces/web",
            features: [{ dir: "1-hello", id: "./features/hello", options: { greeting: "hi there", "loud-mode": true }, containerEnv: { HELLO_HOME: "/opt/hello" } }],
            lifecycle: { onCreateCommand: "make deps", postStartCommand: ["echo", "it's up"] },
            remoteEnv: { PATH: "${PATH}:/opt/bin", GONE: null },
        });
        assert.deepEqual(Object.keys(files).sort(), ["Dockerfile", "containai/containai-devcontainer-create.service",
            "containai/containai-devcontainer-start.service", "containai/devcontainer-lifecycle", "containai/devcontainer-setup",
            "containai/phases/onCreateCommand.sh", "containai/phases/postStartCommand.sh", "containai/remote-env.sh", "containai/settings",
            "features/1-hello/devcontainer-features.env"]);
        matchSnapshot("devcontainer-layer.Dockerfile", files.Dockerfile.content);
        matchSnapshot("devcontainer-create.service", files["containai/containai-devcontainer-create.service"].content);
        matchSnapshot("devcontainer-start.service", files["containai/containai-devcontainer-start.service"].content);
        assert.equal(files["features/1-hello/devcontainer-features.env"].content,
            "GREETING='hi there'\nLOUD_MODE='true'\n_REMOTE_USER='vscode'\n_REMOTE_USER_HOME='/home/vscode'\n_CONTAINER_USER='root'\n_CONTAINER_USER_HOME='/root'\n");
        assert.equal(files["containai/devcontainer-setup"].mode, 0o755);
        // The image ends as root with systemd as its command: whatever USER the base set.
        assert.match(files.Dockerfile.content, /^USER root$/m);
        assert.match(files.Dockerfile.content, /CMD \["\/sbin\/init"\]\n$/);
    });

    it("commands in the spec's three forms, run by bash: a string through sh, an array without a shell, an object in parallel", () => {
        const run = (cmd: Parameters<typeof renderCommand>[0]) => sh(renderCommand(cmd));
        assert.equal(run("echo a && echo 'b c'").out, "a\nb c\n");
        // No shell: $HOME and ; are words, not expansions.
        assert.equal(run(["echo", "$HOME;", "it's"]).out, "$HOME; it's\n");
        const par = run({ one: "echo one", two: ["echo", "two"] });
        assert.equal(par.code, 0);
        assert.deepEqual(par.out.trim().split("\n").sort(), ["one", "two"]);
        const failed = run({ ok: "true", bad: "exit 3" });
        assert.equal(failed.code, 1);
        assert.match(failed.out, /devcontainer: one of 'ok' 'bad' failed/);
    });

    it("the base check, run by sh: Debian, Ubuntu and their derivatives pass; another base fails naming it, and so does none", () => {
        const osr = path.join(tmp, "os-release");
        const check = (text: string | undefined) => {
            if (text === undefined) fs.rmSync(osr, { force: true });
            else fs.writeFileSync(osr, text);
            const r = spawnSync("sh", ["-c", BASE_CHECK.replace(/\/etc\/os-release/g, osr)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
            return { code: r.status, out: `${r.stdout}${r.stderr}` };
        };
        for (const ok of ['ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n', "ID=ubuntu\n", 'ID=linuxmint\nID_LIKE="ubuntu debian"\n']) {
            assert.equal(check(ok).code, 0, ok);
        }
        const alpine = check('ID=alpine\nPRETTY_NAME="Alpine Linux v3.20"\n');
        assert.equal(alpine.code, 1);
        assert.equal(alpine.out, "containai: the base image is Alpine Linux v3.20\n");
        // "debian" only as a word: a name that merely contains it is not Debian.
        assert.equal(check("ID=notdebianx\n").code, 1);
        assert.notEqual(check(undefined).code, 0, "no os-release: not a Debian or Ubuntu base");
        // The rule travels in the command itself: BuildKit's error shows the command, not its output.
        assert.match(BASE_CHECK, /# containai: agents are built on Debian or Ubuntu bases only: start the devcontainer's image or Dockerfile FROM a Debian or Ubuntu image$/);
    });

    it("remoteEnv as a profile.d file: ${NAME} expands at login, nothing else does; null unsets", () => {
        const text = renderRemoteEnv({ P: "${BASE}:/x", Q: "a \"q\" $(rm -rf /) `id` \\", GONE: null });
        const r = sh(`${text}\necho "$P"; echo "$Q"; echo "\${GONE-unset}"`, { BASE: "/base", GONE: "set" });
        assert.equal(r.out, "/base:/x\na \"q\" $(rm -rf /) `id` \\\nunset\n");
        assert.equal(shQuote("it's"), "'it'\\''s'");
        assert.equal(featureEnvName("install-tools.v2"), "INSTALL_TOOLS_V2");
    });

    it("the lifecycle runner: create runs once per container (a marker in its filesystem), start every time; a failed phase stops the rest", () => {
        // The runner's paths, moved under a temp root so it runs here for real (as the current user).
        const root = path.join(tmp, "root");
        const conf = path.join(root, "etc"), state = path.join(root, "state"), log = path.join(root, "log");
        fs.mkdirSync(conf, { recursive: true });
        const user = os.userInfo().username;
        const runner = fs.readFileSync(path.join(projectRoot(), "host-scripts", "devcontainer-lifecycle.sh"), "utf8")
            .replace("conf=/etc/containai/devcontainer", `conf=${conf}`).replace("state=/var/lib/containai-devcontainer", `state=${state}`)
            .replace("run=/run/containai-devcontainer", `run=${root}/run`)
            .replace("done < /proc/1/environ", `done < <(printf 'FROM_PID1=yes\\0Q=it'"'"'s $HOME \\\\n\\0HOME=/nope\\0PATH=${process.env.PATH}\\0')`)
            .replace(/runuser -u "\$REMOTE_USER" -- /, "");
        fs.writeFileSync(path.join(root, "lifecycle"), runner);
        fs.writeFileSync(path.join(conf, "settings"), `REMOTE_USER=${shQuote(user)}\nWORKDIR=${shQuote(root)}\n`);
        fs.writeFileSync(path.join(conf, "onCreateCommand.sh"), `echo "create $FROM_PID1 $(pwd)" >> ${log}\n`);
        fs.writeFileSync(path.join(conf, "postCreateCommand.sh"), `echo postcreate >> ${log}\n`);
        fs.writeFileSync(path.join(conf, "postStartCommand.sh"), `echo start >> ${log}\n`);
        const life = (what: string) => sh(`bash ${root}/lifecycle ${what}`);
        for (let boot = 0; boot < 2; boot++) {
            assert.equal(life("create").code, 0);
            assert.equal(life("start").code, 0);
        }
        assert.equal(fs.readFileSync(log, "utf8"), `create yes ${root}\npostcreate\nstart\nstart\n`);
        // The container's environment for login shells: every variable but the login's own, read back exactly.
        const envFile = path.join(root, "run", "environment");
        assert.equal(fs.statSync(envFile).mode & 0o777, 0o644);
        assert.doesNotMatch(fs.readFileSync(envFile, "utf8"), /^export (HOME|PATH)=/m);
        assert.equal(sh(`. ${envFile}; printf '%s|%s' "$FROM_PID1" "$Q"`).out, "yes|it's $HOME \\n");
        // A re-created container (no marker) runs them again; a failing phase stops the ones after it, and no marker is left.
        fs.rmSync(state, { recursive: true });
        fs.writeFileSync(path.join(conf, "onCreateCommand.sh"), "exit 4\n");
        const r = life("create");
        assert.equal(r.code, 1);
        assert.match(r.out, /devcontainer: onCreateCommand FAILED; the commands after it were not run/);
        assert.equal(fs.existsSync(state), false);
        assert.equal(fs.readFileSync(log, "utf8"), `create yes ${root}\npostcreate\nstart\nstart\n`);
    });

    it("build contexts: content-addressed tags, written once; a changed input gives a new tag", () => {
        const repo = path.join(tmp, "repo");
        fs.mkdirSync(path.join(repo, ".devcontainer", "features", "hello"), { recursive: true });
        fs.writeFileSync(path.join(repo, ".devcontainer", "Dockerfile"), "FROM containai-lab-agent:dind-bookworm\n");
        fs.writeFileSync(path.join(repo, ".devcontainer", "features", "hello", "install.sh"), "#!/bin/sh\necho hi\n");
        fs.writeFileSync(path.join(repo, ".devcontainer", "features", "hello", "devcontainer-feature.json"),
            '{ "id": "hello", // JSONC\n "options": { "greeting": { "type": "string", "default": "hello" } }, "containerEnv": { "HELLO": "1" } }');
        const spec: DevcontainerSpec = {
            file: path.join(repo, ".devcontainer", "devcontainer.json"),
            build: { dockerfile: path.join(repo, ".devcontainer", "Dockerfile"), context: repo, args: {} },
            features: [{ id: "./features/hello", dir: path.join(repo, ".devcontainer", "features", "hello"), options: {} }],
            lifecycle: { postCreateCommand: "true" }, workdir: "/home/agent/workspace", forwardPorts: [], remoteEnv: {},
        };
        const cache = path.join(tmp, "cache");
        const a = { name: "dc", user: "agent", uid: 1000 };
        const one = devcontainerImages(a, spec, cache);
        assert.match(one.base?.tag ?? "", /^containai-devcontainer-base\/dc:[0-9a-f]{16}$/);
        assert.equal(one.base?.dockerfile, path.join(".devcontainer", "Dockerfile"));
        assert.match(one.layer.tag, /^containai-devcontainer\/dc:[0-9a-f]{16}$/);
        assert.match(fs.readFileSync(path.join(one.layer.context, "Dockerfile"), "utf8"), new RegExp(`^FROM ${one.base?.tag}$`, "m"));
        // The feature's default option and containerEnv, and its own files.
        assert.match(fs.readFileSync(path.join(one.layer.context, "features", "1-hello", "devcontainer-features.env"), "utf8"), /^GREETING='hello'$/m);
        assert.match(fs.readFileSync(path.join(one.layer.context, "Dockerfile"), "utf8"), /^ENV HELLO="1"$/m);
        assert.ok(fs.existsSync(path.join(one.layer.context, "features", "1-hello", "install.sh")));
        assert.deepEqual(devcontainerImages(a, spec, cache), one, "same inputs, same tags and context");
        // A change in the repo (the build context) changes the base's tag, and so the layer's.
        fs.writeFileSync(path.join(repo, "README"), "x");
        const two = devcontainerImages(a, spec, cache);
        assert.notEqual(two.base?.tag, one.base?.tag);
        assert.notEqual(two.layer.tag, one.layer.tag);
        // A change in a feature changes the layer only.
        fs.writeFileSync(path.join(repo, ".devcontainer", "features", "hello", "install.sh"), "#!/bin/sh\necho hey\n");
        const three = devcontainerImages(a, spec, cache);
        assert.notEqual(three.base?.tag, two.base?.tag, "the feature is inside the repo: the base's context changed too");
        assert.notEqual(three.layer.tag, two.layer.tag);
        const tree = treeHash(repo);
        fs.mkdirSync(path.join(repo, ".git"));
        fs.writeFileSync(path.join(repo, ".git", "HEAD"), "x");
        assert.equal(treeHash(repo), tree, ".git is not part of the content");
    });
});
