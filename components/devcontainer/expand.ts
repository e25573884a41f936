// containai:agents[i].devcontainer: the file read where `pulumi` runs,
// assessed, and what it contributes merged under the agent's own keys (the
// entry wins) before the agents' validator runs. BLOCKED verdicts are config
// problems naming agents[i].devcontainer, the file and the property; the other
// non-COMPATIBLE ones are one warning block per agent, printed by every
// preview and up.
import * as fs from "fs";
import * as path from "path";
import { WORKSPACES_DIR } from "../config/checks";
import { DaemonPaths } from "../config/agents";
import { Collector, isObj, Obj, show } from "../config/collect";
import { assessDevcontainer, DevcontainerAgent, fileUser, Finding } from "./assess";
import { devcontainerFile, parseDevcontainer } from "./jsonc";
import { formatFindings } from "./format";

/** What an agent built from a devcontainer.json needs beyond an agents[] entry. */
export interface DevcontainerSpec {
    /** Absolute path of the devcontainer.json. */
    file: string;
    image?: string;
    build?: DevcontainerAgent["build"];
    features: DevcontainerAgent["features"];
    lifecycle: DevcontainerAgent["lifecycle"];
    /** Where lifecycle commands run. */
    workdir: string;
    forwardPorts: number[];
    remoteEnv: Record<string, string | null>;
}

/** The image name an agent built from a devcontainer.json carries until its build's tag is known. */
export const DEVCONTAINER_IMAGE = (agent: string) => `containai-devcontainer/${agent}:built`;

/** Entry over file: scalars from the entry when set; maps merged; lists joined, the entry's winning on the same target/port. */
export function mergeAgent(file: Obj, entry: Obj): Obj {
    const out: Obj = { ...file, ...entry };
    for (const k of ["env", "sysctls"]) {
        if (isObj(file[k]) || isObj(entry[k])) out[k] = { ...(isObj(file[k]) ? file[k] : {}), ...(isObj(entry[k]) ? entry[k] : {}) };
    }
    const list = (k: string, same: (a: Obj, b: Obj) => boolean) => {
        const mine = Array.isArray(entry[k]) ? (entry[k] as unknown[]) : [];
        const theirs = (Array.isArray(file[k]) ? (file[k] as Obj[]) : []).filter((f) => !mine.some((m) => isObj(m) && same(m, f)));
        if (mine.length + theirs.length > 0 || entry[k] !== undefined) out[k] = entry[k] !== undefined && !Array.isArray(entry[k]) ? entry[k] : [...mine, ...theirs];
    };
    list("mounts", (a, b) => a.target === b.target);
    list("ports", (a, b) => a.container === b.container && (a.protocol ?? "tcp") === (b.protocol ?? "tcp"));
    return out;
}

/**
 * Expand every agent that names a devcontainer.json. Returns the agents list
 * to validate, and the specs by agent name.
 */
export function expandDevcontainers(c: Collector, raw: unknown, daemons: DaemonPaths[], env: Record<string, string | undefined>,
    cwd = process.cwd()): { agents: unknown; specs: Map<string, DevcontainerSpec> } {
    const specs = new Map<string, DevcontainerSpec>();
    if (!Array.isArray(raw)) return { agents: raw, specs };
    const agents = raw.map((r, i) => {
        if (!isObj(r) || r.devcontainer === undefined) return r;
        const k = `agents[${i}]`;
        const { devcontainer, ...entry } = r;
        const name = typeof entry.name === "string" ? entry.name : `agent${i}`;
        // The agent's image is built from the file: a placeholder until the build's tag is known.
        const blockedEntry = { ...entry, image: entry.image ?? DEVCONTAINER_IMAGE(name) };
        if (typeof devcontainer !== "string" || devcontainer.trim() === "") {
            c.add(`${k}.devcontainer`, `${show(devcontainer)} must be the path of a devcontainer.json (relative to the project, or absolute)`);
            return blockedEntry;
        }
        if (entry.image !== undefined) {
            c.add(`${k}.image`, "is set beside devcontainer: the agent's image is built from the devcontainer.json; remove image " +
                "(to change the base, edit the file's image or build)");
            return blockedEntry;
        }
        const file = devcontainerFile(path.resolve(cwd, devcontainer));
        let text: string;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch (e) {
            c.add(`${k}.devcontainer`, `${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); give the path of a devcontainer.json`);
            return blockedEntry;
        }
        const parsed = parseDevcontainer(text);
        if (parsed.errors) {
            c.add(`${k}.devcontainer`, `${file}:${parsed.errors[0]}; fix the file (it is JSON with comments)`);
            return blockedEntry;
        }
        const user = typeof entry.user === "string" ? entry.user : fileUser(parsed.doc) ?? "agent";
        const workspace = typeof entry.workspace === "string" ? entry.workspace : `${WORKSPACES_DIR}/${name}`;
        const { findings, agent } = assessDevcontainer(parsed.doc, {
            file, name, workspace, env, daemons,
            workspacePath: typeof entry.workspacePath === "string" ? entry.workspacePath : `/home/${user}/workspace`,
        });
        const rel = path.relative(cwd, file).startsWith("..") ? file : path.relative(cwd, file);
        const blocked = findings.filter((f) => f.verdict === "BLOCKED");
        for (const f of blocked) c.add(`${k}.devcontainer`, `${rel}: ${f.property} ${f.value}: ${f.reason}${f.fix ? `. Fix: ${f.fix}` : ""}`);
        const notable = findings.filter((f: Finding) => f.verdict === "ADJUSTED" || f.verdict === "WARNED");
        if (notable.length > 0) c.warn(`${k}.devcontainer`, `${rel}, as agent ${name}: ${notable.length} ` +
            `propert${notable.length === 1 ? "y" : "ies"} adjusted or not applied:\n${formatFindings(notable)}`);
        if (blocked.length > 0) return blockedEntry;
        const merged = mergeAgent(agent.raw, entry);
        merged.image = DEVCONTAINER_IMAGE(name);
        const mergedUser = typeof merged.user === "string" ? merged.user : "agent";
        specs.set(name, {
            file, image: agent.image, build: agent.build, features: agent.features, lifecycle: agent.lifecycle,
            workdir: agent.workdir ?? (typeof merged.workspacePath === "string" ? merged.workspacePath : `/home/${mergedUser}/workspace`),
            forwardPorts: agent.forwardPorts, remoteEnv: agent.remoteEnv,
        });
        return merged;
    });
    return { agents, specs };
}
