// The storage rules on hand-built Rook objects (no stack run): what they read from a CephCluster, its pools,
// filesystems and object stores, and the verdicts and messages they give, with figures worked out by hand.
import {
    STORAGE_CLIENT_NORMAL_ANNOTATION,
    STORAGE_CLIENT_PEAK_ANNOTATION,
    STORAGE_MDS_MBPS_ANNOTATION,
    STORAGE_NODES_ANNOTATION,
    STORAGE_RECOVERY_MBPS_ANNOTATION,
    STORAGE_WRITE_FRACTION_ANNOTATION,
    SINGLE_STORAGE_NODE_ANNOTATION,
} from "../../contract/labels";
import { type StorageNodeHardware } from "../../capacity/storage";

/** The storage-nodes annotation as the component writes it. */
const encodeStorageNodes = (nodes: StorageNodeHardware[]) => JSON.stringify(nodes);
import { evaluate, UNKNOWN, type PolicyResource } from "../../policies/framework";
import * as storage from "../../policies/rules/storage";
import { k8s } from "./helpers";

const NS = "rook-ceph";
const hw = (name: string): StorageNodeHardware => ({ name, arch: "amd64", cpu: 16, memoryGiB: 32, baselineGbps: 10, osds: 2, rawGiB: 2000 });
const rook = (kind: string, name: string, spec: Record<string, any>, namespace = NS) => k8s({ apiVersion: "ceph.rook.io/v1", kind, metadata: { name, namespace }, spec });

function cephCluster(change: (spec: any, annotations: Record<string, string>) => void = () => {}): PolicyResource {
    const annotations: Record<string, string> = {
        [STORAGE_NODES_ANNOTATION]: encodeStorageNodes(["n1", "n2", "n3"].map(hw)),
        [STORAGE_CLIENT_NORMAL_ANNOTATION]: "100",
        [STORAGE_CLIENT_PEAK_ANNOTATION]: "400",
        [STORAGE_WRITE_FRACTION_ANNOTATION]: "0.25",
        [STORAGE_MDS_MBPS_ANNOTATION]: "20",
        [STORAGE_RECOVERY_MBPS_ANNOTATION]: "50",
    };
    const spec: any = {
        mon: { count: 3 },
        mgr: { count: 2 },
        cephConfig: { osd: { osd_memory_target: String(6 * 2 ** 30), osd_max_backfills: "2" } },
        storage: { nodes: ["n1", "n2", "n3"].map((name) => ({ name, devices: [{ name: "nvme0n1" }, { name: "nvme1n1" }] })) },
    };
    change(spec, annotations);
    return k8s({ apiVersion: "ceph.rook.io/v1", kind: "CephCluster", metadata: { name: "rook-ceph", namespace: NS, annotations }, spec }, { name: "storage-cluster" });
}

/** Pools of sizes 3, 3, 2 (and one erasure-coded), 4 and 3 in the cluster's namespace; a size 5 elsewhere. */
const pools: PolicyResource[] = [
    rook("CephBlockPool", "replicapool", { replicated: { size: 3 }, failureDomain: "host" }),
    rook("CephFilesystem", "fs", {
        metadataPool: { replicated: { size: 3 } },
        dataPools: [{ replicated: { size: 2 }, failureDomain: "osd" }, { erasureCoded: { dataChunks: 2, codingChunks: 1 } }],
        metadataServer: { activeCount: 2, resources: { limits: { memory: "6Gi" } } },
    }),
    // No activeCount (Rook: 1) and no memory limit (4Gi).
    rook("CephFilesystem", "fs2", { metadataServer: {} }),
    rook("CephObjectStore", "media", { metadataPool: { replicated: { size: 4 } }, dataPool: { replicated: { size: 3 } }, gateway: { instances: 3 } }),
    rook("CephBlockPool", "elsewhere", { replicated: { size: 5 } }, "other-ceph"),
];
const thresholds = { headroom: 0.6, maxRecoveryHours: 10 };
const messages = (rs: PolicyResource[], r: Parameters<typeof evaluate>[0], config = {}) => evaluate(r, rs, config).map((f) => f.message);

