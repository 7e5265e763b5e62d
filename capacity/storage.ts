// The Ceph storage model: per storage node, the modelled traffic at normal load and at peak against the
// node's *baseline* bandwidth and the headroom fraction, the memory of the Ceph daemons it hosts against its
// RAM, and the time to re-replicate a failed node's data. Pure functions over plain numbers, so the
// components (sizing), the policy pack (from registered resources) and the CLI all compute the same thing.
//
// Traffic model (per storage node, MB/s = 10^6 bytes/s of payload), per direction of the link:
//   inbound   client writes × replicas (the primary's copy plus every replica's) + MDS + recovery received
//   outbound  client reads + writes × (replicas − 1) (a primary sends the copies) + MDS + recovery sent
// The busier direction, times the wire overhead, is held against headroom × the share of the *baseline*
// Ceph reaches on a saturated link. Recovery time is the failed node's data moved by the survivors: bounded
// by the busiest receiver's link and by Ceph's recovery throttles (PGs moving at once × per-PG rate).
// The wire factors were measured on a real Ceph on rate-limited links (test/ceph: Ceph 16.2, 4 OSDs,
// 100 Mbit/s links); README "Storage model against a real Ceph" has the runs.
import type { Budget } from "../contract/budget";
import { type Arch } from "./instances";

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
/** Share of a storage node's baseline the modelled peak may use: 30 % left for the bursts no model sees (the pack's default). */
export const DEFAULT_STORAGE_HEADROOM = 0.7;
/** Longest re-replication of a failed node, hours: one more failure within a day would leave pools on one copy. */
export const DEFAULT_MAX_RECOVERY_HOURS = 24;
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
/**
 * Bytes on the links per byte of data Ceph moves (messenger framing, TCP/IP, PG log, acks). Measured on the
 * Ceph bed from the receivers' interface counters against the payload: 1.06 for client writes, 1.07 for recovery.
 */
export const WIRE_OVERHEAD = 1.07;
/**
 * Share of a link's rate recovery reaches when one PG streams through it. Measured on the bed with one PG
 * recovering at a time (osd_max_backfills 1): the receivers' wire bytes ÷ time ÷ link rate, 0.85–0.89.
 */
export const STREAM_LINK_EFFICIENCY = 0.87;
/**
 * Share of line rate Ceph's replicated client writes reach on the OSDs' inbound links when the links are the
 * bottleneck (placement imbalance, store-and-forward to the replicas, TCP). Measured on the bed: rados bench,
 * 16 × 4 MiB writes in flight, size 3 on 4 OSDs (128 PGs) at 100 Mbit/s: inbound wire bytes ÷ time ÷ the
 * links' rate, 0.69–0.78 over seven runs.
 */
export const CEPH_LINK_EFFICIENCY = 0.72;
/**
 * Share of the receivers' links, taken together, that recovery fills while several PGs move at once: Ceph
 * grants PGs in queue order, not by receiver, so receivers and senders are unevenly loaded and each PG spends
 * part of its turn on reservations and peering messages. Measured on the bed with 6 PGs moving at once over 3
 * receivers: data ÷ time ÷ the receivers' spare rates, 0.42–0.49 over ten runs.
 */
export const RECOVERY_LINKS_SHARE = 0.46;
/** RADOS object size of RBD images and CephFS files (Ceph default: 4 MiB). */
export const OBJECT_MB = 4 * 2 ** 20 / 1e6;
/**
 * How much more than an even share the busiest node takes (an assumption, not measured): Ceph's upmap
 * balancer keeps each OSD within upmap_max_deviation (5) PGs of the mean, ~5 % at 100 PGs per OSD; the
 * rest is room for uneven objects. The bed uses Ceph's own placement instead.
 */
export const PLACEMENT_IMBALANCE = 1.1;

