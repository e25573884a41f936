// Agents' backups (issue #24): containai:backup validation, the rendered
// files, and the backup tool (host-scripts/backup.sh) run by real bash with
// REAL restic on a repository in a temp directory. Docker is a TEST DOUBLE
// here (volume paths, stop/start); the real daemon, agent and an S3
// repository: test/lab/backup.test.ts.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, it } from "mocha";
import { checkConfig, RawConfig } from "../../components/config/schema";
import { backupAgents } from "../../components/backup";
import { parseArgs } from "../../components/backup/restore";
import { renderBackupAgents, renderBackupEnv, renderBackupService, renderBackupTimer } from "../../components/render/backup";
import { matchSnapshot, projectRoot } from "../helpers";

const SSH = { host: "10.0.0.5", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==", privateKeyFile: "/k" };
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c3RpZ2tleQ==";
const AGENTS = [{ name: "alpha", image: "local/agent:1", authorizedKeys: [KEY] }];
const check = (backup: unknown, secret = true): ReturnType<typeof checkConfig> =>
    checkConfig({ ssh: SSH, agents: AGENTS, backup } as RawConfig, new Set(secret ? ["containai:backup"] : []));
const problem = (backup: unknown, key: string, secret = true): string => {
    const hit = check(backup, secret).problems.find((p) => p.key === key);
    assert.ok(hit, `no problem for ${key}: ${JSON.stringify(check(backup, secret).problems)}`);
    return hit.message;
};

describe("backups: containai:backup", () => {
    it("defaults: daily, keep 7/4/6, workspace and home (not inner Docker)", () => {
        const r = check({ repository: "/srv/backups/agents", password: "pw" });
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.config.backup, {
            repository: "/srv/backups/agents", password: "pw", env: {}, schedule: "daily",
            keep: { daily: 7, weekly: 4, monthly: 6 }, include: { workspace: true, home: true, docker: false },
        });
        assert.equal(check(undefined).config.backup, undefined, "off unless configured");
    });

    it("the password and credentials only as secrets, never echoed", () => {
        const m = problem({ repository: "s3:https://s3.example/b", password: "hunter2-never-shown" }, "containai:backup", false);
        assert.match(m, /in plaintext config; set them as secrets: pulumi config set --secret --path containai:backup\.password/);
        assert.doesNotMatch(JSON.stringify(check({ repository: "/r", password: "hunter2-never-shown" }, false).problems), /hunter2/);
        assert.match(problem({ repository: "/r" }, "containai:backup.password"), /is required: pulumi config set --secret/);
    });

    it("refuses what restic or systemd would misread, naming the key and the fix", () => {
        assert.match(problem({ password: "p" }, "containai:backup.repository"), /is required: a restic repository/);
        assert.match(problem({ repository: "/srv/$HOME/x", password: "p" }, "containai:backup.repository"), /blanks, quotes, a backslash or \$/);
        assert.match(problem({ repository: "/srv/./b", password: "p" }, "containai:backup.repository"), /normal form/);
        assert.match(problem({ repository: "/r", password: "p", schedule: "daily; rm -rf /" }, "containai:backup.schedule"), /not a systemd calendar expression/);
        assert.match(problem({ repository: "/r", password: "p", env: { RESTIC_PASSWORD: "x" } }, "containai:backup.env.RESTIC_PASSWORD"), /set from backup\.repository and backup\.password/);
        assert.match(problem({ repository: "/r", password: "p", env: { "aws-key": "x" } }, "containai:backup.env.aws-key"), /not an environment variable name/);
        assert.match(problem({ repository: "/r", password: "p", env: { A: "two\nlines" } }, "containai:backup.env.A"), /one-line/);
        assert.match(problem({ repository: "/r", password: "p", keep: { daily: 0, weekly: 0, monthly: 0 } }, "containai:backup.keep"), /keeps nothing/);
        assert.match(problem({ repository: "/r", password: "p", include: { workspace: false, home: false } }, "containai:backup.include"), /includes nothing/);
        assert.match(problem({ repository: "/r", password: "p", when: "daily" }, "containai:backup.when"), /unknown setting/);
    });

    it("rendered files (snapshots): settings, agents, service, timer", () => {
        const b = check({ repository: "s3:http://127.0.0.1:9000/b/r", password: "pw", env: { AWS_SECRET_ACCESS_KEY: "s", AWS_ACCESS_KEY_ID: "k" },
            schedule: "*-*-* 03:00", keep: { daily: 3 }, include: { docker: true } }).config;
        const agents = backupAgents(b.backup!, b.agents, b.daemons);
        matchSnapshot("backup.env", renderBackupEnv(b.backup!));
        matchSnapshot("backup.agents", renderBackupAgents(agents));
        matchSnapshot("containai-backup.service", renderBackupService());
        matchSnapshot("containai-backup.timer", renderBackupTimer(b.backup!));
        assert.equal(renderBackupAgents(agents), "alpha /var/run/containai-docker.sock alpha /var/lib/containai/workspaces/alpha containai-alpha-home 1\n");
        assert.match(renderBackupTimer(b.backup!), /^OnCalendar=\*-\*-\* 03:00$/m);
    });
});

