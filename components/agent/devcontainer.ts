// An agent built from a devcontainer.json: the build contexts of its image,
// prepared where `pulumi` runs. Tags are content addresses (a hash of every
// input), so an image is built again exactly when an input changed, and a
// changed input shows in the plan as a new image (and so a new container).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { AgentConfig } from "../config/agents";
import { cacheDir } from "../config/checks";
import { isObj } from "../config/collect";
import { DevcontainerSpec } from "../devcontainer/expand";
import { parseDevcontainer } from "../devcontainer/jsonc";
import { LayerFeature, renderLayer } from "../render/devcontainer";

const sha = (s: string | Buffer) => crypto.createHash("sha256").update(s).digest("hex");

/**
 * A folder's content as one hash: every entry's path, type, executable bit
 * and bytes (a symlink by its target), in a fixed order. `.git` is left out.
 */
export function treeHash(dir: string): string {
    const h = crypto.createHash("sha256");
    const walk = (rel: string) => {
        const names = fs.readdirSync(path.join(dir, rel)).sort();
        for (const n of names) {
            if (n === ".git") continue;
            const r = rel ? `${rel}/${n}` : n;
            const p = path.join(dir, r);
            const st = fs.lstatSync(p);
            if (st.isSymbolicLink()) h.update(`l ${r} ${fs.readlinkSync(p)}\n`);
            else if (st.isDirectory()) {
                h.update(`d ${r}\n`);
                walk(r);
            } else if (st.isFile()) h.update(`f ${r} ${st.mode & 0o111 ? "x" : "-"} ${sha(fs.readFileSync(p))}\n`);
        }
    };
    walk("");
    return h.digest("hex");
}

export interface DevcontainerImages {
    /** The devcontainer's own build, when it has one (its tag is what the layer builds FROM). */
    base?: { tag: string; context: string; dockerfile: string; args: Record<string, string>; target?: string };
    /** The layer that makes it an agent. */
    layer: { tag: string; context: string };
}

/** A local feature's option defaults and containerEnv (devcontainer-feature.json, when there is one). */
function featureMetadata(dir: string): { defaults: Record<string, string | boolean>; containerEnv: Record<string, string> } {
    const out = { defaults: {} as Record<string, string | boolean>, containerEnv: {} as Record<string, string> };
    const f = path.join(dir, "devcontainer-feature.json");
    if (!fs.existsSync(f)) return out;
    const doc = parseDevcontainer(fs.readFileSync(f, "utf8")).doc ?? {};
    if (isObj(doc.options)) {
        for (const [k, o] of Object.entries(doc.options)) {
            if (isObj(o) && (typeof o.default === "string" || typeof o.default === "boolean")) out.defaults[k] = o.default;
        }
    }
    if (isObj(doc.containerEnv)) for (const [k, v] of Object.entries(doc.containerEnv)) out.containerEnv[k] = String(v);
    return out;
}

/**
 * Prepare the build contexts of an agent's image (written once per content
 * hash under the cache, atomically) and name its tags.
 */
export function devcontainerImages(a: Pick<AgentConfig, "name" | "user" | "uid">, spec: DevcontainerSpec, root = cacheDir()): DevcontainerImages {
    let base: DevcontainerImages["base"];
    let from: string;
    if (spec.build) {
        const b = spec.build;
        const dockerfile = path.relative(b.context, b.dockerfile);
        // (Inside the context: the config check refuses a Dockerfile outside it.)
        const hash = sha(JSON.stringify({ dockerfile, args: b.args, target: b.target ?? null, tree: treeHash(b.context) })).slice(0, 16);
        base = { tag: `containai-devcontainer-base/${a.name}:${hash}`, context: b.context, dockerfile, args: b.args, target: b.target };
        from = base.tag;
    } else {
        from = spec.image as string;
    }
    const features: (LayerFeature & { src: string })[] = spec.features.map((f, j) => {
        const meta = featureMetadata(f.dir);
        return { dir: `${j + 1}-${path.basename(f.dir)}`, id: f.id, src: f.dir, options: { ...meta.defaults, ...f.options }, containerEnv: meta.containerEnv };
    });
    const files = renderLayer({ agent: a.name, base: from, user: a.user, uid: a.uid, workdir: spec.workdir, features,
        lifecycle: spec.lifecycle, remoteEnv: spec.remoteEnv });
    const hash = sha(JSON.stringify({ files, features: features.map((f) => [f.dir, treeHash(f.src)]) })).slice(0, 16);
    const context = path.join(root, "devcontainer", `${a.name}-${hash}`);
    if (!fs.existsSync(context)) {
        fs.mkdirSync(path.dirname(context), { recursive: true });
        const tmp = fs.mkdtempSync(`${context}.tmp-`);
        for (const f of features) fs.cpSync(f.src, path.join(tmp, "features", f.dir), { recursive: true });
        for (const [p, f] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(tmp, p)), { recursive: true });
            fs.writeFileSync(path.join(tmp, p), f.content, { mode: f.mode });
        }
        try {
            fs.renameSync(tmp, context);
        } catch (e) {
            // Another run wrote the same content first.
            fs.rmSync(tmp, { recursive: true, force: true });
            if (!fs.existsSync(context)) throw e;
        }
    }
    return { base, layer: { tag: `containai-devcontainer/${a.name}:${hash}`, context } };
}
