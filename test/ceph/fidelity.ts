// The storage model held against the Ceph bed: every scenario measures something the model predicts from
// what is known before it starts (link rate, throttles, Ceph's own placement of the PGs), at one scale
// factor: a bed link of 100 Mbit/s stands for a 10 Gbit/s NIC, 10 Mbit/s for 1 Gbit/s.
//   client writes   rados bench on shaped links against the links' write capacity
//   recovery        a killed OSD's data re-replicated, at Ceph's defaults and at the stack's throttles
//   outage          the client load raised the way the MDS change raised it in outage 1, on links the model
//                   calls saturated and on links it accepts, with a recovery running under the raised load
// Shared by the Ceph suite (fidelity.ceph.ts) and the benchmark (bench/ceph-fidelity.ts).
import { CEPH_DEFAULT_THROTTLES, CEPH_LINK_EFFICIENCY, gbpsToMBps, perPgRecoveryMBps, pgsMovingAtOnce, recoverySeconds, spareForRecoveryMBps, storageModel, throttlesFromCephConfig, WIRE_OVERHEAD, type RecoveryThrottles } from "../../capacity/storage";
import { storageModelInput } from "../../config/model";
import { loadStackFile } from "../../config/load";
import { runStackOffline } from "../../stacks/offline";
import { CephBed, type CephConfigSections, type PgInfo } from "./bed";

/** Bed link rate standing for a 10 Gbit/s storage NIC: the scale factor is 1 : 100. */
export const SCALE = 100;
export const ACCEPTED_MBIT = 10_000 / SCALE;
/** Bed link rate standing for outage 1's 1 Gbit/s storage NICs. */
export const SATURATED_MBIT = 1_000 / SCALE;
/** The bed: 4 OSDs (one per storage node), size 3 pools. */
export const OSDS = 4;
export const REPLICAS = 3;
/** Pools get 128 PGs: ~100 PG copies per OSD, as Ceph's PG sizing aims for. */
export const PGS = 128;
/** The OSD the recovery scenarios kill. */
const VICTIM = OSDS - 1;
const MB = 1e6;
const LOAD_OBJECT = 256 * 1024;
/** ±20 %: what "predicted" has to mean for the model's figures to be trusted. */
export const TOLERANCE = 0.2;

export interface Row {
    scenario: string;
    what: string;
    unit: string;
    predicted: number;
    measured: number;
    /** Whether the row is held to ±TOLERANCE (others show a direction or a bound). */
    held: boolean;
    note?: string;
}

export const withinTolerance = (r: Row) => Math.abs(r.measured - r.predicted) <= TOLERANCE * r.predicted;

/** The recovery settings the stack's CephCluster states (spec.cephConfig.osd), as the program renders them. */
export async function stackRecoveryConfig(stack = "dev"): Promise<{ osd: Record<string, string>; throttles: RecoveryThrottles }> {
    const run = await runStackOffline(stack);
    const cluster = run.resources.find((r) => r.type === "kubernetes:ceph.rook.io/v1:CephCluster");
    if (!cluster) throw new Error(`stack ${stack} registers no CephCluster`);
    const osd = cluster.inputs.spec?.cephConfig?.osd as Record<string, string> | undefined;
    if (!osd) throw new Error(`the CephCluster of stack ${stack} states no cephConfig.osd`);
    // The bed's OSDs are non-rotational, like the stacks' NVMe and SSD devices: Ceph applies the *_ssd settings.
    const recovery = Object.fromEntries(Object.entries(osd).filter(([k]) => k !== "osd_memory_target"));
    return { osd: recovery, throttles: throttlesFromCephConfig(osd, "ssd") };
}

