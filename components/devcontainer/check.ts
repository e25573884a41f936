// `npm run devcontainer -- check <path>` and the per-agent block a preview
// prints: a devcontainer.json read, assessed and formatted. Pure apart from
// reading the file (no Pulumi imports).
import * as fs from "fs";
import * as path from "path";
import { defaultDaemon } from "../config/schema";
import { WORKSPACES_DIR } from "../config/checks";
import { Assessed, assessDevcontainer, fileUser, Finding } from "./assess";
import { devcontainerFile, parseDevcontainer } from "./jsonc";
import { formatFindings, summary } from "./format";

export { formatFindings, summary };

export interface CheckOptions {
    /** Agent name (default "agent"): ${devcontainerId}, and the default workspace's folder. */
    name?: string;
    env?: Record<string, string | undefined>;
}

/** `file`: the devcontainer.json read (a folder given resolves to the file the spec names). */
export type FileCheck = ({ ok: true; file: string } & Assessed) | { ok: false; file: string; errors: string[] };

/** Read, parse and assess one devcontainer.json with an agent's defaults. */
export function checkDevcontainerFile(given: string, opts: CheckOptions = {}): FileCheck {
    const file = devcontainerFile(given);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        return { ok: false, file, errors: [`cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`] };
    }
    const parsed = parseDevcontainer(text);
    if (parsed.errors) return { ok: false, file, errors: parsed.errors };
    const name = opts.name ?? "agent";
    const user = fileUser(parsed.doc) ?? "agent";
    const assessed = assessDevcontainer(parsed.doc, {
        file: path.resolve(file), name, workspace: `${WORKSPACES_DIR}/${name}`, workspacePath: `/home/${user}/workspace`,
        env: opts.env ?? process.env, daemons: [defaultDaemon()],
    });
    return { ok: true, file, ...assessed };
}

export const blocked = (fs: Finding[]): Finding[] => fs.filter((f) => f.verdict === "BLOCKED");

