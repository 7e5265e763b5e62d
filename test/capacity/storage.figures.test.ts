// The storage model's figures, worked out by hand for a cluster where every term differs: four nodes of
// unequal size and speed, a spare host, throttles whose limits do not coincide. A wrong operator, bound
// or selection anywhere in the model changes one of these numbers.
import {
    daemonsPerNode,
    failedNodeDataGiB,
    gbpsToMBps,
    inboundWriteMBps,
    mbpsToGbps,
    mdsCacheMemoryGiB,
    osdCpuCores,
    osdMemoryLimitGiB,
    perPgRecoveryMBps,
    pgsMovingAtOnce,
    recoveryReceivers,
    recoverySeconds,
    replicationMBps,
    storageBudgets,
    storageModel,
    type StorageModelInput,
    type StorageNodeHardware,
} from "../../capacity/storage";
import { cephDeviceClass, recoveryThrottles, storageModelInput, storageNodeHardware } from "../../config/model";
import { storageSchema } from "../../config/storage";

const node = (name: string, osds: number, rawGiB: number, baselineGbps = 10): StorageNodeHardware => ({ name, arch: "amd64", cpu: 16, memoryGiB: 64, baselineGbps, osds, rawGiB });

const input: StorageModelInput = {
    nodes: [node("s1", 2, 4000), node("s2", 3, 6000), node("s3", 2, 4000, 25), node("s4", 1, 2000)],
    daemons: { monCount: 3, mgrCount: 2, activeMds: 2, standbyMds: 2, mdsMemoryGiB: 8, rgwInstances: 2, osdMemoryTargetGiB: 4, replicas: 3 },
    load: { normalClientMBps: 200, peakClientMBps: 660, writeFraction: 0.25, mdsMBpsPerActive: 20, recoveryMBpsPerOsd: 40 },
    throttles: { maxBackfills: 1, maxActive: 2, sleepSeconds: 0 },
    headroom: 0.7,
    maxRecoveryHours: 12,
};
/** GiB → MB (10^6 bytes). */
const mb = (gib: number) => (gib * 2 ** 30) / 1e6;

