// Dynamic resources whose provider code is serialized once, at build time.
//
// A `pulumi.dynamic.Resource` serializes its provider (the provider object and
// everything it captures, as JavaScript text stored in state as `__provider`)
// on every run, through the V8 inspector and a TypeScript parse of each
// function: about 0.2 s of CPU before the first dynamic resource can be
// registered, and so before the engine starts the dynamic-provider process.
// The text depends only on the compiled code, so `npm run build` (scripts/
// build.sh, components/closures.ts) writes it to dist/components/closures.json,
// keyed by a hash of the compiled components, the SDK version and the Node.js
// version. A run uses the stored text only when that key matches what is
// loaded; otherwise (e.g. `tsc` alone after an edit) it serializes exactly as
// the SDK does. Either way the resource is the SDK's: type
// `pulumi-nodejs:dynamic:Resource`, the same `__provider` text, the same
// dynamic-provider host.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "./sdk";

const named = new Map<pulumi.dynamic.ResourceProvider, string>();

/** Give a dynamic provider its stable name (its key in closures.json). */
export function namedProvider<T extends pulumi.dynamic.ResourceProvider>(name: string, provider: T): T {
    for (const [p, n] of named) {
        if (n === name && p !== provider) throw new Error(`two dynamic providers are named ${name}`);
    }
    named.set(provider, name);
    return provider;
}

/** Every named provider loaded so far. */
export function namedProviders(): Map<string, pulumi.dynamic.ResourceProvider> {
    return new Map([...named].map(([p, n]) => [n, p]));
}

export const CLOSURES_FILE = path.join(__dirname, "closures.json");

export interface ClosuresFile {
    key: string;
    providers: Record<string, string>;
}

function jsFiles(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...jsFiles(p));
        else if (e.name.endsWith(".js")) out.push(p);
    }
    return out.sort();
}

/**
 * What the serialized text depends on: the compiled components (`dir`, this
 * module's own directory when run), the SDK's serializer, the Node.js version.
 */
export function closuresKey(dir = __dirname): string {
    const h = createHash("sha256");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    h.update(`node ${process.version} sdk ${require("@pulumi/pulumi/package.json").version}\n`);
    for (const f of jsFiles(dir)) h.update(`${path.relative(dir, f)}\n`).update(fs.readFileSync(f));
    return h.digest("hex");
}

let stored: Record<string, string> | null | undefined;

function storedClosures(): Record<string, string> | null {
    if (stored === undefined) {
        stored = null;
        try {
            const file = JSON.parse(fs.readFileSync(CLOSURES_FILE, "utf8")) as ClosuresFile;
            if (file.key === closuresKey()) stored = file.providers;
        } catch {
            // No file (a plain `tsc` build): serialize at run time.
        }
    }
    return stored;
}

/** Serialize a provider as the SDK's dynamic.Resource does. */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { serializeFunction } = require("@pulumi/pulumi/runtime/closure/serializeClosure");
    const sf = await serializeFunction(() => provider, { allowSecrets: true });
    if (sf.containsSecrets) throw new Error(`dynamic provider ${named.get(provider)} captures a secret`);
    return sf.text as string;
}

/** `__provider` for a resource: the build's text when it matches this code, else serialized now. */
function providerText(provider: pulumi.dynamic.ResourceProvider): pulumi.Input<string> {
    const name = named.get(provider);
    if (name === undefined) throw new Error("dynamic provider without a name: wrap it in namedProvider()");
    return storedClosures()?.[name] ?? pulumi.output(serializeProvider(provider));
}

/** A `pulumi.dynamic.Resource` whose provider text comes from the build when it can. */
export class DynamicResource extends pulumi.CustomResource {
    constructor(provider: pulumi.dynamic.ResourceProvider, name: string, props: pulumi.Inputs,
        opts?: pulumi.CustomResourceOptions) {
        if (props.__provider !== undefined) throw new Error("A dynamic resource must not define the __provider key");
        super("pulumi-nodejs:dynamic:Resource", name, { ...props, __provider: providerText(provider) }, opts);
    }
}
