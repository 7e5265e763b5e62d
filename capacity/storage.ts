// The Ceph storage model: per storage node, the modelled traffic at normal load and at peak against the
// node's *baseline* bandwidth and the headroom fraction, the memory of the Ceph daemons it hosts against its
// RAM, and the time to re-replicate a failed node's data. Pure functions over plain numbers, so the
// components (sizing), the policy pack (from registered resources) and the CLI all compute the same thing.
//
// Traffic model (per storage node, MB/s = 10^6 bytes/s):
//   client       the node's share of client reads and writes (config, from monitoring)
//   replication  writes × (replicas − 1): the copies a primary OSD sends to the other replicas
//   mds          active MDS count × traffic per active MDS (journal, metadata pool I/O, standby replay)
//   recovery     at peak only: the node's OSDs backfilling a failed node's data at the recovery rate
// Everything is summed into one figure and compared with the baseline of ONE direction. AWS applies the
// baseline to inbound and outbound separately, so the sum is conservative by design: a node whose summed
// traffic fits has room in both directions (the ElfHosted replay below is calibrated on the same sum).
import type { StorageConfig, StorageNodeConfig } from "../config/storage";
import type { Budget } from "./budget";
import { instanceType, type Arch } from "./instances";

/** 1 Gbps = 1000 Mb/s = 125 MB/s. */
export const MBPS_PER_GBPS = 125;
export const mbpsToGbps = (mbps: number) => mbps / MBPS_PER_GBPS;
export const gbpsToMBps = (gbps: number) => gbps * MBPS_PER_GBPS;

/** Ceph hardware recommendations (Networks): "Provision at least 10 Gb/s networking". */
export const MIN_STORAGE_BASELINE_GBPS = 10;
/** Ceph default osd_memory_target (4 GiB; Ceph hardware recommendations, Memory). */
export const DEFAULT_OSD_MEMORY_TARGET_GIB = 4;
/** Ceph hardware recommendations: provision RAM > #OSDs × osd_memory_target × 2 (≈ 8 GB per BlueStore OSD). */
export const OSD_MEMORY_PEAK_FACTOR = 2;
/** Ceph hardware recommendations: budget ~20 % extra memory so spikes do not OOM the daemons. */
export const MEMORY_HEADROOM_FACTOR = 1.2;
/** Per mon pod: twice Rook's 1024 MB minimum, since mons need more RAM during recovery and topology changes (Ceph hardware recommendations). */
export const MON_MEMORY_GIB = 2;
/** Per mgr pod: Rook deploy/examples/cluster.yaml resources.mgr limit 1024Mi. */
export const MGR_MEMORY_GIB = 1;
/** Per RGW gateway pod: Rook deploy/examples/object.yaml gateway resources limit 1024Mi. */
export const RGW_MEMORY_GIB = 1;
/** Rook sets mds_cache_memory_limit to this fraction of the MDS pod's memory limit (cacheMemoryLimitFactor default 0.5). */
export const MDS_CACHE_MEMORY_FACTOR = 0.5;
/** Ceph's mon_osd_nearfull_ratio default: the most a node is expected to hold before Ceph warns. */
export const NEARFULL_RATIO = 0.85;
/** Ceph hardware recommendations: 1 TB takes ~3 h at 1 Gb/s ⇒ recovery moves ~74 % of line rate. */
export const RECOVERY_WIRE_EFFICIENCY = 0.75;
/** Ceph hardware recommendations (older page): ceph-osd needs ~1 core per 200–500 MB/s; the upper end sizes requests. */
export const OSD_MBPS_PER_CORE = 500;

/** One storage node's hardware, as config (bare metal) or the catalog (EC2) gives it. */
export interface StorageNodeHardware {
    name: string;
    arch: Arch;
    cpu: number;
    memoryGiB: number;
    /** Sustained NIC bandwidth in Gbps (the EC2 baseline, never the burst). */
    baselineGbps: number;
    /** OSD daemons on the node: one per device. */
    osds: number;
    /** Raw capacity of the node's devices, GiB. */
    rawGiB: number;
    /** EC2 instance type, when the node is one. */
    instanceType?: string;
}