/** Ceph's recovery throttles, as an OSD applies them. */
export interface RecoveryThrottles {
    /** osd_max_backfills: recovery/backfill reservations an OSD grants, locally and to remote PGs. */
    maxBackfills: number;
    /** osd_recovery_max_active: recovery operations in flight per OSD. */
    maxActive: number;
    /** osd_recovery_sleep_<class>: pause between recovery operations of an OSD, seconds. */
    sleepSeconds: number;
}

/** Ceph's defaults (pacific to tentacle, config reference "OSD config: recovery"), by what Ceph calls the device. */
export const CEPH_DEFAULT_THROTTLES: Record<"ssd" | "hdd", RecoveryThrottles> = {
    ssd: { maxBackfills: 1, maxActive: 10, sleepSeconds: 0 },
    hdd: { maxBackfills: 1, maxActive: 3, sleepSeconds: 0.1 },
};
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
    /** Recovery an OSD sustains (device and CPU): caps one PG's stream and each receiving OSD. */
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
    /** Ceph's recovery throttles the OSDs run with. */
    throttles: RecoveryThrottles;
    /** Fraction of a node's baseline the modelled traffic may use. */
    headroom: number;
    /** Longest acceptable time to re-replicate a failed node's data. */
    maxRecoveryHours: number;
}

