// The storage model against a real Ceph on shaped links (test/ceph/bed.ts): the stack's recovery settings read
// from its rendered CephCluster and run on the bed, recovery and client writes predicted within ±20 % at
// Ceph's defaults and at the stack's throttles, and outage 1's change on links the model calls saturated and
// on links it accepts. Timings are not asserted: the links and the throttles set them, and the margins hold
// under the machine's other work. Under CI=true a bed that cannot start fails the suite; elsewhere it is
// skipped, loudly.
import * as path from "node:path";
import { bedUnavailable } from "./bed";
import { ACCEPTED_MBIT, formatTable, runFidelity, SATURATED_MBIT, withinTolerance, type FidelityResult } from "./fidelity";

const REPLAY = path.join(__dirname, "..", "replays", "Pulumi.storage-saturation.yaml");
const unavailable = bedUnavailable();
const ci = process.env.CI === "true";

if (unavailable && !ci) {
    const bar = "!".repeat(100);
    console.warn(`${bar}\nCeph suite SKIPPED: ${unavailable}. It needs root, Debian's ceph-mon ceph-mgr ceph-osd ceph-common and iproute2 (.ci/run installs them).\n${bar}`);
}

(unavailable && !ci ? describe.skip : describe)("the storage model against a real Ceph on shaped links", () => {
    let result: FidelityResult;

    beforeAll(async () => {
        if (unavailable) throw new Error(`the Ceph bed cannot start under CI: ${unavailable}`);
        result = await runFidelity({ replayFile: REPLAY, log: (l) => process.stderr.write(`ceph bed: ${l}\n`) });
        process.stderr.write(`${formatTable(result.rows)}\nbed setup ${result.setupSeconds.toFixed(0)} s, all scenarios ${result.totalSeconds.toFixed(0)} s\n`);
    });

    const row = (scenario: RegExp, what: RegExp = /./) => {
        const found = result.rows.filter((r) => scenario.test(r.scenario) && what.test(r.what));
        expect(found).toHaveLength(1);
        return found[0];
    };

    it("runs the bed with exactly the recovery settings of the stack's rendered CephCluster", () => {
        expect(result.stackConfig).toMatchObject({ osd_op_queue: "wpq", osd_max_backfills: String(result.stackThrottles.maxBackfills) });
        // What the running OSDs report, for every option the CephCluster states (numbers compared as numbers).
        const same = (a: string, b: string) => a === b || (a.trim() !== "" && Number(a) === Number(b));
        for (const [k, v] of Object.entries(result.stackConfig)) expect([k, same(result.appliedConfig[k], v)]).toEqual([k, true]);
        // …and they are not Ceph's defaults, so the two settings are two different runs.
        expect(result.stackThrottles.maxBackfills).toBeGreaterThan(1);
    });

    it("predicts shaped client write throughput within ±20 %", () => {
        expect(withinTolerance(row(/^client writes/))).toBe(true);
    });

    it("predicts the recovery of a killed OSD's data within ±20 %, at Ceph's defaults and at the stack's throttles", () => {
        const defaults = row(/^recovery, Ceph's defaults/);
        const tuned = row(/^recovery, the stack's/);
        expect(withinTolerance(defaults)).toBe(true);
        expect(withinTolerance(tuned)).toBe(true);
        // The throttles, not the links, decide at the defaults: the stack's settings recover faster.
        expect(tuned.measured).toBeLessThan(defaults.measured * 0.85);
    });

    it(`keeps the raised load and a recovery in bounds on links the model accepts (${ACCEPTED_MBIT} Mbit/s)`, () => {
        const side = result.outage.sides.accepted;
        expect(withinTolerance(row(/^outage, accepted/, /normal load/))).toBe(true);
        expect(withinTolerance(row(/^outage, accepted/, /after the change/))).toBe(true);
        // Recovery under the raised load finishes far inside the rule's limit at the bed's scale. (The model
        // leaves clients their share of the link and gives recovery the rest; Ceph also serves client ops
        // first in the OSDs, so the measured time runs 30–50 % over the prediction: reported, not held.)
        expect(side.recovery.done).toBe(true);
        expect(side.recovery.predictedS).toBeLessThan(side.recovery.limitS);
        expect(side.recovery.seconds).toBeLessThan(side.recovery.limitS / 5);
    });

    it(`shows the outage on links the model calls saturated (${SATURATED_MBIT} Mbit/s): the raised load is not carried`, () => {
        const side = result.outage.sides.saturated;
        // The model: normal load fits, the raised load is past what the links carry.
        expect(withinTolerance(row(/^outage, saturated/, /normal load/))).toBe(true);
        const raised = row(/^outage, saturated/, /after the change/);
        expect(raised.predicted).toBeLessThan(side.raised.offered);
        // The bed: the links carry less than is offered, and the writes queue: latency climbs many times over,
        // which is how clients with a bounded number of requests in flight see their throughput fall. (The
        // raised load is the replay's, just past the NIC, so the steady-state shortfall itself is small.)
        expect(side.raised.achieved).toBeLessThan(side.raised.offered * 0.97);
        expect(side.raised.latencyS).toBeGreaterThan(3 * side.normalLatencyS);
        const accepted = result.outage.sides.accepted;
        expect(accepted.raised.latencyS).toBeLessThan(2 * accepted.normalLatencyS);
        // Recovery under that load: the model leaves it no link, so its prediction is past the rule's limit at
        // the bed's scale. On the bed it crawls: not done in its window, at a small fraction of its rate on
        // accepted links. Whether Ceph starves it entirely or trades client throughput for some of it varies
        // from run to run (see the README).
        expect(side.recovery.predictedS).toBeGreaterThan(side.recovery.limitS);
        expect(side.recovery.done).toBe(false);
        expect(side.recovery.rateMBps).toBeLessThan(accepted.recovery.dataMB / accepted.recovery.seconds / 5);
    });
});
