// The dev stack's config for THIS machine's lab: Pulumi.dev.yaml plus the
// values only the lab knows (the version and sha256 of the sysbox LAB BUILD,
// the sha256 of the agent image archive it built here, the lab's public key). Written outside
// the checkout's tracked files; `npm run dev` passes it to pulumi with
// --config-file, so Pulumi.dev.yaml stays as committed.
//   node lab/dev-config.js <Pulumi.dev.yaml> <lab dir> <out file>
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

const [stackFile, labDir, outFile] = process.argv.slice(2);
if (!stackFile || !labDir || !outFile) {
    console.error("usage: node lab/dev-config.js Pulumi.dev.yaml <lab dir> <out file>");
    process.exit(2);
}
const doc = YAML.parse(fs.readFileSync(stackFile, "utf8"));
const config = doc.config;
const served = path.join(labDir, "sysbox-double");
const sha = (file) => {
    const f = path.join(served, `${file}.sha256`);
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run scripts/lab-prepare.sh 1 first`);
    return fs.readFileSync(f, "utf8").split(/\s+/)[0];
};
// The lab build's version is its file name's (lab/sysbox-lab names every
// substitution and patch in it): derived, never copied by hand.
const custom = config["containai:sysbox"].custom;
const built = path.join(labDir, "sysbox-lab", "v0.7.0", ".deb");
if (!fs.existsSync(built)) throw new Error(`${built} is missing: run scripts/lab-prepare.sh 1 first`);
const m = /sysbox-ce_(.+)\.linux_amd64\.deb$/.exec(fs.readFileSync(built, "utf8").trim());
if (!m) throw new Error(`${built} does not name a sysbox-ce .deb`);
custom.version = m[1];
custom.sha256 = { amd64: sha(`lab-builds/sysbox-ce_${custom.version}.linux_amd64.deb`) };
const key = fs.readFileSync(path.join(labDir, "id_ed25519.pub"), "utf8").trim();
for (const a of config["containai:agents"] ?? []) {
    const file = a.imageArchive.url.replace(/^.*\/(agent-images\/[^/]+)$/, "$1");
    a.imageArchive.sha256 = sha(file);
    a.authorizedKeys = [key];
}
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, YAML.stringify(doc));