describe("backups: npm run restore's arguments", () => {
    it("stack and agent required; a snapshot ID or latest; an absolute path without quotes", () => {
        assert.deepEqual(parseArgs(["--stack", "web-01", "--agent", "claude"], "/p"), { stack: "web-01", agent: "claude", snapshot: "latest", cwd: "/p" });
        assert.deepEqual(parseArgs(["--stack", "s", "--agent", "a", "--snapshot", "4f1c2a9e", "--path", "/var/lib/containai/workspaces/a/src", "--cwd", "/q"], "/p"),
            { stack: "s", agent: "a", snapshot: "4f1c2a9e", path: "/var/lib/containai/workspaces/a/src", cwd: "/q" });
        for (const [args, re] of [
            [["--agent", "a"], /--stack is required/],
            [["--stack", "s"], /--agent is required/],
            [["--stack", "s", "--agent", "a", "--snapshot", "../x"], /a snapshot ID \(hex\) or latest/],
            [["--stack", "s", "--agent", "a", "--path", "relative/p"], /an absolute host path/],
            [["--stack", "s", "--agent", "a", "--path", "/a b"], /an absolute host path/],
            [["--stack", "s", "--agent"], /--agent needs a value/],
            [["--stack", "s", "--agent", "a", "--force"], /unknown argument --force/],
        ] as [string[], RegExp][]) {
            const r = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(path.join(__dirname, "..", "..", "components", "backup", "restore.js"))}).parseArgs(${JSON.stringify(args)}, "/")`],
                { encoding: "utf8" });
            assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, re);
        }
    });
});

describe("backups: the backup tool (host-scripts/backup.sh, real bash and REAL restic; docker is a TEST DOUBLE)", () => {
    const TOOL = path.join(projectRoot(), "host-scripts", "backup.sh");

    /** A host in a temp dir: an agent's workspace and home volume, the tool's files, a docker CLI double. */
    function withHost(fn: (t: string, run: (...args: string[]) => { code: number; out: string }) => void, password = "pw-1"): void {
        const t = fs.mkdtempSync(path.join(os.tmpdir(), "containai-backup-"));
        try {
            for (const d of ["bin", "conf", "state", "ws", "vol/home", "repo"]) fs.mkdirSync(path.join(t, d), { recursive: true });
            // docker double: volume inspect gives $T/vol/<name-suffix>; stop/start/inspect keep a state file.
            fs.writeFileSync(path.join(t, "bin", "docker"), `#!/usr/bin/env bash
set -euo pipefail
shift 2
case "$1 $2" in
  "volume inspect") v=\${!#}; v=\${v#containai-alpha-}; [ -d "$T/vol/$v" ] || exit 1; echo "$T/vol/$v" ;;
  "inspect -f") cat "$T/running" ;;
  "stop alpha") echo false > "$T/running"; echo stop >> "$T/calls" ;;
  "start alpha") echo true > "$T/running"; echo start >> "$T/calls" ;;
  *) echo "docker double: $*" >&2; exit 2 ;;
