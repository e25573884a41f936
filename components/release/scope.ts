// A GitHub token must carry the `workflow` scope to write .github/workflows/*.
// Checked before anything is written: the check runs in `check`, so a preview
// already fails. Classic tokens list their scopes in X-OAuth-Scopes; for
// fine-grained tokens GitHub sends no such header and the check cannot tell.
import * as pulumi from "../sdk";
import { DynamicResource, namedProvider } from "../dynamic";
import type { Inputs } from "../host/providers";
import { httpGet } from "./http";

/** What is wrong with a token, from GitHub's answer to GET /user; undefined when fine or unknowable. */
export function tokenScopeProblem(status: number, scopesHeader: string | undefined, key: string): string | undefined {
    if (status === 401) return `${key}: GitHub rejects the token (401 Bad credentials); create a new one`;
    if (status !== 200) return `${key}: GET /user answered HTTP ${status}; check the token and the API URL`;
    if (scopesHeader === undefined) return undefined;   // fine-grained token: needs "Workflows: write", not checkable here
    const scopes = scopesHeader.split(",").map((s) => s.trim()).filter(Boolean);
    if (!scopes.includes("workflow")) {
        return `${key}: the token lacks the "workflow" scope (it has: ${scopes.join(", ") || "none"}); GitHub refuses to ` +
            "write .github/workflows/* without it. Create a token with the repo and workflow scopes, then " +
            "`pulumi config set --secret --path containai:release.token <token>`";
    }
    return undefined;
}

export interface ScopeInputs {
    token: string;
    apiUrl: string;
    key: string;
}

const scopeProvider: pulumi.dynamic.ResourceProvider = namedProvider("github-token-scope", {
    async check(_olds: ScopeInputs, news: ScopeInputs): Promise<pulumi.dynamic.CheckResult> {
        let problem: string | undefined;
        try {
            const r = await httpGet(`${news.apiUrl.replace(/\/+$/, "")}/user`,
                { authorization: `Bearer ${news.token}`, accept: "application/vnd.github+json" });
            const h = r.headers["x-oauth-scopes"];
            problem = tokenScopeProblem(r.status, Array.isArray(h) ? h.join(",") : h, news.key);
        } catch (e) {
            problem = `${news.key}: cannot reach ${news.apiUrl} to check the token's scopes: ${(e as Error).message}`;
        }
        return problem ? { failures: [{ property: "token", reason: problem }] } : { inputs: news };
    },
    async diff(_id: string, olds: ScopeInputs, news: ScopeInputs): Promise<pulumi.dynamic.DiffResult> {
        return { changes: olds.apiUrl !== news.apiUrl || olds.token !== news.token };
    },
    async create(inputs: ScopeInputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: "github-token-scopes", outs: inputs };
    },
});

export class TokenScopeCheck extends DynamicResource {
    constructor(name: string, args: Inputs<ScopeInputs>, opts?: pulumi.CustomResourceOptions) {
        super(scopeProvider, name, args, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["token"] }));
    }
}
