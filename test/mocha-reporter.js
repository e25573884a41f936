// Mocha's spec reporter, plus the plain closing line CI reads:
// "N passed, N failed" (", N skipped" when any were; none should be).
"use strict";
const Mocha = require("mocha");

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithTotals extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(EVENT_RUN_END, () => {
            const s = this.stats;
            const skipped = s.pending > 0 ? `, ${s.pending} skipped` : "";
            process.stdout.write(`${s.passes} passed, ${s.failures} failed${skipped}\n`);
        });
    }
}

module.exports = SpecWithTotals;
