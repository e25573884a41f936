// devcontainer.json as the spec defines it: JSON with comments and trailing
// commas (JSONC), read with Microsoft's jsonc-parser (the parser VS Code and
// the devcontainer CLI use), never by hand. Pure: no Pulumi imports.
import * as fs from "fs";
import * as path from "path";
import { Node, ParseError, parseTree, printParseErrorCode } from "jsonc-parser";

export type DevcontainerDoc = Record<string, unknown>;

/** Line and column (1-based) of an offset, as editors show them. */
function position(text: string, offset: number): string {
    const before = text.slice(0, offset).split("\n");
    return `${before.length}:${before[before.length - 1].length + 1}`;
}

const MESSAGES: Record<string, string> = {
    InvalidSymbol: "unexpected character",
    PropertyNameExpected: "a property name (in double quotes) was expected",
    ValueExpected: "a value was expected",
    ColonExpected: "a colon was expected",
    CommaExpected: "a comma was expected",
    CloseBraceExpected: "a closing } was expected",
    CloseBracketExpected: "a closing ] was expected",
    EndOfFileExpected: "text after the end of the document",
    InvalidCommentToken: "a comment is not closed",
    UnexpectedEndOfComment: "a comment is not closed",
    UnexpectedEndOfString: "a string is not closed",
};

/** A property given twice in one object: tools disagree on which one wins. */
function duplicates(node: Node, text: string, path: string, out: string[]): void {
    if (node.type === "object") {
        const seen = new Set<string>();
        for (const prop of node.children ?? []) {
            const [k, v] = prop.children ?? [];
            if (!k) continue;
            const name = String(k.value);
            const here = path ? `${path}.${name}` : name;
            if (seen.has(name)) out.push(`${position(text, k.offset)}: ${here} is given twice; keep one`);
            seen.add(name);
            if (v) duplicates(v, text, here, out);
        }
    } else if (node.type === "array") {
        (node.children ?? []).forEach((c, i) => duplicates(c, text, `${path}[${i}]`, out));
    }
}

/**
 * Parse a devcontainer.json's text. Errors carry line:column and say what was
 * expected; a document that is not an object, or gives a property twice, is
 * an error too (never a silent "last one wins").
 */
export function parseDevcontainer(text: string): { doc: DevcontainerDoc; errors?: undefined } | { doc?: undefined; errors: string[] } {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const errs: ParseError[] = [];
    const tree = parseTree(body, errs, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
    if (errs.length > 0) {
        // The first error only: the ones after it follow from it.
        const e = errs[0];
        return { errors: [`${position(body, e.offset)}: ${MESSAGES[printParseErrorCode(e.error)] ?? printParseErrorCode(e.error)}`] };
    }
    if (!tree || tree.type !== "object") return { errors: ["1:1: a devcontainer.json is one JSON object ({ ... })"] };
    const dup: string[] = [];
    duplicates(tree, body, "", dup);
    if (dup.length > 0) return { errors: dup };
    return { doc: nodeValue(tree) as DevcontainerDoc };
}

function nodeValue(n: Node): unknown {
    switch (n.type) {
        case "object":
            return Object.fromEntries((n.children ?? []).filter((p) => p.children?.length === 2)
                .map((p) => [String(p.children![0].value), nodeValue(p.children![1])]));
        case "array":
            return (n.children ?? []).map(nodeValue);
        default:
            return n.value;
    }
}

/**
 * A devcontainer.json given as the file, or as the folder of a repository:
 * then where the spec looks, `.devcontainer/devcontainer.json`, else
 * `.devcontainer.json`. An unreadable path is returned as it is (reading it
 * names the problem).
 */
export function devcontainerFile(p: string): string {
    let st: fs.Stats;
    try {
        st = fs.statSync(p);
    } catch {
        return p;
    }
    if (!st.isDirectory()) return p;
    const nested = path.join(p, ".devcontainer", "devcontainer.json");
    const flat = path.join(p, ".devcontainer.json");
    return fs.existsSync(nested) || !fs.existsSync(flat) ? nested : flat;
}
