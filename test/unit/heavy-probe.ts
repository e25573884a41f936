// Loaded with `node --require` into a dynamic-provider process by
// lazySerializer.test.ts: on SIGTERM it reports whether the lazy stand-ins are
// in place and whether the TypeScript compiler was loaded, then exits.
process.on("SIGTERM", () => {
    const mods = Object.values(require.cache);
    const stand = mods.filter((m) => (m as unknown as { containaiLazy?: boolean }).containaiLazy).length;
    const ts = Object.keys(require.cache).some((f) => f.includes("/node_modules/typescript/"));
    process.stderr.write(`heavy-probe: stand-ins=${stand} typescript=${ts}\n`);
    process.exit(0);
});