/** Expected load and the recovery rate, in MB/s per storage node unless said otherwise. */
export interface StorageLoad {
    normalClientMBps: number;
    peakClientMBps: number;
    /** Share of client traffic that is writes. */
    writeFraction: number;
    /** Traffic each active MDS adds per storage node. */
    mdsMBpsPerActive: number;
    /** Recovery/backfill traffic per OSD while a failed node's data is re-replicated. */
    recoveryMBpsPerOsd: number;
}

/** The Ceph daemons the cluster runs (they are spread over the storage nodes). */
export interface CephDaemons {
    monCount: number;
    mgrCount: number;
    activeMds: number;
    /** Standby MDS pods (Rook runs as many standbys as actives). */
    standbyMds: number;
    mdsMemoryGiB: number;
    rgwInstances: number;
    osdMemoryTargetGiB: number;
    /** Largest replica count of any pool: the one that costs most replication traffic. */
    replicas: number;
}

export interface StorageModelInput {
    nodes: StorageNodeHardware[];
    daemons: CephDaemons;
    load: StorageLoad;
    /** Fraction of a node's baseline the modelled traffic may use. */
    headroom: number;
    /** Longest acceptable time to re-replicate a failed node's data. */
    maxRecoveryHours: number;
}

/** Traffic on one storage node, MB/s, by cause. */
export interface TrafficBreakdown {
    client: number;
    replication: number;
    mds: number;
    recovery: number;
    total: number;
}

// ── Raw functions ────────────────────────────────────────────────────────────────────────────────────

/** Copies of written data a primary sends to the other replicas: writes × (replicas − 1). */
export function replicationMBps(clientMBps: number, writeFraction: number, replicas: number): number {
    return clientMBps * writeFraction * Math.max(0, replicas - 1);
}

/** Traffic the active MDS daemons add to a storage node. */
export function mdsTrafficMBps(activeMds: number, mdsMBpsPerActive: number): number {
    return activeMds * mdsMBpsPerActive;
}

/** Recovery traffic of a node whose OSDs backfill at the recovery rate. */
export function recoveryTrafficMBps(osds: number, recoveryMBpsPerOsd: number): number {
    return osds * recoveryMBpsPerOsd;
}

/** All Ceph traffic on one storage node for a client load; recovery is 0 unless a node is being re-replicated. */
export function storageTrafficMBps(p: {
    clientMBps: number;
    writeFraction: number;
    replicas: number;
    activeMds: number;
    mdsMBpsPerActive: number;
    recoveryMBps?: number;
}): TrafficBreakdown {
    const client = p.clientMBps;
    const replication = replicationMBps(p.clientMBps, p.writeFraction, p.replicas);
    const mds = mdsTrafficMBps(p.activeMds, p.mdsMBpsPerActive);
    const recovery = p.recoveryMBps ?? 0;
    return { client, replication, mds, recovery, total: client + replication + mds + recovery };
}

/** Modelled traffic as a fraction of a node's baseline (1 = the NIC is full). */
export function nicUtilisation(trafficMBps: number, baselineGbps: number): number {
    return trafficMBps / gbpsToMBps(baselineGbps);
}

/** Pods of one kind a node hosts when `count` of them spread over `nodes` (Rook spreads mons, mgrs, MDS, RGW). */
export function daemonsPerNode(count: number, nodes: number): number {
    return nodes <= 0 ? count : Math.ceil(count / nodes);
}

/** Memory of the Ceph daemons on one node: OSDs × target × 2 + MDS + mon + mgr + RGW, and that plus 20 %. */
export function storageNodeMemoryGiB(p: {
    osds: number;
    osdMemoryTargetGiB: number;
    mds: number;
    mdsMemoryGiB: number;
    mons: number;
    mgrs: number;
    rgws: number;
}): { daemonsGiB: number; withHeadroomGiB: number } {
    const daemonsGiB =
        p.osds * osdMemoryLimitGiB(p.osdMemoryTargetGiB) + p.mds * p.mdsMemoryGiB + p.mons * MON_MEMORY_GIB + p.mgrs * MGR_MEMORY_GIB + p.rgws * RGW_MEMORY_GIB;
    return { daemonsGiB, withHeadroomGiB: daemonsGiB * MEMORY_HEADROOM_FACTOR };
}