// Each test computes the model itself: computed once per describe, a mutant's run would not see the test read it.
describe("the storage model, figures by hand", () => {
    const byName = () => Object.fromEntries(storageModel(input).nodes.map((n) => [n.node.name, n]));

    it("spreads the daemons: 3 mons, 2 mgrs, 2 + 2 MDS and 2 gateways over 4 nodes put at most one of each on a node", () => {
        // ceil(3/4) = ceil(2/4) = ceil((2+2)/4) = 1.
        for (const n of storageModel(input).nodes) expect(n.daemons).toEqual({ osds: n.node.osds, mons: 1, mgrs: 1, mds: 1, rgws: 1 });
    });

    it("carries normal traffic: outbound 290 MB/s is the busier direction", () => {
        // writes 200 × 0.25 = 50; replication 50 × (3 − 1) = 100; MDS 2 × 20 = 40.
        // inbound 50 × 3 + 40 = 190; outbound reads 150 + 100 + 40 = 290; wire 290 × 1.07 = 310.3 MB/s = 2.4824 Gbps.
        for (const n of storageModel(input).nodes) {
            expect(n.normal).toEqual({ client: 200, replication: 100, mds: 40, recovery: 0, inbound: 190, outbound: 290, wire: expect.closeTo(310.3, 9) });
            expect(n.normalGbps).toBeCloseTo(2.4824, 9);
        }
    });

    it("fails the largest node and recovers it through the throttles: 2 PGs × 40 MB/s", () => {
        // s2 holds the most (6000 GiB) → 6000 × 0.85 = 5100 GiB; 4 nodes > 3 replicas: the 3 survivors receive it,
        // the busiest 5100 / 3 × 1.1 = 1870 GiB. Survivor OSDs 2 + 2 + 1 = 5: floor(5 × 1 / (3 − 1)) = 2 PGs,
        // under 5 × 2 = 10 operations. Per PG min(40, spare) = 40 MB/s: 80 MB/s, under the receivers' 5 × 40 = 200.
        const { recovery } = storageModel(input);
        expect(recovery).toMatchObject({ failedNode: "s2", dataGiB: 5100, receivers: 3, pgsAtOnce: 2, bound: "throttles" });
        expect(recovery.busiestReceiverGiB).toBeCloseTo(1870, 9);
        expect(recovery.perPgMBps).toBeCloseTo(40, 9);
        expect(recovery.rateMBps).toBeCloseTo(80, 9);
        // 5100 GiB = 5 476 083.3024 MB at 80 MB/s = 68 451.04 s = 19.0142 h. The links are not the bound: each
        // receiver has 10 Gbps × 125 × 0.87 / 1.07 − 190 = 826.36 MB/s spare, the three filled 46 % carry
        // 1140.37 MB/s (4802 s), and the busiest's 1870 GiB through its own link take 2430 s.
        expect(recovery.hours).toBeCloseTo(mb(5100) / 80 / 3600, 9);
        expect(recovery.hours).toBeCloseTo(19.014178, 6);
    });

    it("adds the busiest receiver's recovery to every node at peak", () => {
        // recovery per node min(80, 80 × 1.1 / 3) = 29.333; writes 660 × 0.25 = 165, replication 330, MDS 40.
        // inbound 165 × 3 + 40 + 29.333 = 564.333; outbound 495 + 330 + 40 + 29.333 = 894.333; × 1.07 = 956.937 MB/s.
        for (const n of storageModel(input).nodes) {
            expect(n.peak.recovery).toBeCloseTo(88 / 3, 9);
            expect(n.peak.inbound).toBeCloseTo(564.33333, 5);
            expect(n.peak.outbound).toBeCloseTo(894.33333, 5);
            expect(n.peakGbps).toBeCloseTo(7.655493, 6);
        }
    });

    it("holds each node's traffic against headroom × 0.72 of its own baseline", () => {
        // 10 × 0.7 × 0.72 = 5.04 Gbps; the 25 Gbps node 12.6.
        expect(storageModel(input).nodes.map((n) => n.limitGbps)).toEqual([expect.closeTo(5.04, 9), expect.closeTo(5.04, 9), expect.closeTo(12.6, 9), expect.closeTo(5.04, 9)]);
    });

    it("budgets the memory of each node's daemons plus 20 %", () => {
        // OSDs × 4 × 2 + MDS 8 + mon 2 + mgr 1 + gateway 1: 2 OSDs 28 GiB, 3 OSDs 36, 1 OSD 20; × 1.2.
        const { s1, s2, s4 } = byName();
        expect(s1.memoryGiB).toBeCloseTo(33.6, 9);
        expect(s2.memoryGiB).toBeCloseTo(43.2, 9);
        expect(s4.memoryGiB).toBeCloseTo(24, 9);
    });

    it("gives each OSD a core per started 500 MB/s of its share of client, replication and recovery traffic", () => {
        // (660 + 330 + 29.333) = 1019.333 MB/s: 1 OSD ceil(2.04) = 3 cores, 2 OSDs ceil(1.02) = 2, 3 OSDs ceil(0.68) = 1.
        expect(storageModel(input).nodes.map((n) => n.osdCpuCores)).toEqual([2, 1, 2, 3]);
    });

    it("turns the model into budgets: per node, the replicas and the recovery time", () => {
        const budgets = storageBudgets(input);
        expect(budgets.map((b) => b.id)).toEqual([
            ...["s1", "s2", "s3", "s4"].flatMap((n) => [`storage.network.normal.${n}`, `storage.network.peak.${n}`, `storage.memory.${n}`, `storage.nic-floor.${n}`]),
            "storage.replicas",
            "storage.recovery.hours",
        ]);
        const b = Object.fromEntries(budgets.map((x) => [x.id, x]));
        expect(b["storage.network.normal.s3"]).toEqual({ id: "storage.network.normal.s3", title: "Ceph traffic at normal load on s3", used: expect.closeTo(2.4824, 9), limit: expect.closeTo(12.6, 9), unit: "Gbps" });
        expect(b["storage.network.peak.s1"]).toEqual({
            id: "storage.network.peak.s1",
            title: "Ceph traffic at peak, with a failed node recovering, on s1",
            used: expect.closeTo(7.655493, 6),
            limit: expect.closeTo(5.04, 9),
            unit: "Gbps",
        });
        expect(b["storage.memory.s2"]).toEqual({ id: "storage.memory.s2", title: "Ceph daemon memory (+20 %) on s2", used: expect.closeTo(43.2, 9), limit: 64, unit: "GiB" });
        expect(b["storage.nic-floor.s3"]).toEqual({ id: "storage.nic-floor.s3", title: "Ceph's 10 Gbps networking floor against the baseline of s3", used: 10, limit: 25, unit: "Gbps", kind: "floor" });
        expect(b["storage.replicas"]).toEqual({ id: "storage.replicas", title: "Replicas of the largest pool against storage nodes (one copy per host)", used: 3, limit: 4, unit: "nodes" });
        expect(b["storage.recovery.hours"]).toEqual({ id: "storage.recovery.hours", title: "Time to re-replicate s2's data", used: expect.closeTo(19.014178, 6), limit: 12, unit: "h" });
    });
});

