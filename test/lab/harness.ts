// Harness for end-to-end tests: the real Pulumi engine (built by
// scripts/toolchain.sh), a local file backend in a temp dir, and lab hosts
// (lab/lab.sh) checked over real SSH.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { projectRoot } from "../helpers";

export const ROOT = projectRoot();
const LAB = path.join(ROOT, "lab", "lab.sh");
const CACHE = process.env.CONTAINAI_CACHE ?? path.join(os.homedir(), ".cache", "containai-infra");
export const LAB_DIR = path.join(CACHE, "lab");
export const DOUBLE_DIR = path.join(LAB_DIR, "sysbox-double");

export interface Result { code: number; out: string; }

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {}): Result {
    const r = spawnSync(cmd, args, {
        cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, input: opts.input, encoding: "utf8",
        timeout: opts.timeoutMs ?? 20 * 60 * 1000, maxBuffer: 64 * 1024 * 1024,
    });
    return { code: r.status ?? (r.signal ? 128 : 1), out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** Run a command inside lab host i without SSH (docker exec). */
export function execOnHost(i: number, script: string): Result {
    return sh("docker", ["exec", "-i", `containai-lab-${i}`, "bash", "-s"], { input: script, timeoutMs: 60 * 1000 });
}

/** Run a command on lab host i as root. */
export function onHost(i: number, script: string): Result {
    return sh("bash", [LAB, "ssh", String(i), "bash -s"], { input: script, timeoutMs: 5 * 60 * 1000 });
}

export function hostOk(i: number, script: string): string {
    const r = onHost(i, script);
    if (r.code !== 0) throw new Error(`on lab host ${i}: exit ${r.code}: ${r.out}`);
    return r.out.trim();
}

export function lab(...args: string[]): string {
    const r = sh("bash", [LAB, ...args]);
    if (r.code !== 0) throw new Error(`lab ${args.join(" ")}: ${r.out}`);
    return r.out.trim();
}

export function doubleSha(version: string): string {
    lab("sysbox-double", version);
    const f = path.join(DOUBLE_DIR, `sysbox-ce_${version}.linux_amd64.deb.sha256`);
    return fs.readFileSync(f, "utf8").split(/\s+/)[0];
}

export function labPort(i: number): number {
    return Number(process.env.LAB_PORT_BASE ?? 2220) + i;
}

/** Stack config for lab host i with the sysbox test double (version v). */
export function labConfig(i: number, extra: Record<string, unknown> = {}, version = "0.7.1+testdouble"): Record<string, unknown> {
    const gw = lab("serve").replace(/\/$/, "");
    return {
        "containai:ssh": {
            host: "127.0.0.1", port: labPort(i), user: "root",
            privateKeyFile: path.join(LAB_DIR, "id_ed25519"),
            knownHostsFile: path.join(LAB_DIR, "known_hosts"),
        },
        "containai:sysbox": {
            source: "custom",
            custom: {
                urlTemplate: `${gw}/sysbox-ce_{version}.linux_{arch}.deb`,
                version, sha256: { amd64: doubleSha(version) }, fallbackToUpstream: false,
            },
        },
        ...extra,
    };
}

/**
 * The `containai:sysbox` block that installs a LAB BUILD of real sysbox
 * (lab/sysbox-lab: v0.7.0, its revisions v0.7.0-revN (the same sources under
 * another version, for upgrade tests), or v0.6.7 the negative control)
 * through the program's custom-release path, pinned by the .deb's sha256.
 */
export function labSysbox(tag: "v0.7.0" | `v0.7.0-rev${2 | 3}` | "v0.6.7"): { version: string; config: Record<string, unknown> } {
    // The path lab.sh prints on stdout (a build that runs now also logs to stderr, which lab() merges).
    const out = lab("sysbox-lab", tag);
    const deb = out.split("\n").filter((l) => /^\/\S+\/sysbox-ce_[^/]+\.linux_amd64\.deb$/.test(l)).pop();
    const m = deb === undefined ? null : /sysbox-ce_(.+)\.linux_amd64\.deb$/.exec(deb);
    if (!deb || !m) throw new Error(`no lab build path in: ${out}`);
    const gw = lab("serve").replace(/\/$/, "");
    const sha = fs.readFileSync(`${deb}.sha256`, "utf8").split(/\s+/)[0];
    return {
        version: m[1],
        config: {
            source: "custom",
            custom: { urlTemplate: `${gw}/lab-builds/sysbox-ce_{version}.linux_{arch}.deb`, version: m[1], sha256: { amd64: sha }, fallbackToUpstream: false },
            ...(tag === "v0.6.7" ? { allowUnfixedOpenat2: true } : {}),
        },
    };
}

/**
 * A throwaway stack with its own backend, PULUMI_HOME and project directory.
 * The project directory is a temp dir holding a copy of Pulumi.yaml whose
 * `main` points at the compiled program: `pulumi stack init` writes the stack
 * file (with its encryption salt) there, never into the checkout.
 */
export class Stack {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    readonly configFile: string;
    /**
     * `backendUrl`: any backend (e.g. the lab's s3://), with `env` (its credentials).
     * `backend`: a file-backend directory shared with other stacks (StackReference between them).
     * `projectDir`: a project directory shared with other stacks (a fleet: one workspace, many stack files).
     */
    constructor(readonly name: string, config: Record<string, unknown>,
        opts: { backend?: string; projectDir?: string; backendUrl?: string; env?: Record<string, string> } = {}) {
        this.dir = opts.projectDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `containai-e2e-${name}-`));
        this.useProgram(ROOT);
        const toolEnv = sh("bash", [path.join(ROOT, "scripts", "toolchain.sh")]);
        if (toolEnv.code !== 0) throw new Error(`toolchain: ${toolEnv.out}`);
        const envFile = toolEnv.out.trim().split("\n").pop() as string;
        const vars: NodeJS.ProcessEnv = { ...process.env };
        for (const line of fs.readFileSync(envFile, "utf8").split("\n")) {
            const m = /^export ([A-Z_]+)="?(.*?)"?$/.exec(line);
            if (m) vars[m[1]] = m[2].replace("$PATH", process.env.PATH ?? "");
        }
        fs.mkdirSync(path.join(this.dir, "state"), { recursive: true });
        // Provider plugins (the lab builds of the docker and github plugins) from the shared cache.
        fs.mkdirSync(path.join(this.dir, "home"), { recursive: true });
        if (!fs.existsSync(path.join(this.dir, "home", "plugins"))) {
            fs.symlinkSync(path.join(CACHE, "pulumi-home", "plugins"), path.join(this.dir, "home", "plugins"));
        }
        this.env = {
            ...vars,
            PULUMI_HOME: path.join(this.dir, "home"),
            PULUMI_BACKEND_URL: opts.backendUrl ?? `file://${opts.backend ?? path.join(this.dir, "state")}`,
            ...(opts.env ?? {}),
            PULUMI_CONFIG_PASSPHRASE: "e2e-lab-passphrase",
        };
        this.configFile = path.join(this.dir, `Pulumi.${name}.yaml`);
        this.setConfig(config);
        const r = sh("pulumi", ["stack", "init", name, "--non-interactive"], { env: this.env, cwd: this.dir });
        if (r.code !== 0) throw new Error(`stack init: ${r.out}`);
    }
    /**
     * Run the program of the project at `root` (this checkout by default, or
     * e.g. a previous commit's build from previousProgram) for this stack.
     */
    useProgram(root: string): void {
        const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
        project.main = path.join(root, project.main ?? "dist/index.js");
        // Project plugins (the dynamic-provider wrapper) are paths relative to Pulumi.yaml.
        for (const p of project.plugins?.providers ?? []) p.path = path.resolve(root, p.path);
        delete project.backend;
        fs.writeFileSync(path.join(this.dir, "Pulumi.yaml"), YAML.stringify(project));
    }
    setConfig(config: Record<string, unknown>): void {
        // Keep the secrets-provider salt `pulumi stack init` wrote.
        const old = fs.existsSync(this.configFile) ? YAML.parse(fs.readFileSync(this.configFile, "utf8")) ?? {} : {};
        fs.writeFileSync(this.configFile, YAML.stringify({ ...old, config }));
    }
    /** The stack file as `pulumi config set` left it. */
    readConfig(): Record<string, unknown> {
        return (YAML.parse(fs.readFileSync(this.configFile, "utf8")) ?? {}).config ?? {};
    }
    pulumi(...args: string[]): Result {
        return sh("pulumi", [...args, "--stack", this.name, "--non-interactive"], { env: this.env, cwd: this.dir });
    }
    /** A pulumi command with these variables changed (an empty value unsets one). */
    pulumiWith(env: Record<string, string>, ...args: string[]): Result {
        const merged: NodeJS.ProcessEnv = { ...this.env, ...env };
        for (const [k, v] of Object.entries(env)) if (v === "") delete merged[k];
        return sh("pulumi", [...args, "--stack", this.name, "--non-interactive"], { env: merged, cwd: this.dir });
    }
    up(...extra: string[]): Result { return this.pulumi("up", "--yes", "--skip-preview", ...extra); }
    /** `pulumi up` in the background (to interfere with it while it runs). */
    upAsync(): Promise<Result> {
        const args = ["up", "--yes", "--skip-preview", "--stack", this.name, "--non-interactive"];
        return new Promise((resolve) => {
            const p = spawn("pulumi", args, { cwd: this.dir, env: this.env });
            let out = "";
            p.stdout.on("data", (d) => { out += d; });
            p.stderr.on("data", (d) => { out += d; });
            p.on("close", (code) => resolve({ code: code ?? 1, out }));
        });
    }
    /** `pulumi up` as a child process, with its output so far (to kill it mid-run). */
    upProcess(): { child: ReturnType<typeof spawn>; output: () => string; done: Promise<number> } {
        const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", this.name, "--non-interactive"], { cwd: this.dir, env: this.env });
        let out = "";
        child.stdout?.on("data", (d) => { out += d; });
        child.stderr?.on("data", (d) => { out += d; });
        const done = new Promise<number>((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? 137 : 1))));
        return { child, output: () => out, done };
    }
    /** Run a command in this stack's project directory with its environment. */
    run(cmd: string, args: string[]): Result { return sh(cmd, args, { env: this.env, cwd: this.dir }); }
    preview(...extra: string[]): Result { return this.pulumi("preview", ...extra); }
    /**
     * The drift audit: `preview --refresh --expect-no-changes` must report the
     * hand change (on `resource`, when given), then `up --refresh` must put it
     * back. Returns the audit's output.
     */
    driftReportedThenRestored(resource?: RegExp, what = "drift not reported"): Result {
        const p = this.preview("--refresh", "--expect-no-changes");
        assert.notEqual(p.code, 0, `${what}:\n${p.out}`);
        if (resource) assert.match(p.out, resource);
        const u = this.up("--refresh");
        assert.equal(u.code, 0, u.out);
        return p;
    }
    /**
     * A hand change that `up` must refuse: `preview --refresh --expect-no-changes`
     * reports it, and `up --refresh` fails. Returns both outputs.
     */
    driftReportedThenRestoredFails(): { audit: Result; up: Result } {
        const audit = this.preview("--refresh", "--expect-no-changes");
        assert.notEqual(audit.code, 0, `drift not reported:\n${audit.out}`);
        const up = this.up("--refresh");
        assert.notEqual(up.code, 0, `up did not refuse:\n${up.out}`);
        return { audit, up };
    }
    /**
     * An upgrade that must re-create and restart nothing: preview and up show
     * no replacement, and `containers()` (IDs and start times, say) reads the
     * same as `before`, taken before the change.
     */
    upReplacingNothing(containers: () => unknown, before: unknown): void {
        const p = this.preview();
        assert.equal(p.code, 0, p.out);
        assert.doesNotMatch(p.out, /replace/);
        const u = this.up();
        assert.equal(u.code, 0, u.out);
        assert.doesNotMatch(u.out, /replace/);
        assert.deepEqual(containers(), before, "the same containers, not restarted");
    }
    destroy(): Result { return this.pulumi("destroy", "--yes", "--skip-preview"); }
    cleanup(): void { fs.rmSync(this.dir, { recursive: true, force: true }); }
}