/** Data a killed OSD held and how Ceph placed it on the survivors, from the PG map before and after `out`. */
function placement(before: PgInfo[], after: PgInfo[], victim: number) {
    const held = before.filter((p) => p.acting.includes(victim));
    const dataMB = held.reduce((a, p) => a + p.bytes, 0) / MB;
    const received = new Map<number, number>();
    for (const p of after) {
        const b = before.find((q) => q.pgid === p.pgid);
        if (!b || !b.acting.includes(victim)) continue;
        for (const o of p.up) if (!b.acting.includes(o)) received.set(o, (received.get(o) ?? 0) + b.bytes / MB);
    }
    return { dataMB, pgs: held.length, busiestReceiverMB: Math.max(0, ...received.values()), receivers: received.size };
}

/** The model's recovery time on the bed: 3 survivors, `receivers` of them taking data, links of `mbit`, `busyMBps` of client payload arriving per node. */
function predictRecovery(p: { dataMB: number; busiestReceiverMB: number; receivers: number; mbit: number; busyMBps: number; throttles: RecoveryThrottles }) {
    const spareMBps = spareForRecoveryMBps(p.mbit / 1000, p.busyMBps);
    const pgsAtOnce = pgsMovingAtOnce(OSDS - 1, REPLICAS, p.throttles);
    // Memory-backed OSDs: the stream is bounded by the link, not the device.
    return { ...recoverySeconds({ dataMB: p.dataMB, busiestReceiverMB: p.busiestReceiverMB, spareMBps, receiversSpareMBps: p.receivers * spareMBps, pgsAtOnce, perPgMBps: perPgRecoveryMBps(spareMBps, p.throttles.sleepSeconds) }), pgsAtOnce };
}

/** Kills the victim, marks it out, and waits until every PG is clean (or `windowS` passes). */
async function recover(bed: CephBed, windowS?: number, pool?: string) {
    const before = bed.pgs();
    bed.killOsd(VICTIM);
    const t0 = Date.now();
    bed.ceph(["osd", "down", String(VICTIM)]);
    bed.ceph(["osd", "out", String(VICTIM)]);
    await bed.waitFor("new PG placement", 30, async () => bed.pgs().some((p) => p.up.length === REPLICAS && !p.up.includes(VICTIM) && before.find((b) => b.pgid === p.pgid)?.acting.includes(VICTIM)));
    const where = placement(before, bed.pgs(), VICTIM);
    if (windowS === undefined) {
        await bed.waitFor("recovery", 900, () => bed.clean());
        return { ...where, seconds: (Date.now() - t0) / 1000, done: true, recoveredMB: where.dataMB, startMB: where.dataMB };
    }
    // Bounded: the degraded data left after the window gives the rate.
    await bed.waitFor("degraded data reported", 30, async () => (await bed.degradedBytes(pool)) > 0);
    const startMB = (await bed.degradedBytes(pool)) / MB;
    const tStart = Date.now();
    const end = t0 + windowS * 1000;
    let done = false;
    while (Date.now() < end && !done) {
        await new Promise((r) => setTimeout(r, 2000));
        done = await bed.clean();
    }
    const leftMB = done ? 0 : (await bed.degradedBytes(pool)) / MB;
    const seconds = (Date.now() - tStart) / 1000;
    return { ...where, seconds: done ? (Date.now() - t0) / 1000 : seconds, done, recoveredMB: Math.max(0, startMB - leftMB), startMB };
}

/** Brings the victim back: in first, then started, so it keeps its PGs and only catches up. */
async function readd(bed: CephBed) {
    bed.ceph(["osd", "in", String(VICTIM)]);
    bed.startOsd(VICTIM);
    await bed.waitFor("victim back and clean", 300, async () => JSON.parse(await bed.cephAsync(["osd", "stat", "-f", "json"])).num_up_osds === OSDS && (await bed.clean()));
}

/** Payload MB/s Ceph moves through a link of `gbps` when it is the bottleneck (the model's link efficiency). */
const usableLinkMBps = (gbps: number) => (gbpsToMBps(gbps) * CEPH_LINK_EFFICIENCY) / WIRE_OVERHEAD;
/** Client write capacity of the bed's links: every write lands on REPLICAS inbound links. */
const writeCapacity = (mbit: number) => (OSDS * usableLinkMBps(mbit / 1000)) / REPLICAS;