describe("the storage model's input, read from Rook objects", () => {
    it("reads every daemon, the largest pool size of the cluster's namespace, the throttles and the load", () => {
        const input = storage.storageInputOf(cephCluster(), [cephCluster(), ...pools], thresholds);
        expect(input).toEqual({
            nodes: ["n1", "n2", "n3"].map(hw),
            // MDS: 2 + 1 active, as many standbys; memory the largest limit, 6 GiB; gateways 3; 6 GiB OSD target.
            // Sizes 3, 3, 2, 4, 3 here (5 in another namespace, none for the erasure-coded pool): 4.
            daemons: { monCount: 3, mgrCount: 2, activeMds: 3, standbyMds: 3, mdsMemoryGiB: 6, rgwInstances: 3, osdMemoryTargetGiB: 6, replicas: 4 },
            load: { normalClientMBps: 100, peakClientMBps: 400, writeFraction: 0.25, mdsMBpsPerActive: 20, recoveryMBpsPerOsd: 50 },
            // SSD defaults but osd_max_backfills 2.
            throttles: { maxBackfills: 2, maxActive: 10, sleepSeconds: 0 },
            headroom: 0.6,
            maxRecoveryHours: 10,
        });
    });

    it("falls back to Rook's and Ceph's defaults for what the CephCluster leaves out", () => {
        const bare = cephCluster((spec) => {
            delete spec.mon;
            delete spec.mgr;
            delete spec.cephConfig;
        });
        const input = storage.storageInputOf(bare, [bare], thresholds);
        // 3 mons, 1 mgr, a 4 GiB OSD target, no MDS, no gateways, size 1 without pools.
        expect(input.daemons).toEqual({ monCount: 3, mgrCount: 1, activeMds: 0, standbyMds: 0, mdsMemoryGiB: 0, rgwInstances: 0, osdMemoryTargetGiB: 4, replicas: 1 });
        expect(input.throttles).toEqual({ maxBackfills: 1, maxActive: 10, sleepSeconds: 0 });
    });

    it("runs Ceph's HDD throttles when a node or one of its devices is classed hdd", () => {
        const byNode = cephCluster((spec) => {
            delete spec.cephConfig.osd.osd_max_backfills;
            spec.storage.nodes[1].config = { deviceClass: "hdd" };
        });
        expect(storage.storageInputOf(byNode, [byNode], thresholds).throttles).toEqual({ maxBackfills: 1, maxActive: 3, sleepSeconds: 0.1 });
        const byDevice = cephCluster((spec) => {
            delete spec.cephConfig.osd.osd_max_backfills;
            spec.storage.nodes[2].devices[1].config = { deviceClass: "hdd" };
        });
        expect(storage.storageInputOf(byDevice, [byDevice], thresholds).throttles).toEqual({ maxBackfills: 1, maxActive: 3, sleepSeconds: 0.1 });
    });

    it("names the missing or unreadable fact", () => {
        const read = (c: PolicyResource) => () => storage.storageInputOf(c, [c], thresholds);
        const unknown = ": the storage nodes and their traffic are unknown";
        expect(read(cephCluster((_, a) => delete a[STORAGE_NODES_ANNOTATION]))).toThrow(`CephCluster rook-ceph: no capacity.media-platform.io/storage-nodes annotation${unknown}`);
        expect(read(cephCluster((_, a) => (a[STORAGE_NODES_ANNOTATION] = "{}")))).toThrow(
            `CephCluster rook-ceph: capacity.media-platform.io/storage-nodes "{}": Invalid input: expected array, received object${unknown}`,
        );
        expect(read(cephCluster((_, a) => delete a[STORAGE_CLIENT_PEAK_ANNOTATION]))).toThrow(`CephCluster rook-ceph: no capacity.media-platform.io/storage-client-peak-mbps annotation${unknown}`);
        expect(read(cephCluster((_, a) => (a[STORAGE_WRITE_FRACTION_ANNOTATION] = "most")))).toThrow(`CephCluster rook-ceph: capacity.media-platform.io/storage-write-fraction "most": expected a number${unknown}`);
        expect(read(cephCluster((spec) => (spec.cephConfig.osd.osd_max_backfills = "many")))).toThrow('CephCluster rook-ceph: cephConfig.osd.osd_max_backfills is "many", not a number');
        const fs = rook("CephFilesystem", "fs", { metadataServer: { resources: { limits: { memory: "lots" } } } });
        expect(() => storage.storageInputOf(cephCluster(), [cephCluster(), fs], thresholds)).toThrow('MDS memory limit of fs is "lots", not a memory quantity');
    });
});