const metal = (name: string, osds: number, rawGiB: number, baselineGbps = 1): StorageNodeHardware => ({ name, arch: "amd64", cpu: 8, memoryGiB: 32, baselineGbps, osds, rawGiB });
// Three 1 Gbps nodes at size 3: the replacement of the failed node receives all of its data through its own link.
const three: StorageModelInput = {
    nodes: [metal("t1", 2, 3000), metal("t2", 2, 3000), metal("t3", 1, 1000)],
    daemons: { monCount: 3, mgrCount: 1, activeMds: 1, standbyMds: 1, mdsMemoryGiB: 4, rgwInstances: 0, osdMemoryTargetGiB: 4, replicas: 3 },
    load: { normalClientMBps: 20, peakClientMBps: 40, writeFraction: 0.5, mdsMBpsPerActive: 10, recoveryMBpsPerOsd: 100 },
    throttles: { maxBackfills: 4, maxActive: 3, sleepSeconds: 0.1 },
    headroom: 0.7,
    maxRecoveryHours: 24,
};

describe("the storage model without a spare host, figures by hand", () => {

    it("fails the first of two equally full nodes, and its replacement receives all of it", () => {
        const { recovery } = storageModel(three);
        // 3000 × 0.85 = 2550 GiB, one receiver; survivor OSDs 2 + 1 plus the replacement's 2 = 5:
        // floor(5 × 4 / 2) = 10 PGs, under 5 × 3 = 15 operations.
        expect(recovery).toMatchObject({ failedNode: "t1", dataGiB: 2550, receivers: 1, busiestReceiverGiB: 2550, pgsAtOnce: 10, bound: "link" });
    });

    it("is bound by the replacement's link, filled 46 % while several PGs move", () => {
        const { recovery } = storageModel(three);
        // Normal inbound 20 × 0.5 × 3 + 10 = 40 MB/s; spare 125 × 0.87 / 1.07 − 40 = 61.6355 MB/s.
        // Per PG: 4 MiB objects at 61.6355 MB/s with 0.1 s sleep: 4.194304 / (4.194304 / 61.6355 + 0.1) = 24.9586 MB/s.
        expect(recovery.perPgMBps).toBeCloseTo(24.958650, 5);
        // Throttles: min(10 × 24.9586, the replacement's 2 OSDs × 100) = 200 MB/s; link 61.6355 × 0.46 = 28.3523 MB/s.
        expect(recovery.rateMBps).toBeCloseTo(28.352336, 5);
        // 2550 GiB = 2 738 041.65 MB / 28.3523 MB/s = 96 572 s = 26.8256 h.
        expect(recovery.hours).toBeCloseTo(26.825554, 5);
    });

    it("adds the whole recovery rate, not 1.1 × it, to every node at peak", () => {
        const { nodes } = storageModel(three);
        // min(28.3523, 28.3523 × 1.1 / 1); inbound 40 × 0.5 × 3 + 10 + 28.3523 = 98.3523, outbound 20 + 40 + 10 + 28.3523 the same.
        for (const n of nodes) {
            expect(n.peak.recovery).toBeCloseTo(28.352336, 5);
            expect(n.peak.wire).toBeCloseTo(98.352336 * 1.07, 5);
        }
        // MDS 1 + 1 standby over 3 nodes: one each; t3 (1 OSD): 8 + 4 + 2 + 1 = 15 GiB × 1.2 = 18.
        expect(nodes[2].daemons).toEqual({ osds: 1, mons: 1, mgrs: 1, mds: 1, rgws: 0 });
        expect(nodes[2].memoryGiB).toBeCloseTo(18, 9);
    });
});