/** An OSD pod's memory limit: twice its osd_memory_target (the recovery peak the hardware guide budgets for). */
export function osdMemoryLimitGiB(osdMemoryTargetGiB: number): number {
    return osdMemoryTargetGiB * OSD_MEMORY_PEAK_FACTOR;
}

/** mds_cache_memory_limit Rook derives from an MDS pod's memory limit. */
export function mdsCacheMemoryGiB(mdsMemoryGiB: number): number {
    return mdsMemoryGiB * MDS_CACHE_MEMORY_FACTOR;
}

/** CPU cores an OSD needs for a throughput (at least one). */
export function osdCpuCores(osdMBps: number): number {
    return Math.max(1, Math.ceil(osdMBps / OSD_MBPS_PER_CORE));
}

/** Data a failed node held, GiB, assuming it was as full as Ceph lets it get before warning. */
export function failedNodeDataGiB(rawGiB: number, fullness = NEARFULL_RATIO): number {
    return rawGiB * fullness;
}

/**
 * Nodes that receive a failed node's data. With more nodes than replicas (failure domain host) the survivors
 * share it; with exactly as many, no survivor may take a second copy, so the replacement node receives it all.
 */
export function recoveryReceivers(nodes: number, replicas: number): number {
    return nodes > replicas ? nodes - 1 : 1;
}

/** Rate one receiving node re-replicates at: its OSDs' recovery rate, capped by the NIC left over at normal load. */
export function recoveryRateMBps(p: { osds: number; recoveryMBpsPerOsd: number; baselineGbps: number; normalMBps: number }): number {
    const spare = Math.max(0, gbpsToMBps(p.baselineGbps) - p.normalMBps) * RECOVERY_WIRE_EFFICIENCY;
    return Math.min(recoveryTrafficMBps(p.osds, p.recoveryMBpsPerOsd), spare);
}

/** Hours to move `dataGiB` split over `receivers` nodes, each receiving at `rateMBps`. */
export function recoveryHours(dataGiB: number, receivers: number, rateMBps: number): number {
    if (dataGiB <= 0) return 0;
    if (rateMBps <= 0 || receivers <= 0) return Infinity;
    return (dataGiB * 2 ** 30) / receivers / (rateMBps * 1e6) / 3600;
}

/** Hours to copy `dataGiB` over a link of `gbps` at the efficiency recovery reaches on the wire. */
export function wireRecoveryHours(dataGiB: number, gbps: number): number {
    return recoveryHours(dataGiB, 1, gbpsToMBps(gbps) * RECOVERY_WIRE_EFFICIENCY);
}

// ── The model ────────────────────────────────────────────────────────────────────────────────────────

export interface StorageNodeModel {
    node: StorageNodeHardware;
    /** Pods of each Ceph daemon this node hosts when the daemons spread evenly. */
    daemons: { osds: number; mons: number; mgrs: number; mds: number; rgws: number };
    normal: TrafficBreakdown;
    peak: TrafficBreakdown;
    normalGbps: number;
    peakGbps: number;
    /** headroom × baseline. */
    limitGbps: number;
    /** Memory of the daemons plus 20 %, GiB. */
    memoryGiB: number;
    /** OSD CPU cores the peak throughput needs, per OSD. */
    osdCpuCores: number;
}

export interface StorageModel {
    nodes: StorageNodeModel[];
    recovery: { dataGiB: number; receivers: number; rateMBps: number; hours: number; failedNode: string };
}

