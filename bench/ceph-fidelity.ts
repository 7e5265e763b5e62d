// The storage model against a real Ceph on shaped links: prints the fidelity table (predicted against
// measured for every scenario, at the bed's scale factor) and the wire factors each run measured.
// `npx tsx bench/ceph-fidelity.ts [--runs N] [--json]` as root on a machine with Debian's Ceph (.ci/run
// installs it). Several runs give the run-to-run spread of every figure.
import * as path from "node:path";
import { bedUnavailable } from "../test/ceph/bed";
import { formatTable, runFidelity, TOLERANCE, withinTolerance, type FidelityResult } from "../test/ceph/fidelity";

async function main(argv: string[]): Promise<number> {
    const unavailable = bedUnavailable();
    if (unavailable) {
        console.error(`ceph-fidelity: the Ceph bed cannot start here: ${unavailable}`);
        return 1;
    }
    const runsAt = argv.indexOf("--runs");
    const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 1;
    const replayFile = path.join(__dirname, "..", "test", "replays", "Pulumi.storage-saturation.yaml");
    const results: FidelityResult[] = [];
    for (let i = 0; i < runs; i++) {
        const r = await runFidelity({ replayFile, log: (l) => console.error(`run ${i + 1}/${runs}: ${l}`) });
        results.push(r);
        console.log(`\nRun ${i + 1} of ${runs} (bed setup ${r.setupSeconds.toFixed(0)} s, all scenarios ${r.totalSeconds.toFixed(0)} s)`);
        console.log(formatTable(r.rows));
        console.log(`Measured on client writes: wire overhead ${r.measured.wireOverhead.toFixed(3)}, inbound links at ${(r.measured.linkEfficiency * 100).toFixed(1)} % of line rate`);
    }
    if (runs > 1) {
        console.log(`\nSpread over ${runs} runs (measured: min – max; rows held to ±${TOLERANCE * 100} %: runs within)`);
        for (const [i, row] of results[0].rows.entries()) {
            const m = results.map((r) => r.rows[i].measured);
            const within = results.filter((r) => withinTolerance(r.rows[i])).length;
            console.log(`  ${row.scenario} — ${row.what.replace(/ \(.*$/, "")}: ${Math.min(...m).toFixed(2)} – ${Math.max(...m).toFixed(2)} ${row.unit}${row.held ? `, ${within}/${runs} within` : ""}`);
        }
        const eff = results.map((r) => r.measured.linkEfficiency);
        console.log(`  link efficiency of client writes: ${Math.min(...eff).toFixed(3)} – ${Math.max(...eff).toFixed(3)}`);
    }
    if (argv.includes("--json")) console.log(JSON.stringify(results));
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
        process.exit(1);
    },
);