describe("the storage model with a spare host and unequal links, figures by hand", () => {
    // The failed node has the slowest link, the survivors' links differ: only the survivors count, the slowest of them.
    // No MDS, fast OSDs, one backfill and one operation per OSD.
    const spare: StorageModelInput = {
        ...three,
        nodes: [metal("a", 1, 1000, 2), metal("f", 2, 2000, 1), metal("b", 1, 1000, 4), metal("c", 1, 1000, 4)],
        daemons: { ...three.daemons, activeMds: 0, standbyMds: 0 },
        load: { ...three.load, mdsMBpsPerActive: 0, recoveryMBpsPerOsd: 500 },
        throttles: { maxBackfills: 1, maxActive: 1, sleepSeconds: 0 },
    };

    it("streams each PG at the spare rate of the slowest survivor's link", () => {
        // f fails: 2000 × 0.85 = 1700 GiB to a, b and c. Normal inbound 20 × 0.5 × 3 = 30 MB/s everywhere.
        // Spare: a 2 × 125 × 0.87 / 1.07 − 30 = 173.271, b and c 376.542 (f's own 71.636 does not count).
        // Survivor OSDs 3: floor(3 × 1 / 2) = 1 PG at min(500, 173.271) MB/s; the link (1700 / 3 × 1.1 GiB) is not the bound.
        const { recovery } = storageModel(spare);
        expect(recovery).toMatchObject({ failedNode: "f", dataGiB: 1700, receivers: 3, pgsAtOnce: 1, bound: "throttles" });
        expect(recovery.perPgMBps).toBeCloseTo(173.271028, 6);
        expect(recovery.rateMBps).toBeCloseTo(173.271028, 6);
        // 1700 GiB = 1 825 361.1008 MB at 173.271 MB/s = 10 534.7 s = 2.92631 h.
        expect(recovery.hours).toBeCloseTo(2.926310, 6);
    });

    it("moves nothing, at no rate, when the failed node held nothing", () => {
        // All empty: the first node, a, fails; f is a survivor now: 4 OSDs, 2 PGs, its 71.636 MB/s the slowest spare.
        const empty = storageModel({ ...spare, nodes: spare.nodes.map((n) => ({ ...n, rawGiB: 0 })) });
        expect(empty.recovery).toEqual({ dataGiB: 0, receivers: 3, busiestReceiverGiB: 0, pgsAtOnce: 2, perPgMBps: expect.closeTo(71.635514, 6), rateMBps: 0, bound: "throttles", hours: 0, failedNode: "a" });
        expect(empty.nodes[0].peak.recovery).toBe(0);
    });

    it("names no node in the recovery budget of a cluster without nodes", () => {
        expect(storageBudgets({ ...spare, nodes: [] })).toEqual([
            { id: "storage.replicas", title: "Replicas of the largest pool against storage nodes (one copy per host)", used: 3, limit: 0, unit: "nodes" },
            { id: "storage.recovery.hours", title: "Time to re-replicate a failed node's data", used: 0, limit: 24, unit: "h" },
        ]);
    });
});