esac
`, { mode: 0o755 });
            fs.writeFileSync(path.join(t, "running"), "true\n");
            fs.writeFileSync(path.join(t, "conf", "env"), `RESTIC_REPOSITORY=${t}/repo\nRESTIC_PASSWORD=${password}\nCONTAINAI_KEEP=2 0 0\nCONTAINAI_SCHEDULE=daily\n`, { mode: 0o600 });
            fs.writeFileSync(path.join(t, "conf", "agents"), `alpha /s.sock alpha ${t}/ws containai-alpha-home 0\n`);
            const env = {
                ...process.env, T: t, PATH: `${path.join(t, "bin")}:${process.env.PATH}`, RESTIC_CACHE_DIR: path.join(t, "cache"),
                CONTAINAI_BACKUP_CONF: path.join(t, "conf"), CONTAINAI_BACKUP_STATE: path.join(t, "state"), CONTAINAI_BACKUP_LOCK: path.join(t, "lock"),
            };
            fn(t, (...args) => {
                const r = spawnSync("bash", [TOOL, ...args], { env, encoding: "utf8", timeout: 300_000 });
                return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
            });
        } finally {
            fs.rmSync(t, { recursive: true, force: true });
        }
    }
    const tree = (t: string): string => spawnSync("bash", ["-c", `cd "$1" && find ws vol -type f -printf '%p %U %m ' -exec sha256sum {} \\; | awk '{print $1, $2, $3, substr($4, 1, 12)}' | sort`, "_", t],
        { encoding: "utf8" }).stdout;

    it("run: a new repository is created, each agent backed up with its tag, status ok; restore brings back deleted and changed files with owners and modes, the agent stopped around it", () => withHost((t, run) => {
        fs.writeFileSync(path.join(t, "ws", "notes.md"), "work of days\n");
        fs.mkdirSync(path.join(t, "ws", "src"));
        fs.writeFileSync(path.join(t, "ws", "src", "big.bin"), Buffer.alloc(3 * 1024 * 1024, 7));
        fs.writeFileSync(path.join(t, "vol", "home", ".bashrc"), "export X=1\n", { mode: 0o640 });
        fs.chownSync(path.join(t, "vol", "home", ".bashrc"), 1000, 1000);
        const before = tree(t);
        const r = run("run");
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /no repository at .* yet: creating it/);
        assert.match(r.out, /agent alpha: snapshot [0-9a-f]{8}/);
        assert.match(fs.readFileSync(path.join(t, "state", "alpha.status"), "utf8"), /^ok \d+ [0-9a-f]{8}\n$/);
        assert.equal(run("status").out, "alpha.backup=ok\n");
        // A bad rm -rf inside the agent, and a changed file.
        fs.rmSync(path.join(t, "ws", "src"), { recursive: true });
        fs.writeFileSync(path.join(t, "ws", "notes.md"), "overwritten\n");
        fs.rmSync(path.join(t, "vol", "home", ".bashrc"));
        const back = run("restore", "alpha");
        assert.equal(back.code, 0, back.out);
        assert.equal(tree(t), before, "every byte, owner and mode back");
        assert.equal(fs.readFileSync(path.join(t, "calls"), "utf8"), "stop\nstart\n", "stopped, then started again");
        // One path only.
        fs.writeFileSync(path.join(t, "ws", "notes.md"), "again\n");
        fs.writeFileSync(path.join(t, "vol", "home", ".bashrc"), "changed\n");
        const one = run("restore", "alpha", "latest", path.join(t, "ws", "notes.md"));
        assert.equal(one.code, 0, one.out);
        assert.equal(fs.readFileSync(path.join(t, "ws", "notes.md"), "utf8"), "work of days\n");
        assert.equal(fs.readFileSync(path.join(t, "vol", "home", ".bashrc"), "utf8"), "changed\n", "only the path asked for");
        assert.match(run("restore", "alpha", "latest", "/etc/shadow").out, /\/etc\/shadow is not inside agent alpha's data/);
        // A snapshot that is not there (restic 0.14 lists nothing and exits 0): named, the agent never stopped.
        const calls = fs.readFileSync(path.join(t, "calls"), "utf8");
        const none = run("restore", "alpha", "deadbeef");
        assert.notEqual(none.code, 0, none.out);
        assert.match(none.out, /no snapshot deadbeef of agent alpha/);
        assert.equal(fs.readFileSync(path.join(t, "calls"), "utf8"), calls, "not stopped");
    }));

    it("restore never writes through a symlink the agent left where the snapshot has a directory or a file (staged, then rsync replaces the link)", () => withHost((t, run) => {
        fs.mkdirSync(path.join(t, "ws", "a"));
        fs.writeFileSync(path.join(t, "ws", "a", "f"), "from the snapshot\n");
        fs.writeFileSync(path.join(t, "ws", "notes.md"), "notes\n");
        assert.equal(run("run").code, 0);
        // The agent (root inside, the workspace ID-mapped) plants links to the host's files before asking for a restore.
        fs.mkdirSync(path.join(t, "outside"));
        fs.writeFileSync(path.join(t, "outside", "victim"), "host file\n");
        fs.rmSync(path.join(t, "ws", "a"), { recursive: true });
        fs.symlinkSync(path.join(t, "outside"), path.join(t, "ws", "a"));
        fs.rmSync(path.join(t, "ws", "notes.md"));
        fs.symlinkSync(path.join(t, "outside", "victim"), path.join(t, "ws", "notes.md"));
        const r = run("restore", "alpha");
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(fs.readdirSync(path.join(t, "outside")), ["victim"], "nothing written outside the agent's data");
        assert.equal(fs.readFileSync(path.join(t, "outside", "victim"), "utf8"), "host file\n");
        assert.ok(fs.lstatSync(path.join(t, "ws", "a")).isDirectory(), "the link replaced by the snapshot's directory");
        assert.equal(fs.readFileSync(path.join(t, "ws", "a", "f"), "utf8"), "from the snapshot\n");
        assert.ok(fs.lstatSync(path.join(t, "ws", "notes.md")).isFile(), "the link replaced by the snapshot's file");
        assert.equal(fs.existsSync(path.join(t, "state", "restore.alpha")), false, "the staging directory is removed");
        assert.match(run("restore", "alpha", "latest", `${t}/ws/../outside`).out, /give a path in its normal form/);
    }));

    it("retention: snapshots beyond keep are pruned", () => withHost((t, run) => {
        fs.writeFileSync(path.join(t, "ws", "f"), "1");
        for (let i = 0; i < 3; i++) {
            fs.writeFileSync(path.join(t, "ws", "f"), String(i));
            const r = run("run", "alpha");
            assert.equal(r.code, 0, r.out);
        }
        // keep-daily 2: one snapshot per day, the newest; all three were taken today.
        const s = run("snapshots", "alpha", "--json");
        assert.equal(s.code, 0, s.out);
        assert.equal((JSON.parse(s.out) as unknown[]).length, 1, s.out);
    }));

    it("a wrong password: a clear error naming containai:backup.password, and a restore changes nothing", () => withHost((t, run) => {
        fs.writeFileSync(path.join(t, "ws", "f"), "data");
        assert.equal(run("run").code, 0);
        fs.writeFileSync(path.join(t, "conf", "env"), fs.readFileSync(path.join(t, "conf", "env"), "utf8").replace("pw-1", "pw-wrong"));
        fs.writeFileSync(path.join(t, "ws", "f"), "newer");
        for (const r of [run("check"), run("restore", "alpha"), run("run")]) {
            assert.notEqual(r.code, 0, r.out);
            assert.match(r.out, /the repository .* refused the password \(containai:backup\.password\)/);
            assert.doesNotMatch(r.out, /pw-wrong|pw-1/);
        }
        assert.equal(fs.readFileSync(path.join(t, "ws", "f"), "utf8"), "newer", "nothing restored");
        assert.equal(fs.existsSync(path.join(t, "calls")), false, "the agent was never stopped");
    }));

    it("status: a failed run and a late one are reported; a first run is not late before two intervals have passed", () => withHost((t, run) => {
        const now = Math.floor(Date.now() / 1000);
        fs.writeFileSync(path.join(t, "state", "since"), `${now - 3600}\n`);
        assert.equal(run("status").out, "alpha.backup=ok\n", "set up an hour ago, daily: not late");
        fs.writeFileSync(path.join(t, "state", "since"), `${now - 3 * 86400}\n`);
        assert.match(run("status").out, /^alpha\.backup=never, though set up 72 h ago\n$/);
        fs.writeFileSync(path.join(t, "state", "alpha.status"), `ok ${now - 3 * 86400} abcd1234\n`);
        assert.match(run("status").out, /^alpha\.backup=late: the last one is from \S+, over twice the schedule's interval ago\n$/);
        // The interval is systemd's reading of the schedule: hourly makes 3 hours late, daily does not.
        fs.writeFileSync(path.join(t, "state", "alpha.status"), `ok ${now - 3 * 3600} abcd1234\n`);
        assert.equal(run("status").out, "alpha.backup=ok\n", "daily: 3 h is not late");
        fs.writeFileSync(path.join(t, "conf", "env"), fs.readFileSync(path.join(t, "conf", "env"), "utf8").replace("CONTAINAI_SCHEDULE=daily", "CONTAINAI_SCHEDULE=hourly"));
        assert.match(run("status").out, /^alpha\.backup=late: /, "hourly: 3 h is late");
        fs.writeFileSync(path.join(t, "state", "alpha.status"), `failed ${now} restic backup exited 1: repository unreachable\n`);
        assert.match(run("status").out, /^alpha\.backup=failed at \S+: restic backup exited 1: repository unreachable\n$/);
        // A repository that cannot be reached: the run fails and says so in the status.
        fs.writeFileSync(path.join(t, "conf", "env"), fs.readFileSync(path.join(t, "conf", "env"), "utf8").replace(/RESTIC_REPOSITORY=.*/, `RESTIC_REPOSITORY=${t}/nowhere/repo`));
        fs.rmSync(path.join(t, "state", "alpha.status"));
        fs.writeFileSync(path.join(t, "ws", "f"), "x");
        fs.chmodSync(t, 0o755);
        fs.writeFileSync(path.join(t, "nowhere"), "a file where a directory should be");
        const r = run("run");
        assert.notEqual(r.code, 0, r.out);
        assert.match(r.out, /cannot be read|init .* failed/);
        assert.match(fs.readFileSync(path.join(t, "state", "alpha.status"), "utf8"), /^failed \d+ (the repository .* cannot be read|restic init of .* failed)/,
            "a run that never reached its repository is a failed run of each agent");
        assert.match(run("status").out, /^alpha\.backup=failed at /);
    }));
});