/** Computes the whole model. Peak = peak client load while a failed node's data is being re-replicated. */
export function storageModel(input: StorageModelInput): StorageModel {
    const { nodes, daemons, load } = input;
    const n = nodes.length;
    const traffic = (clientMBps: number, recoveryMBps: number) =>
        storageTrafficMBps({
            clientMBps,
            writeFraction: load.writeFraction,
            replicas: daemons.replicas,
            activeMds: daemons.activeMds,
            mdsMBpsPerActive: load.mdsMBpsPerActive,
            recoveryMBps,
        });
    const perNode = {
        mons: daemonsPerNode(daemons.monCount, n),
        mgrs: daemonsPerNode(daemons.mgrCount, n),
        mds: daemonsPerNode(daemons.activeMds + daemons.standbyMds, n),
        rgws: daemonsPerNode(daemons.rgwInstances, n),
    };
    const models = nodes.map((node): StorageNodeModel => {
        const normal = traffic(load.normalClientMBps, 0);
        const peak = traffic(load.peakClientMBps, recoveryTrafficMBps(node.osds, load.recoveryMBpsPerOsd));
        const memory = storageNodeMemoryGiB({
            osds: node.osds,
            osdMemoryTargetGiB: daemons.osdMemoryTargetGiB,
            mds: perNode.mds,
            mdsMemoryGiB: daemons.mdsMemoryGiB,
            mons: perNode.mons,
            mgrs: perNode.mgrs,
            rgws: perNode.rgws,
        });
        const osdMBps = node.osds > 0 ? (peak.client + peak.replication + peak.recovery) / node.osds : 0;
        return {
            node,
            daemons: { osds: node.osds, ...perNode },
            normal,
            peak,
            normalGbps: mbpsToGbps(normal.total),
            peakGbps: mbpsToGbps(peak.total),
            limitGbps: node.baselineGbps * input.headroom,
            memoryGiB: memory.withHeadroomGiB,
            osdCpuCores: osdCpuCores(osdMBps),
        };
    });
    return { nodes: models, recovery: recoveryOf(models, daemons.replicas, load.recoveryMBpsPerOsd) };
}

/** Worst case: the node holding the most data fails; the slowest receiver sets the pace. */
function recoveryOf(models: StorageNodeModel[], replicas: number, recoveryMBpsPerOsd: number): StorageModel["recovery"] {
    if (models.length === 0) return { dataGiB: 0, receivers: 0, rateMBps: 0, hours: 0, failedNode: "" };
    const failed = models.reduce((a, b) => (b.node.rawGiB > a.node.rawGiB ? b : a));
    const survivors = models.filter((m) => m !== failed);
    const receivers = recoveryReceivers(models.length, replicas);
    // With no spare node the replacement (same hardware as the failed one) receives everything.
    const receiving = models.length > replicas ? survivors : [failed];
    const rateMBps = Math.min(
        ...receiving.map((m) => recoveryRateMBps({ osds: m.node.osds, recoveryMBpsPerOsd, baselineGbps: m.node.baselineGbps, normalMBps: m.normal.total })),
    );
    const dataGiB = failedNodeDataGiB(failed.node.rawGiB);
    return { dataGiB, receivers, rateMBps, hours: recoveryHours(dataGiB, receivers, rateMBps), failedNode: failed.node.name };
}

/** The storage budgets a stack uses: network (normal, peak) and memory per node, the 10 Gbps floor, replicas, recovery time. */
export function storageBudgets(input: StorageModelInput): Budget[] {
    const model = storageModel(input);
    const out: Budget[] = [];
    for (const m of model.nodes) {
        const name = m.node.name;
        out.push(
            { id: `storage.network.normal.${name}`, title: `Ceph traffic at normal load on ${name}`, used: m.normalGbps, limit: m.limitGbps, unit: "Gbps" },
            { id: `storage.network.peak.${name}`, title: `Ceph traffic at peak, with a failed node recovering, on ${name}`, used: m.peakGbps, limit: m.limitGbps, unit: "Gbps" },
            { id: `storage.memory.${name}`, title: `Ceph daemon memory (+20 %) on ${name}`, used: m.memoryGiB, limit: m.node.memoryGiB, unit: "GiB" },
            {
                id: `storage.nic-floor.${name}`,
                title: `Ceph's ${MIN_STORAGE_BASELINE_GBPS} Gbps networking floor against the baseline of ${name}`,
                used: MIN_STORAGE_BASELINE_GBPS,
                limit: m.node.baselineGbps,
                unit: "Gbps",
            },
        );
    }
    out.push(
        { id: "storage.replicas", title: "Replicas of the largest pool against storage nodes (one copy per host)", used: input.daemons.replicas, limit: input.nodes.length, unit: "nodes" },
        {
            id: "storage.recovery.hours",
            title: `Time to re-replicate ${model.recovery.failedNode || "a failed node"}'s data`,
            used: model.recovery.hours,
            limit: input.maxRecoveryHours,
            unit: "h",
        },
    );
    return out;
}