describe("the storage model's terms, one at a time", () => {
    it("converts Gbps and MB/s at 125 MB/s per Gbps", () => {
        expect(mbpsToGbps(250)).toBe(2);
        expect(gbpsToMBps(2)).toBe(250);
    });

    it("clamps the replica count: none replicates nothing, and a write lands at least once", () => {
        // 100 × 0.5 × max(0, 0 − 1) = 0; 100 × 0.5 × max(1, 0) = 50.
        expect(replicationMBps(100, 0.5, 0)).toBe(0);
        expect(inboundWriteMBps(100, 0.5, 0)).toBe(50);
        expect(inboundWriteMBps(100, 0.5, 2)).toBe(100);
    });

    it("puts ceil(count / nodes) pods of a kind on a node, and all of them when there are no nodes", () => {
        expect(daemonsPerNode(5, 2)).toBe(3);
        expect(daemonsPerNode(3, 0)).toBe(3);
        expect(daemonsPerNode(0, 4)).toBe(0);
    });

    it("derives OSD and MDS memory from their settings", () => {
        // OSD limit = target × 2; MDS cache = limit × 0.5.
        expect(osdMemoryLimitGiB(3)).toBe(6);
        expect(mdsCacheMemoryGiB(6)).toBe(3);
    });

    it("gives an OSD one core per started 500 MB/s, at least one", () => {
        expect([osdCpuCores(0), osdCpuCores(500), osdCpuCores(501), osdCpuCores(1200)]).toEqual([1, 1, 2, 3]);
    });

    it("takes a failed node's data at the nearfull ratio unless told otherwise", () => {
        expect(failedNodeDataGiB(1000, 0.5)).toBe(500);
        // 4 nodes at size 3: 3 survivors receive; 2 nodes at size 3: only the replacement.
        expect(recoveryReceivers(4, 3)).toBe(3);
        expect(recoveryReceivers(2, 3)).toBe(1);
    });

    it("needs no reservation on other replicas at size 1, and always moves at least one PG", () => {
        // 5 OSDs × 2 backfills / max(1, 0) = 10, under 5 × 8 = 40 operations; no OSDs still moves one.
        expect(pgsMovingAtOnce(5, 1, { maxBackfills: 2, maxActive: 8, sleepSeconds: 0 })).toBe(10);
        expect(pgsMovingAtOnce(0, 3, { maxBackfills: 2, maxActive: 8, sleepSeconds: 0 })).toBe(1);
    });

    it("moves nothing through a stream that has no rate", () => {
        expect(perPgRecoveryMBps(0, 0.1)).toBe(0);
        expect(perPgRecoveryMBps(-5, 0)).toBe(0);
    });

    it("recovers no data in no time, whatever the receiver's figures say", () => {
        expect(recoverySeconds({ dataMB: 0, busiestReceiverMB: 100, spareMBps: 10, receiversSpareMBps: 10, pgsAtOnce: 1, perPgMBps: 10 })).toEqual({ seconds: 0, bound: "throttles" });
        // One PG: the link's full rate, no duty; 100 MB at 10 MB/s through the link against 200 MB at 20 MB/s.
        expect(recoverySeconds({ dataMB: 200, busiestReceiverMB: 100, spareMBps: 10, receiversSpareMBps: 10, pgsAtOnce: 1, perPgMBps: 20 })).toEqual({ seconds: 10, bound: "throttles" });
        expect(recoverySeconds({ dataMB: 200, busiestReceiverMB: 110, spareMBps: 10, receiversSpareMBps: 10, pgsAtOnce: 1, perPgMBps: 20 })).toEqual({ seconds: 11, bound: "link" });
    });

    it("models no recovery without nodes", () => {
        expect(storageModel({ ...input, nodes: [] })).toEqual({
            nodes: [],
            recovery: { dataGiB: 0, receivers: 0, busiestReceiverGiB: 0, pgsAtOnce: 0, perPgMBps: 0, rateMBps: 0, bound: "throttles", hours: 0, failedNode: "" },
        });
    });

    it("gives a node without OSDs no OSD cores to need beyond the floor of one", () => {
        const empty = storageModel({ ...input, nodes: [...input.nodes, node("s5", 0, 0)] }).nodes[4];
        expect(empty.osdCpuCores).toBe(1);
        // Its daemons alone: MDS 8 + mon 2 + mgr 1 + gateway 1 = 12 GiB × 1.2.
        expect(empty.memoryGiB).toBeCloseTo(14.4, 9);
    });
});