/** Traffic on one storage node, MB/s of payload, by cause; `inbound`/`outbound` per direction, `wire` the busier one on the wire. */
export interface TrafficBreakdown {
    client: number;
    replication: number;
    mds: number;
    recovery: number;
    inbound: number;
    outbound: number;
    /** max(inbound, outbound) × WIRE_OVERHEAD. */
    wire: number;
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

/** Client writes arriving at a node: its primaries' share plus the replicas it keeps (size N counts N times). */
export function inboundWriteMBps(clientMBps: number, writeFraction: number, replicas: number): number {
    return clientMBps * writeFraction * Math.max(1, replicas);
}

/** Ceph traffic on one storage node for a client load, per direction; recovery is 0 unless a node is being re-replicated. */
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
    const inbound = inboundWriteMBps(client, p.writeFraction, p.replicas) + mds + recovery;
    const outbound = client * (1 - p.writeFraction) + replication + mds + recovery;
    return { client, replication, mds, recovery, inbound, outbound, wire: Math.max(inbound, outbound) * WIRE_OVERHEAD };
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
        p.osds * osdMemoryLimitGiB(p.osdMemoryTargetGiB) +
        p.mds * p.mdsMemoryGiB +
        p.mons * MON_MEMORY_GIB +
        // Stryker disable next-line ArithmeticOperator: a mgr and a gateway take 1 GiB, and n / 1 is n × 1
        p.mgrs * MGR_MEMORY_GIB + p.rgws * RGW_MEMORY_GIB;
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

/**
 * PGs that recover at once. Each recovering PG holds a reservation on its primary and on each other replica
 * (osd_max_backfills per OSD), and needs an operation in flight (osd_recovery_max_active per OSD).
 */
export function pgsMovingAtOnce(survivorOsds: number, replicas: number, t: RecoveryThrottles): number {
    const reservations = Math.floor((survivorOsds * t.maxBackfills) / Math.max(1, replicas - 1));
    return Math.max(1, Math.min(reservations, survivorOsds * t.maxActive));
}

/** Rate of one recovering PG: objects streamed at `streamMBps`, with the recovery sleep between them. */
export function perPgRecoveryMBps(streamMBps: number, sleepSeconds: number): number {
    if (streamMBps <= 0) return 0;
    return OBJECT_MB / (OBJECT_MB / streamMBps + sleepSeconds);
}

/** Payload MB/s one receiver's link has left for recovery after `busyMBps` of other inbound payload. */
export function spareForRecoveryMBps(linkGbps: number, busyMBps: number): number {
    return Math.max(0, (gbpsToMBps(linkGbps) * STREAM_LINK_EFFICIENCY) / WIRE_OVERHEAD - busyMBps);
}

/**
 * Seconds to recover `dataMB`: the slowest of the throttles (PGs at once × per-PG rate, at most what the
 * receiving OSDs write, `capMBps`) and the links. One PG at a time streams through one receiver at its spare
 * rate; several at once fill the receivers' links together only RECOVERY_LINKS_SHARE of their spare rates
 * (`receiversSpareMBps`, their sum), and never take the busiest receiver's share faster than its own link.
 */
export function recoverySeconds(p: { dataMB: number; busiestReceiverMB: number; spareMBps: number; receiversSpareMBps: number; pgsAtOnce: number; perPgMBps: number; capMBps?: number }): {
    seconds: number;
    bound: "throttles" | "link";
} {
    if (p.dataMB <= 0) return { seconds: 0, bound: "throttles" };
    const throttle = p.dataMB / Math.min(p.pgsAtOnce * p.perPgMBps, p.capMBps ?? Infinity);
    const busiest = p.busiestReceiverMB / p.spareMBps;
    const link = p.pgsAtOnce > 1 ? Math.max(busiest, p.dataMB / (p.receiversSpareMBps * RECOVERY_LINKS_SHARE)) : busiest;
    return link > throttle ? { seconds: link, bound: "link" } : { seconds: throttle, bound: "throttles" };
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
    /** headroom × the share of the baseline Ceph reaches (CEPH_LINK_EFFICIENCY). */
    limitGbps: number;
    /** Memory of the daemons plus 20 %, GiB. */
    memoryGiB: number;
    /** OSD CPU cores the peak throughput needs, per OSD. */
    osdCpuCores: number;
}

export interface StorageModel {
    nodes: StorageNodeModel[];
    recovery: {
        dataGiB: number;
        receivers: number;
        /** Data the busiest receiving node takes, GiB. */
        busiestReceiverGiB: number;
        pgsAtOnce: number;
        perPgMBps: number;
        /** Recovery payload rate of the whole cluster, MB/s. */
        rateMBps: number;
        bound: "throttles" | "link";
        hours: number;
        failedNode: string;
    };
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
    const normals = nodes.map(() => traffic(load.normalClientMBps, 0));
    const recovery = recoveryOf(input, normals);
    // At peak every node carries the recovery rate of the busiest receiver on top of peak client traffic.
    const recoveryPerNode = recovery.receivers > 0 ? Math.min(recovery.rateMBps, recovery.rateMBps * PLACEMENT_IMBALANCE / recovery.receivers) : 0;
    const models = nodes.map((node, i): StorageNodeModel => {
        const normal = normals[i];
        const peak = traffic(load.peakClientMBps, recoveryPerNode);
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
            normalGbps: mbpsToGbps(normal.wire),
            peakGbps: mbpsToGbps(peak.wire),
            limitGbps: node.baselineGbps * input.headroom * CEPH_LINK_EFFICIENCY,
            memoryGiB: memory.withHeadroomGiB,
            osdCpuCores: osdCpuCores(osdMBps),
        };
    });
    return { nodes: models, recovery };
}

/**
 * Worst case: the node holding the most data fails while the others run at normal load. The survivors (or,
 * with no spare host, the replacement) receive its data; the busiest receiver takes an even share plus the
 * placement imbalance, through what its link leaves after normal inbound traffic.
 */