/**
 * Outage 1's change in the bed's terms: the replay stack's traffic per node before (1 active MDS, normal load)
 * and after (3 active MDS, peak with recovery) as fractions of its 1 Gbit/s NIC, offered as client writes that
 * put the same fraction of a bed link on each OSD's inbound link.
 */
export function outageLoads(replayFile: string): { normalMBps: number; raisedMBps: number; before: number; after: number; recoveryLimitMBps: number } {
    const input = storageModelInput(loadStackFile(replayFile).storage);
    const gbps = input.nodes[0].baselineGbps;
    const before = storageModel({ ...input, daemons: { ...input.daemons, activeMds: 1, standbyMds: 1 } }).nodes[0].normalGbps / gbps;
    const raised = storageModel(input);
    const after = raised.nodes[0].peakGbps / gbps;
    // Writes of W MB/s put W × replicas ÷ OSDs × overhead on each inbound link.
    const linkMBps = SATURATED_MBIT / 8;
    const toClient = (fraction: number) => (fraction * linkMBps * OSDS) / (REPLICAS * WIRE_OVERHEAD);
    // The recovery-time rule at the bed's scale: the replay node's data in its accepted hours, links 1 : SCALE.
    const recoveryLimitMBps = (raised.recovery.dataGiB * 2 ** 30) / MB / (input.maxRecoveryHours * 3600) / SCALE;
    return { normalMBps: toClient(before), raisedMBps: toClient(after), before, after, recoveryLimitMBps };
}

export interface FidelityResult {
    rows: Row[];
    /** Client writes at 100 Mbit/s: inbound wire bytes per payload byte, and of the links' rate. */
    measured: { wireOverhead: number; linkEfficiency: number };
    stackThrottles: RecoveryThrottles;
    stackConfig: Record<string, string>;
    /** The option values the running OSDs reported under the stack's settings. */
    appliedConfig: Record<string, string>;
    outage: {
        loads: ReturnType<typeof outageLoads>;
        sides: Record<"saturated" | "accepted", { mbit: number; normal: { offered: number; achieved: number }; raised: { offered: number; achieved: number; latencyS: number }; normalLatencyS: number; recovery: { seconds: number; done: boolean; dataMB: number; recoveredMB: number; rateMBps: number; projectedS: number; limitS: number; predictedS: number } }>;
    };
    setupSeconds: number;
    totalSeconds: number;
}

