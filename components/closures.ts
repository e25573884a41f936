// Build step (scripts/build.sh, after tsc): serialize every dynamic provider
// of the program once and write dist/components/closures.json (see dynamic.ts).
//   node dist/components/closures.js [FILE]
// A fresh process serializes in a fixed order, so the output is the same
// for the same code (the SDK's serializer caches what it analysed, which
// can reorder the text when one process serializes in another order).
import * as fs from "fs";
import { CLOSURES_FILE, ClosuresFile, closuresKey, namedProviders, serializeProvider } from "./dynamic";
// Every module that defines a dynamic provider.
import "./host/providers";
import "./agent/providers";
import "./release/scope";
import "./release/checksums";

export async function writeClosures(file = CLOSURES_FILE): Promise<ClosuresFile> {
    const providers: Record<string, string> = {};
    for (const [name, p] of [...namedProviders()].sort(([a], [b]) => a.localeCompare(b))) {
        providers[name] = await serializeProvider(p);
    }
    const out: ClosuresFile = { key: closuresKey(), providers };
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(out));
    fs.renameSync(tmp, file);
    return out;
}

if (require.main === module) {
    const file = process.argv[2] ?? CLOSURES_FILE;
    writeClosures(file).then((c) => {
        console.error(`closures: ${Object.keys(c.providers).length} dynamic providers serialized into ${file}`);
    }).catch((e) => {
        console.error(`closures: ${(e as Error).message}`);
        process.exit(1);
    });
}