function recoveryOf(input: StorageModelInput, normals: TrafficBreakdown[]): StorageModel["recovery"] {
    const { nodes, daemons, load, throttles } = input;
    if (nodes.length === 0) return { dataGiB: 0, receivers: 0, busiestReceiverGiB: 0, pgsAtOnce: 0, perPgMBps: 0, rateMBps: 0, bound: "throttles", hours: 0, failedNode: "" };
    const failedIndex = nodes.reduce((a, b, i) => (b.rawGiB > nodes[a].rawGiB ? i : a), 0);
    const failed = nodes[failedIndex];
    const spareHost = nodes.length > daemons.replicas;
    const receiving = spareHost ? nodes.filter((_, i) => i !== failedIndex) : [failed];
    const receivers = recoveryReceivers(nodes.length, daemons.replicas);
    const dataGiB = failedNodeDataGiB(failed.rawGiB);
    const busiestReceiverGiB = receivers === 1 ? dataGiB : Math.min(dataGiB, (dataGiB / receivers) * PLACEMENT_IMBALANCE);
    // A replacement node takes its share of client writes as soon as its PGs are active, like any survivor.
    const spares = receiving.map((m) => spareForRecoveryMBps(m.baselineGbps, normals[nodes.indexOf(m)].inbound));
    const spareMBps = Math.min(...spares);
    // Survivors hold the copies that are read; with a replacement node, its OSDs take part too.
    const survivorOsds = nodes.filter((_, i) => i !== failedIndex).reduce((a, m) => a + m.osds, 0) + (spareHost ? 0 : failed.osds);
    const pgsAtOnce = pgsMovingAtOnce(survivorOsds, daemons.replicas, throttles);
    const perPgMBps = perPgRecoveryMBps(Math.min(load.recoveryMBpsPerOsd, spareMBps), throttles.sleepSeconds);
    const mb = (gib: number) => (gib * 2 ** 30) / 1e6;
    const receivingOsds = receiving.reduce((a, m) => a + m.osds, 0);
    const r = recoverySeconds({ dataMB: mb(dataGiB), busiestReceiverMB: mb(busiestReceiverGiB), spareMBps, receiversSpareMBps: spares.reduce((a, b) => a + b, 0), pgsAtOnce, perPgMBps, capMBps: receivingOsds * load.recoveryMBpsPerOsd });
    return {
        dataGiB,
        receivers,
        busiestReceiverGiB,
        pgsAtOnce,
        perPgMBps,
        rateMBps: r.seconds > 0 && Number.isFinite(r.seconds) ? mb(dataGiB) / r.seconds : 0,
        bound: r.bound,
        hours: r.seconds / 3600,
        failedNode: failed.name,
    };
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
                kind: "floor",
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

// ── Recovery throttles in Rook's Ceph config ─────────────────────────────────────────────────────────




/**
 * The recovery throttles as Rook's CephCluster `spec.cephConfig.osd` states them. `osd_op_queue: wpq` too:
 * from Ceph 17 on, the default mClock scheduler replaces osd_max_backfills and osd_recovery_max_active with
 * its own limits and ignores the sleeps, so the model's throttles hold only under wpq (Ceph 16's default).
 */
export function throttlesCephConfig(t: RecoveryThrottles, deviceClass: "ssd" | "hdd"): Record<string, string> {
    return {
        osd_op_queue: "wpq",
        osd_max_backfills: String(t.maxBackfills),
        osd_recovery_max_active: String(t.maxActive),
        [`osd_recovery_sleep_${deviceClass}`]: String(t.sleepSeconds),
    };
}

/** Reads the throttles back from a CephCluster's `cephConfig.osd`; Ceph's defaults for what it leaves out. */
export function throttlesFromCephConfig(osd: Record<string, unknown> | undefined, deviceClass: "ssd" | "hdd"): RecoveryThrottles {
    const d = CEPH_DEFAULT_THROTTLES[deviceClass];
    const num = (key: string, fallback: number) => {
        const v = osd?.[key];
        if (v === undefined || v === null) return fallback;
        const n = Number(v);
        if (!Number.isFinite(n)) throw new Error(`cephConfig.osd.${key} is ${JSON.stringify(v)}, not a number`);
        return n;
    };
    // A non-zero osd_recovery_max_active overrides the per-class values (Ceph OSD config reference).
    const active = num("osd_recovery_max_active", 0);
    return {
        maxBackfills: num("osd_max_backfills", d.maxBackfills),
        maxActive: active > 0 ? active : num(`osd_recovery_max_active_${deviceClass}`, d.maxActive),
        sleepSeconds: num(`osd_recovery_sleep_${deviceClass}`, d.sleepSeconds),
    };
}

