// npm run devcontainer -- check <path> [--name NAME] [--all]
// Prints the verdict table of one devcontainer.json. Exit status: 0 nothing
// BLOCKED, 1 something BLOCKED, 2 the file does not parse or bad usage.
import { blocked, checkDevcontainerFile, formatFindings, summary } from "./check";

const USAGE = "usage: npm run devcontainer -- check <devcontainer.json, or a repository folder> [--name AGENT] [--all]\n" +
    "  prints each property's verdict (COMPATIBLE, ADJUSTED, WARNED, BLOCKED) with the reason and the fix;\n" +
    "  --all lists COMPATIBLE ones too; exit status 1 when anything is BLOCKED";

export function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): number {
    const [cmd, ...rest] = argv;
    if (cmd === "-h" || cmd === "--help") {
        out(USAGE);
        return 0;
    }
    let name: string | undefined, all = false, bad = false;
    const files: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        if (rest[i] === "--all") all = true;
        else if (rest[i] === "--name" && rest[i + 1] !== undefined) name = rest[++i];
        else if (rest[i].startsWith("-")) bad = true;
        else files.push(rest[i]);
    }
    if (cmd !== "check" || files.length !== 1 || bad) {
        out(USAGE);
        return 2;
    }
    const file = files[0];
    const r = checkDevcontainerFile(file, { name });
    if (!r.ok) {
        out(`${r.file}: not a valid devcontainer.json; nothing was assessed:\n${r.errors.map((e) => `  ${r.file}:${e}`).join("\n")}`);
        return 2;
    }
    const shown = all ? r.findings : r.findings.filter((f) => f.verdict !== "COMPATIBLE");
    out(`${r.file}: ${summary(r.findings)}`);
    out(formatFindings(shown));
    const b = blocked(r.findings);
    if (b.length > 0) {
        out(`\n${b.length} BLOCKED: an agent cannot be made from this file until ${b.length === 1 ? "it is" : "they are"} fixed.`);
        return 1;
    }
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