describe("the storage model's input from a stack's storage config", () => {
    const metalNode = (name: string, cls: "nvme" | "ssd" | "hdd" = "nvme") => ({
        name,
        arch: "amd64",
        cpu: 12,
        memoryGiB: 64,
        nicGbps: 10,
        devices: [
            { name: "nvme0n1", sizeGiB: 1000, class: cls },
            { name: "nvme1n1", sizeGiB: 500 },
        ],
    });
    const config = (extra: Record<string, unknown> = {}, nodes: unknown[] = [metalNode("m1"), metalNode("m2"), metalNode("m3")]) =>
        storageSchema.parse({ nodes, load: { normalClientMBps: 50, peakClientMBps: 200, mdsMBpsPerActive: 10 }, ...extra });

    it("sizes a bare-metal node from its declaration: one OSD per device, their capacity summed", () => {
        expect(storageNodeHardware(config().nodes[0])).toEqual({ name: "m1", arch: "amd64", cpu: 12, memoryGiB: 64, baselineGbps: 10, osds: 2, rawGiB: 1500 });
    });

    it("sizes an EC2 node from the catalog", () => {
        const ec2 = storageSchema.parse({
            nodes: ["a", "b", "c"].map((name) => ({ name, instanceType: "im4gn.4xlarge", devices: [{ name: "nvme1n1", sizeGiB: 6984 }] })),
            load: { normalClientMBps: 50, peakClientMBps: 200, mdsMBpsPerActive: 10 },
        });
        expect(storageNodeHardware(ec2.nodes[0])).toEqual({ name: "a", arch: "arm64", cpu: 16, memoryGiB: 64, baselineGbps: 25, osds: 1, rawGiB: 6984, instanceType: "im4gn.4xlarge" });
    });

    it("takes the largest replica count of any pool, the object store's only when it is enabled", () => {
        // Block 2, filesystem 3, object store 5: without the object store 3; with it 5.
        const pools = { blockPool: { replicas: 2 }, filesystem: { replicas: 3, activeMds: 2, mdsMemoryGiB: 6 }, objectStore: { enabled: false, replicas: 5, gatewayInstances: 4 } };
        const off = storageModelInput(config(pools));
        expect(off.daemons).toEqual({ monCount: 3, mgrCount: 2, activeMds: 2, standbyMds: 2, mdsMemoryGiB: 6, rgwInstances: 0, osdMemoryTargetGiB: 4, replicas: 3 });
        const on = storageModelInput(config({ ...pools, objectStore: { ...pools.objectStore, enabled: true } }));
        expect(on.daemons).toMatchObject({ rgwInstances: 4, replicas: 5 });
        expect(storageModelInput(config({ ...pools, filesystem: { replicas: 1 }, blockPool: { replicas: 4 } })).daemons.replicas).toBe(4);
    });

    it("carries the load, the recovery rate and the limits through", () => {
        const input = storageModelInput(config({ headroom: 0.6, recovery: { mbpsPerOsd: 80, maxHours: 12, maxBackfills: 3 } }));
        expect(input.load).toEqual({ normalClientMBps: 50, peakClientMBps: 200, writeFraction: 0.3, mdsMBpsPerActive: 10, recoveryMBpsPerOsd: 80 });
        expect(input).toMatchObject({ headroom: 0.6, maxRecoveryHours: 12, throttles: { maxBackfills: 3, maxActive: 10, sleepSeconds: 0 } });
        expect(input.nodes.map((n) => n.name)).toEqual(["m1", "m2", "m3"]);
    });

    it("runs Ceph's HDD throttles when any bare-metal device is a spinning disk, else the SSD ones", () => {
        expect(cephDeviceClass(config())).toBe("ssd");
        const mixed = config({}, [metalNode("m1"), metalNode("m2", "hdd"), metalNode("m3", "ssd")]);
        expect(cephDeviceClass(mixed)).toBe("hdd");
        expect(recoveryThrottles(mixed)).toEqual({ maxBackfills: 1, maxActive: 3, sleepSeconds: 0.1 });
        expect(recoveryThrottles(config({ recovery: { maxActive: 7, sleepSeconds: 0.5 } }))).toEqual({ maxBackfills: 1, maxActive: 7, sleepSeconds: 0.5 });
        // An EC2 node's devices are the catalog's instance storage, whatever class they are given.
        const ec2 = { name: "e", instanceType: "im4gn.4xlarge", devices: [{ name: "nvme1n1", sizeGiB: 6984, class: "hdd" }] };
        expect(cephDeviceClass(config({}, [ec2, ec2, ec2]))).toBe("ssd");
    });
});