/** Runs every scenario on a fresh bed and tears it down, also on failure. */
export async function runFidelity(opts: { replayFile: string; stack?: string; log?: (s: string) => void }): Promise<FidelityResult> {
    const log = opts.log ?? (() => undefined);
    const started = Date.now();
    const stack = await stackRecoveryConfig(opts.stack ?? "dev");
    const loads = outageLoads(opts.replayFile);
    const bed = await CephBed.start({ osds: OSDS, linkMbit: ACCEPTED_MBIT, log });
    const setupSeconds = (Date.now() - started) / 1000;
    const rows: Row[] = [];
    const measured = { wireOverhead: 0, linkEfficiency: 0 };
    try {
        // ── Client writes on 100 Mbit/s links ──
        bed.createPool("client", PGS, REPLICAS);
        const before = bed.allLinkBytes();
        const w = bed.benchWrite("client", 20, 16, 4 * 2 ** 20, "client");
        const inboundWire = bed.allLinkBytes().reduce((a, l, i) => a + l.rx - before[i].rx, 0);
        // The factors the model takes as measured, as this run measured them.
        measured.wireOverhead = inboundWire / (w.bytes * REPLICAS);
        measured.linkEfficiency = inboundWire / w.seconds / (OSDS * (ACCEPTED_MBIT / 8) * MB);
        rows.push({ scenario: "client writes, 16 × 4 MiB in flight", what: `throughput at ${ACCEPTED_MBIT} Mbit/s`, unit: "MB/s", predicted: writeCapacity(ACCEPTED_MBIT), measured: w.mbps, held: true });
        log(`client writes: ${w.mbps.toFixed(2)} MB/s`);
        bed.deletePool("client");

        // ── Recovery of a killed OSD's data, Ceph's defaults and the stack's throttles ──
        bed.createPool("recovery", PGS, REPLICAS);
        bed.unshape();
        await bed.fill("recovery", 170, 4 * 2 ** 20, "fill");
        bed.shape(ACCEPTED_MBIT);
        await bed.waitFor("clean after fill", 120, () => bed.clean());
        const settings: [string, CephConfigSections, RecoveryThrottles][] = [
            ["Ceph's defaults", {}, CEPH_DEFAULT_THROTTLES.ssd],
            [`the stack's (backfills ${stack.throttles.maxBackfills}, active ${stack.throttles.maxActive}, sleep ${stack.throttles.sleepSeconds} s)`, { osd: stack.osd }, stack.throttles],
        ];
        const applied: Record<string, string> = {};
        for (const [name, config, throttles] of settings) {
            bed.applyConfig(config);
            if (Object.keys(config).length > 0) {
                for (const k of Object.keys(config.osd)) applied[k] = bed.osdOption(0, k);
            }
            const r = await recover(bed);
            const p = predictRecovery({ dataMB: r.dataMB, busiestReceiverMB: r.busiestReceiverMB, receivers: r.receivers, mbit: ACCEPTED_MBIT, busyMBps: 0, throttles });
            rows.push({
                scenario: `recovery, ${name}`,
                what: `${r.dataMB.toFixed(0)} MB of ${r.pgs} PGs to ${r.receivers} receivers (busiest ${r.busiestReceiverMB.toFixed(0)} MB), ${p.pgsAtOnce} PG(s) at once, ${p.bound}-bound`,
                unit: "s",
                predicted: p.seconds,
                measured: r.seconds,
                held: true,
            });
            log(`recovery (${name}): ${r.seconds.toFixed(1)} s, predicted ${p.seconds.toFixed(1)} s`);
            bed.resetConfig(config);
            await readd(bed);
        }
        bed.deletePool("recovery");

        // ── Outage 1: the client load raised, on accepted and on saturated links ──
        bed.applyConfig({ osd: stack.osd });
        // Data to recover in one pool (4 MiB objects, as the recovery runs), client load in another (256 KiB
        // writes, fine-grained enough to offer a steady rate), so the recovery's progress is the first pool's.
        bed.createPool("outage", PGS, REPLICAS);
        bed.createPool("load", PGS, REPLICAS);
        bed.unshape();
        await bed.fill("outage", 90, 4 * 2 ** 20, "fill");
        const sides = {} as FidelityResult["outage"]["sides"];
        for (const [side, mbit] of [
            ["accepted", ACCEPTED_MBIT],
            ["saturated", SATURATED_MBIT],
        ] as const) {
            bed.shape(mbit);
            await bed.waitFor("clean", 120, () => bed.clean());
            const normal = await bed.startLoad("load", loads.normalMBps, 18, LOAD_OBJECT).done;
            const raised = await bed.startLoad("load", loads.raisedMBps, 18, LOAD_OBJECT).done;
            const capacity = writeCapacity(mbit);
            rows.push({ scenario: `outage, ${side} (${mbit} Mbit/s)`, what: "client writes at normal load", unit: "MB/s", predicted: Math.min(loads.normalMBps, capacity), measured: normal.mbps, held: true });
            rows.push({
                scenario: `outage, ${side} (${mbit} Mbit/s)`,
                what: `client writes after the change (offered ${loads.raisedMBps.toFixed(2)}; mean latency ${normal.meanLatency.toFixed(2)} → ${raised.meanLatency.toFixed(2)} s)`,
                unit: "MB/s",
                predicted: Math.min(loads.raisedMBps, capacity),
                measured: raised.mbps,
                held: side === "accepted",
                note: side === "saturated" ? `held to: below the offered load, latency ×${(raised.meanLatency / normal.meanLatency).toFixed(0)}` : undefined,
            });
            // Recovery with the raised load running (the load outlasts the recovery window).
            const windowS = side === "saturated" ? 45 : undefined;
            const during = bed.startLoad("load", loads.raisedMBps, (windowS ?? 120) + 20, LOAD_OBJECT);
            await new Promise((r) => setTimeout(r, 3000));
            let r;
            try {
                r = await recover(bed, windowS, "outage");
            } finally {
                during.proc.kill("SIGTERM");
                await during.done.catch(() => undefined);
            }
            // Client ops go first (wpq priorities): recovery gets what the offered load leaves of the link.
            const busy = (loads.raisedMBps * REPLICAS) / OSDS;
            const p = predictRecovery({ dataMB: r.dataMB, busiestReceiverMB: r.busiestReceiverMB, receivers: r.receivers, mbit, busyMBps: busy, throttles: stack.throttles });
            const rate = r.recoveredMB / r.seconds;
            const limitS = r.dataMB / loads.recoveryLimitMBps;
            const projected = r.done ? r.seconds : rate > 0 ? r.startMB / rate : Infinity;
            rows.push({
                scenario: `outage, ${side} (${mbit} Mbit/s)`,
                what: `recovery of ${r.dataMB.toFixed(0)} MB under the raised load (rule's limit at 1:${SCALE}: ${limitS.toFixed(0)} s)`,
                unit: "s",
                predicted: p.seconds,
                measured: projected,
                held: false,
                note: r.done
                    ? `held to: inside the limit`
                    : `held to: not done in ${windowS} s (${r.recoveredMB.toFixed(0)} MB moved; projected ${projected > limitS ? "past" : "inside"} the limit)`,
            });
            sides[side] = {
                mbit,
                normal: { offered: loads.normalMBps, achieved: normal.mbps },
                normalLatencyS: normal.meanLatency,
                raised: { offered: loads.raisedMBps, achieved: raised.mbps, latencyS: raised.meanLatency },
                recovery: { seconds: r.seconds, done: r.done, dataMB: r.dataMB, recoveredMB: r.recoveredMB, rateMBps: rate, projectedS: projected, limitS, predictedS: p.seconds },
            };
            log(`outage ${side}: latency ${normal.meanLatency.toFixed(2)} → ${raised.meanLatency.toFixed(2)} s; normal ${normal.mbps.toFixed(2)}, raised ${raised.mbps.toFixed(2)} MB/s, recovery ${r.done ? `${r.seconds.toFixed(0)} s` : `${rate.toFixed(2)} MB/s`}`);
            if (side === "accepted") await readd(bed);
        }
        return { rows, measured, stackThrottles: stack.throttles, stackConfig: stack.osd, appliedConfig: applied, outage: { loads, sides }, setupSeconds, totalSeconds: (Date.now() - started) / 1000 };
    } finally {
        bed.stop();
    }
}

/** The fidelity table as text. */
export function formatTable(rows: Row[]): string {
    const head = ["scenario", "what", "predicted", "measured", "error", "±20 %"];
    const body = rows.map((r) => {
        const err = (r.measured - r.predicted) / r.predicted;
        const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "∞");
        return [r.scenario, r.what, `${fmt(r.predicted)} ${r.unit}`, `${fmt(r.measured)} ${r.unit}`, Number.isFinite(err) ? `${(err * 100).toFixed(0)} %` : "—", r.held ? (withinTolerance(r) ? "yes" : "NO") : (r.note ?? "not held")];
    });
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
    return [`Scale: ${ACCEPTED_MBIT} Mbit/s on the bed stands for 10 Gbit/s (1 : ${SCALE}); usable client write capacity of a ${ACCEPTED_MBIT} Mbit/s link ${usableLinkMBps(ACCEPTED_MBIT / 1000).toFixed(2)} MB/s`, line(head), ...body.map(line)].join("\n");
}