describe("the storage budget rules on Rook objects", () => {
    // 3 nodes × 2 OSDs at 6 GiB target: per node 2 × 12 + MDS ceil(6/3) = 2 × 6 + mon 2 + mgr 1 + gateway 1 = 40 GiB, × 1.2 = 48 > 32.
    it("reports memory per node with the figures", () => {
        expect(messages([cephCluster(), ...pools], storage.nodeMemory)).toEqual(["n1", "n2", "n3"].map((n) => `Ceph daemon memory (+20 %) on ${n}: 48 GiB needed, the node has 32 GiB.`));
        expect(storage.nodeMemory.budgets!([cephCluster(), ...pools], {}).map((b) => [b.id, b.used, b.limit, b.urn])).toEqual(
            ["n1", "n2", "n3"].map((n) => [`storage.memory.${n}`, expect.closeTo(48, 9), 32, cephCluster().urn]),
        );
    });

    it("holds the baseline against the policy's floor, which a stack may lower", () => {
        const slow = cephCluster((_, a) => (a[STORAGE_NODES_ANNOTATION] = encodeStorageNodes([{ ...hw("n1"), baselineGbps: 2.5 }, hw("n2"), hw("n3")])));
        expect(messages([slow], storage.baselineBandwidth)).toEqual(["storage node n1 has a baseline of 2.50 Gbps, below the 10 Gbps floor (Ceph: provision at least 10 Gb/s)."]);
        expect(evaluate(storage.baselineBandwidth, [slow], { minBaselineGbps: 2.5 })).toEqual([]);
        const [floor] = storage.baselineBandwidth.budgets!([slow], { minBaselineGbps: 4 });
        expect(floor).toMatchObject({ id: "storage.nic-floor.n1", title: "Ceph's 4 Gbps networking floor against the baseline of n1", used: 4, limit: 2.5 });
    });

    it("turns a missing fact into a violation that says the model cannot be checked, and an unknown into an undecided one", () => {
        const bare = cephCluster((_, a) => delete a[STORAGE_RECOVERY_MBPS_ANNOTATION]);
        expect(messages([bare], storage.recoveryTime)).toEqual([
            "CephCluster rook-ceph: no capacity.media-platform.io/storage-recovery-mbps-per-osd annotation: the storage nodes and their traffic are unknown; the storage model cannot be checked.",
        ]);
        const unknown = cephCluster((spec) => (spec.mgr.count = UNKNOWN));
        expect(messages([unknown], storage.networkHeadroom)).toEqual(["cannot decide during preview: spec.mgr.count is not known until the update runs"]);
    });

    it("bounds recovery by the accepted hours", () => {
        // 2000 × 0.85 = 1700 GiB. Size 4 on 3 nodes: no spare host, the replacement receives it all. Survivor OSDs
        // 2 + 2 and the replacement's 2: floor(6 × 2 / (4 − 1)) = 4 PGs × 50 = 200 MB/s, capped by the replacement's
        // 2 OSDs × 50 = 100. 1700 GiB = 1 825 361.1 MB at 100 MB/s = 5.07 h: inside 10 h, outside 5.
        const rs = [cephCluster(), ...pools];
        expect(evaluate(storage.recoveryTime, rs, { maxRecoveryHours: 10 })).toEqual([]);
        expect(messages(rs, storage.recoveryTime, { maxRecoveryHours: 5 })).toEqual(["Time to re-replicate n1's data: 5.07 h, longer than the accepted 5 h."]);
    });

    it("holds peak traffic against the headroom of the share of the baseline Ceph reaches", () => {
        // Size 4: peak outbound reads 300 + writes 100 × 3 + 3 MDS × 20 + recovery min(100, 100 × 1.1 / 1) = 760 MB/s × 1.07
        // = 813.2 MB/s = 6.5056 Gbps, against 10 × 0.7 × 0.72 = 5.04.
        const [n1] = messages([cephCluster(), ...pools], storage.networkHeadroom);
        expect(n1).toBe("Ceph traffic at peak, with a failed node recovering, on n1: 6.51 Gbps modelled, above 5.04 Gbps (headroom × the 0.72 of the baseline Ceph's traffic reaches).");
        expect(evaluate(storage.networkHeadroom, [cephCluster(), ...pools], { headroom: 1 })).toEqual([]);
    });
});

