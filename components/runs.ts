// Which stack each run of this program belongs to, for `npm run recover`
// (scripts/recover.sh): when a CLI is killed, the language host and the
// provider plugins it started live on, and each of them names only the
// engine's address. The program records that address with its stack and
// project in the cache (~/.cache/containai-infra/runs/<host>_<port>), so
// recover can stop exactly that stack's leftovers. Best effort: never fails
// a run.
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "./config/checks";

/** Records older than this are removed when a run starts (an engine's port is reused eventually). */
const KEEP_MS = 7 * 24 * 3600 * 1000;

export function runsDir(): string {
    return path.join(cacheDir(), "runs");
}

/**
 * The engine address of this run: the last argument of the language host
 * that started the program (`pulumi-language-nodejs ... 127.0.0.1:PORT`;
 * the SDK's run script replaces the program's own argv). `parentArgs` for tests.
 */
export function engineAddress(parentArgs: string[] | undefined = parentCommandLine()): string | undefined {
    const v = parentArgs?.[parentArgs.length - 1];
    return v !== undefined && /^[\w.-]+:\d+$/.test(v) ? v : undefined;
}

function parentCommandLine(): string[] | undefined {
    try {
        return fs.readFileSync(`/proc/${process.ppid}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
    } catch {
        return undefined;   // not Linux: no record, recover then lists the leftovers instead
    }
}

export function recordRun(stack: string, project: string, parentArgs: string[] | undefined = parentCommandLine(),
    dir = runsDir(), now = Date.now()): string | undefined {
    const engine = engineAddress(parentArgs);
    if (engine === undefined) return undefined;
    try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        for (const f of fs.readdirSync(dir)) {
            const p = path.join(dir, f);
            if (now - fs.statSync(p).mtimeMs > KEEP_MS) fs.rmSync(p, { force: true });
        }
        const file = path.join(dir, engine.replace(":", "_"));
        const tmp = `${file}.tmp-${process.pid}`;
        fs.writeFileSync(tmp, `stack=${stack}\nproject=${project}\npid=${process.pid}\n`, { mode: 0o600 });
        fs.renameSync(tmp, file);
        return file;
    } catch {
        return undefined;
    }
}
