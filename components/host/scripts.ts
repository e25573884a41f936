// Host scripts are real files in host-scripts/ (shellcheck-clean). A script is
// sent as lib.sh + the script body; env values are prepended by the provider.
import * as fs from "fs";
import * as path from "path";

export function projectRoot(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "host-scripts", "lib.sh"))) {
        const up = path.dirname(dir);
        if (up === dir) throw new Error("host-scripts/ not found above " + __dirname);
        dir = up;
    }
    return dir;
}

const cache = new Map<string, string>();

/** The text sent to the host for `name` (e.g. "daemon-apply.sh"). */
export function hostScript(name: string): string {
    const hit = cache.get(name);
    if (hit !== undefined) return hit;
    const dir = path.join(projectRoot(), "host-scripts");
    const strip = (s: string): string => s.replace(/^#!.*\n/, "");
    const text = `#!/usr/bin/env bash\n${strip(fs.readFileSync(path.join(dir, "lib.sh"), "utf8"))}\n` +
        `# ---- ${name}\n${strip(fs.readFileSync(path.join(dir, name), "utf8"))}`;
    cache.set(name, text);
    return text;
}

/** A script installed on the host as a file of its own (sent as is, without lib.sh). */
export function hostFile(name: string): string {
    const key = `file:${name}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const text = fs.readFileSync(path.join(projectRoot(), "host-scripts", name), "utf8");
    cache.set(key, text);
    return text;
}

/** A file of this project, by its path from the project root (e.g. "scripts/build-sysbox.sh"). */
export function projectFile(rel: string): string {
    return fs.readFileSync(path.join(projectRoot(), rel), "utf8");
}

/** The apply/probe/remove trio of one kind of host state ("daemon" → daemon-apply.sh, ...). */
export function scriptSet(kind: string): { applyScript: string; probeScript: string; removeScript: string } {
    return {
        applyScript: hostScript(`${kind}-apply.sh`),
        probeScript: hostScript(`${kind}-probe.sh`),
        removeScript: hostScript(`${kind}-remove.sh`),
    };
}