describe("replica sizes and mon quorum on Rook objects", () => {
    it("checks each pool's size against the minimum and its failure domain's count", () => {
        // Hosts: 3; OSDs: 3 nodes × 2 devices = 6. fs's size-2 data pool is below 3; media's size 4 exceeds 3 hosts.
        expect(messages([cephCluster(), ...pools], storage.replicaSize)).toEqual([
            "CephFilesystem fs dataPools[0] keeps 2 copies, fewer than the minimum 3.",
            "CephFilesystem fs dataPools[0] keeps 2 copies with failure domain osd: Ceph may put all of them on one of the 3 hosts, and losing it loses every copy (use failure domain host).",
            "CephObjectStore media metadataPool keeps 4 copies on 3 hosts: Ceph cannot place them, the pool stays degraded.",
        ]);
        expect(messages([cephCluster(), ...pools.slice(0, 3)], storage.replicaSize, { minReplicas: 2 })).toEqual([
            "CephFilesystem fs dataPools[0] keeps 2 copies with failure domain osd: Ceph may put all of them on one of the 3 hosts, and losing it loses every copy (use failure domain host).",
        ]);
        expect(evaluate(storage.replicaSize, [cephCluster(), pools[0]], { minReplicas: 2 })).toEqual([]);
    });

    it("counts OSDs for an osd failure domain (a node without a device list counts one), and cannot count racks", () => {
        const one = cephCluster((spec) => (spec.storage.nodes = [{ name: "n1" }]));
        const single = cephCluster((spec, a) => {
            spec.storage.nodes = [{ name: "n1" }];
            a[SINGLE_STORAGE_NODE_ANNOTATION] = "true";
        });
        const osdPool = (size: number, failureDomain = "osd") => rook("CephBlockPool", "p", { replicated: { size }, failureDomain });
        expect(messages([one, osdPool(1)], storage.replicaSize, { minReplicas: 1 })).toEqual([]);
        expect(messages([single, osdPool(2)], storage.replicaSize, { minReplicas: 1 })).toEqual(["CephBlockPool p keeps 2 copies on 1 osd: Ceph cannot place them, the pool stays degraded."]);
        expect(messages([one, osdPool(2)], storage.replicaSize, { minReplicas: 1 })).toEqual([
            "CephBlockPool p keeps 2 copies with failure domain osd: Ceph may put all of them on one of the 1 host, and losing it loses every copy (use failure domain host, or declare the single storage node on purpose).",
            "CephBlockPool p keeps 2 copies on 1 osd: Ceph cannot place them, the pool stays degraded.",
        ]);
        expect(messages([one, rook("CephBlockPool", "p", { replicated: { size: 2 } })], storage.replicaSize, { minReplicas: 1 })).toEqual([
            "CephBlockPool p keeps 2 copies on 1 host: Ceph cannot place them, the pool stays degraded.",
        ]);
        expect(messages([one, osdPool(1, "rack")], storage.replicaSize)).toEqual([
            "CephBlockPool p keeps 1 copy, fewer than the minimum 3.",
            "CephBlockPool p uses failure domain rack, whose count the stack does not declare: cannot check size 1 against it.",
        ]);
    });

    it("wants an odd count of at least the minimum, one per storage node unless several may share one", () => {
        const mons = (count: number, allowMultiplePerNode?: boolean) => cephCluster((spec) => (spec.mon = { count, allowMultiplePerNode }));
        expect(messages([mons(3)], storage.monQuorum)).toEqual([]);
        expect(messages([mons(1)], storage.monQuorum)).toEqual(["CephCluster rook-ceph runs 1 mon, fewer than 3: losing one node loses quorum."]);
        expect(messages([mons(4)], storage.monQuorum)).toEqual([
            "CephCluster rook-ceph runs 4 mons: an even count tolerates no more failures than 3.",
            "CephCluster rook-ceph runs 4 mons on 3 storage nodes, one per node: 1 cannot be placed.",
        ]);
        expect(messages([mons(5, true)], storage.monQuorum)).toEqual([]);
        expect(messages([mons(1)], storage.monQuorum, { minMons: 1 })).toEqual([]);
    });
});
