// The Pulumi SDK's closure serializer, loaded when it is first called.
//
// The SDK's `runtime` index requires the closure serializer and
// computeCodePaths when it loads, and they load the TypeScript compiler and
// @npmcli/arborist: about 0.35 s of CPU in every process that loads the
// index. Three processes of every run do: this program (through
// @pulumi/docker and @pulumi/github, which import the SDK root), and the
// engine's two dynamic-provider processes (cmd/dynamic-provider). None of them
// calls the serializer on a normal run: the program's providers are
// serialized at build time (closures.json, see dynamic.ts), and a provider
// process only runs providers.
//
// installLazySerializer() puts stand-ins for those two modules into
// require.cache before the index loads: the same exports, each loading the
// real module on its first call and calling through. It is a patch of SDK
// internals, so it is guarded:
// - it only installs for the SDK version whose exports it was checked against
//   (CHECKED_SDK_VERSION; test/unit/lazySerializer.test.ts compares the
//   stand-ins' exports with the real modules', and serializes through them);
// - a module that is already loaded is left alone (nothing to gain);
// - CONTAINAI_LAZY_SDK=0 turns it off.
// Used by index.ts, and by the dynamic-provider process through
// scripts/dynamic-provider/pulumi-resource-pulumi-nodejs (Pulumi.yaml `plugins`).
import * as path from "path";
import { Module } from "module";

/** The @pulumi/pulumi version the stand-ins' exports were checked against (package.json pins it). */
export const CHECKED_SDK_VERSION = "3.248.0";

/** The modules replaced, relative to the SDK's root, and the functions each exports. */
export const LAZY_MODULES: Readonly<Record<string, readonly string[]>> = {
    "runtime/closure/serializeClosure.js": ["serializeFunction", "serializeFunctionAsync"],
    "runtime/closure/codePaths.js": ["computeCodePaths", "findWorkspaceRoot"],
};

/** The SDK root directory as `from` resolves it, or undefined. */
function sdkRoot(from: string = __dirname): string | undefined {
    try {
        return path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [from] }));
    } catch {
        return undefined;
    }
}

/**
 * Installs the stand-ins. Returns the modules it replaced (absolute paths);
 * empty when it did nothing (another SDK version, already loaded, turned off).
 */
export function installLazySerializer(from: string = __dirname): string[] {
    if (process.env.CONTAINAI_LAZY_SDK === "0") return [];
    const root = sdkRoot(from);
    if (!root) return [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = (require(path.join(root, "package.json")) as { version?: string }).version;
    if (version !== CHECKED_SDK_VERSION) return [];
    const installed: string[] = [];
    for (const [rel, names] of Object.entries(LAZY_MODULES)) {
        const file = path.join(root, rel);
        if (require.cache[file]) continue;
        let real: Record<string, (...a: unknown[]) => unknown> | undefined;
        const load = () => {
            if (!real) {
                // The real module takes the stand-in's place in the cache.
                delete require.cache[file];
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                real = require(file) as Record<string, (...a: unknown[]) => unknown>;
            }
            return real;
        };
        const stand = new Module(file, module);
        stand.filename = file;
        stand.loaded = true;
        const exports: Record<string, unknown> = {};
        Object.defineProperty(exports, "__esModule", { value: true });
        for (const name of names) {
            exports[name] = function (this: unknown, ...args: unknown[]) {
                return load()[name].apply(this, args);
            };
        }
        stand.exports = exports;
        // Marks a stand-in (tests look for it in require.cache).
        Object.defineProperty(stand, "containaiLazy", { value: true });
        require.cache[file] = stand;
        installed.push(file);
    }
    return installed;
}