// ── Annotations: the facts no resource field carries, so a policy can rebuild the model ─────────────

/** Serialises storage nodes for the storage-nodes annotation (stable field order, numbers as numbers). */
export function encodeStorageNodes(nodes: StorageNodeHardware[]): string {
    return JSON.stringify(
        nodes.map((n) => ({
            name: n.name,
            arch: n.arch,
            cpu: n.cpu,
            memoryGiB: n.memoryGiB,
            baselineGbps: n.baselineGbps,
            osds: n.osds,
            rawGiB: n.rawGiB,
            ...(n.instanceType ? { instanceType: n.instanceType } : {}),
        })),
    );
}

/** Reads the storage-nodes annotation back; throws a readable error when it is not what encodeStorageNodes wrote. */
export function decodeStorageNodes(value: string): StorageNodeHardware[] {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) throw new Error("storage-nodes annotation: expected a JSON list");
    return parsed.map((raw, i) => {
        const n = raw as Record<string, unknown>;
        for (const k of ["cpu", "memoryGiB", "baselineGbps", "osds", "rawGiB"]) {
            if (typeof n[k] !== "number") throw new Error(`storage-nodes annotation [${i}].${k}: expected a number, got ${JSON.stringify(n[k])}`);
        }
        if (typeof n.name !== "string" || (n.arch !== "amd64" && n.arch !== "arm64")) {
            throw new Error(`storage-nodes annotation [${i}]: expected a name and an arch of amd64 or arm64`);
        }
        return n as unknown as StorageNodeHardware;
    });
}

// ── From config ──────────────────────────────────────────────────────────────────────────────────────

/** A configured storage node's hardware: bare metal declares it, an EC2 node takes it from the catalog. */
export function storageNodeHardware(node: StorageNodeConfig): StorageNodeHardware {
    const osds = node.devices.length;
    const rawGiB = node.devices.reduce((s, d) => s + d.sizeGiB, 0);
    if (node.instanceType !== undefined) {
        const t = instanceType(node.instanceType);
        return { name: node.name, arch: t.arch, cpu: t.vcpu, memoryGiB: t.memoryGiB, baselineGbps: t.baselineGbps, osds, rawGiB, instanceType: t.name };
    }
    return { name: node.name, arch: node.arch!, cpu: node.cpu!, memoryGiB: node.memoryGiB!, baselineGbps: node.nicGbps!, osds, rawGiB };
}

/** The model's input from a validated storage config. */
export function storageModelInput(storage: StorageConfig): StorageModelInput {
    const fs = storage.filesystem;
    const pools = [storage.blockPool.replicas, fs.replicas, ...(storage.objectStore.enabled ? [storage.objectStore.replicas] : [])];
    return {
        nodes: storage.nodes.map(storageNodeHardware),
        daemons: {
            monCount: storage.monCount,
            mgrCount: storage.mgrCount,
            activeMds: fs.activeMds,
            standbyMds: fs.activeMds,
            mdsMemoryGiB: fs.mdsMemoryGiB,
            rgwInstances: storage.objectStore.enabled ? storage.objectStore.gatewayInstances : 0,
            osdMemoryTargetGiB: storage.osdMemoryTargetGiB,
            replicas: Math.max(...pools),
        },
        load: { ...storage.load, recoveryMBpsPerOsd: storage.recovery.mbpsPerOsd },
        headroom: storage.headroom,
        maxRecoveryHours: storage.recovery.maxHours,
    };
}