/**
 * A previous commit's program, built into a temporary directory (for upgrade
 * tests): `git archive` of `rev` (the checkout is only read), this checkout's
 * node_modules (the same pinned packages), then that tree's own build.
 * The caller removes the directory.
 */
export function previousProgram(rev: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `containai-program-${rev.slice(0, 7)}-`));
    const archive = sh("bash", ["-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "_", ROOT, rev, dir]);
    if (archive.code !== 0) throw new Error(`git archive ${rev}: ${archive.out} (the lab suite runs from a git clone with history)`);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const build = sh("bash", ["scripts/build.sh"], { cwd: dir });
    if (build.code !== 0) throw new Error(`build of ${rev}: ${build.out}`);
    return dir;
}

/** The lab's S3-compatible state store (MinIO): env for an s3:// backend (lab/lab.sh s3). */
export function labS3(): Record<string, string> {
    return Object.fromEntries(lab("s3").split("\n").filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** Start the given lab hosts (each suite has its own: lab tests 2-4, bench 5-8). */
export function ensureLab(...hosts: number[]): void {
    lab("hosts", ...hosts.map(String));
}

/** Stack files in the checkout: tests must never add any (they use temp project dirs). */
export function checkoutStackFiles(): string[] {
    return fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.ya?ml$/.test(f)).sort();
}

/** `ssh <alias> cmd` through the generated SSH config in sshDir (sshDir/config includes it), as an operator runs it. */
export function agentSsh(sshDir: string, alias: string, cmd: string, input?: Buffer): Result {
    const r = spawnSync("ssh", ["-F", path.join(sshDir, "config"), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", alias, cmd],
        { encoding: "utf8", timeout: 300_000, input });
    return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** agentSsh that must succeed; its output, trimmed. */
export function agentSshOk(sshDir: string, alias: string, cmd: string, input?: Buffer): string {
    const r = agentSsh(sshDir, alias, cmd, input);
    assert.equal(r.code, 0, `ssh ${alias} ${cmd}: ${r.out}`);
    return r.out.trim();
}

/**
 * A lab host made fresh for agents on real sysbox: reset, the Docker-in-Docker
 * agent images served, the v0.7.0 lab build's config, and an operator's SSH
 * directory (a temp dir whose config the generated one is included into).
 */
export function realSysboxHost(i: number): { gw: string; sysbox: { version: string; config: Record<string, unknown> }; sshDir: string } {
    ensureLab(i);
    lab("reset", String(i));
    lab("dind-images");
    const gw = lab("serve").replace(/\/$/, "");
    const sysbox = labSysbox("v0.7.0");
    const sshDir = fs.mkdtempSync(path.join(os.tmpdir(), "containai-e2e-ssh-"));
    fs.writeFileSync(path.join(sshDir, "config"), "# operator's own settings\n", { mode: 0o600 });
    return { gw, sysbox, sshDir };
}
