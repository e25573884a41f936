import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { describe, it } from "mocha";
import { projectRoot } from "../helpers";

// The lab build of the docker plugin (scripts/plugins/docker/main.go) maps
// Terraform names to @pulumi/docker's. Its explicit overrides must name
// tokens and properties that the npm SDK actually uses, or the engine and the
// plugin would talk past each other. (The tokens the program uses are also
// exercised end to end by test/lab/agents.test.ts.)
describe("lab docker plugin: names match the @pulumi/docker SDK", () => {
    const root = projectRoot();
    const main = fs.readFileSync(path.join(root, "scripts", "plugins", "docker", "main.go"), "utf8");
    const sdk = path.join(root, "node_modules", "@pulumi", "docker");
    const read = (f: string): string => fs.readFileSync(path.join(sdk, f), "utf8");

    it("each resource and function token the wrapper sets is the SDK's", () => {
        const resources = [...main.matchAll(/res\("([A-Za-z]+)"\)/g)].map((m) => m[1]);
        assert.ok(resources.length >= 5, `found ${resources.join(", ")}`);
        for (const r of resources) {
            const file = `${r[0].toLowerCase()}${r.slice(1)}.js`;
            assert.match(read(file), new RegExp(`__pulumiType = 'docker:index/${r[0].toLowerCase()}${r.slice(1)}:${r}'`), r);
        }
        const fns = [...main.matchAll(/fn\("([A-Za-z]+)"\)/g)].map((m) => m[1]);
        assert.deepEqual(fns, ["getRemoteImage"]);
        assert.match(read("getRemoteImage.js"), /invoke\("docker:index\/getRemoteImage:getRemoteImage"/);
    });

    it("each property rename the wrapper sets exists in the SDK's input types", () => {
        const renames = [...main.matchAll(/"([a-z_]+)":\s*\{Name: "([A-Za-z]+)"\}/g)].map((m) => [m[1], m[2]]);
        assert.deepEqual(renames.map((r) => r[1]).sort(), ["command", "networksAdvanced", "registryAuth"]);
        assert.match(read("container.d.ts"), /^\s+command\?: pulumi\.Input/m);
        assert.match(read("container.d.ts"), /^\s+networksAdvanced\?: pulumi\.Input/m);
        assert.match(read("provider.d.ts"), /^\s+registryAuth\?: pulumi\.Input/m);
    });

    it("the github wrapper's data-source token is the SDK's", () => {
        const gmain = fs.readFileSync(path.join(root, "scripts", "plugins", "github", "main.go"), "utf8");
        assert.match(gmain, /"github_app": \{Tok: tokens\.ModuleMember\("github:index\/getGithubApp:getGithubApp"\)\}/);
        const gsdk = fs.readFileSync(path.join(root, "node_modules", "@pulumi", "github", "getGithubApp.js"), "utf8");
        assert.match(gsdk, /invoke\("github:index\/getGithubApp:getGithubApp"/);
    });

    it("the plugin is stamped with the SDK's plugin version", () => {
        const sh = fs.readFileSync(path.join(root, "scripts", "plugins.sh"), "utf8");
        assert.match(sh, /-X main\.Version=\$ver/);
        assert.match(sh, /DV=\$\(sdk_version docker\)/);
        assert.equal(JSON.parse(read("package.json")).pulumi.version, "5.2.0");
    });
});
