// Storage (outage 1: raising the MDS count pushed three 1 Gbps Ceph nodes past their NICs and stalled all I/O).
// The storage model of capacity/storage is rebuilt from the registered Rook objects alone: the CephCluster's own
// fields (mons, mgrs, osd_memory_target, nodes) and its capacity annotations (hardware, expected load), every
// CephFilesystem's active MDS count and memory, every CephObjectStore's gateways and every pool's replica size.
import { STORAGE_FACTS } from "../../contract/facts";
import { CEPH_LINK_EFFICIENCY, DEFAULT_MAX_RECOVERY_HOURS, DEFAULT_OSD_MEMORY_TARGET_GIB, DEFAULT_STORAGE_HEADROOM, MIN_STORAGE_BASELINE_GBPS, storageBudgets, throttlesFromCephConfig, type StorageModelInput } from "../../capacity/storage";
import { at, guarded, known, MissingFact, reportOverBudget, rule, type ConfigSchema, type PolicyResource, type RuleBudget } from "../framework";
import { factsOf, annotation, memoryMiB, metaName, namespaceOf, ofKind } from "../k8s";

const CEPH = "ceph.rook.io";

/** A replicated pool as a Rook object declares it. */
export interface CephPool {
    owner: PolicyResource;
    /** e.g. "CephBlockPool replicapool", "CephFilesystem tenant-config metadataPool". */
    what: string;
    size: number;
    failureDomain: string;
}

/** Every replicated pool declared by CephBlockPools, CephFilesystems (metadata and data) and CephObjectStores. */
export function cephPools(resources: PolicyResource[]): CephPool[] {
    const out: CephPool[] = [];
    const add = (owner: PolicyResource, what: string, pool: any) => {
        if (pool === undefined) return;
        const size = known(at(pool, "replicated.size"), `${what} replicated.size`);
        if (size === undefined) return; // erasure-coded: no replica count
        out.push({ owner, what, size: Number(size), failureDomain: known(pool.failureDomain, `${what} failureDomain`) ?? "host" });
    };
    for (const p of ofKind(resources, "CephBlockPool", CEPH)) add(p, `CephBlockPool ${metaName(p)}`, at(p.props, "spec"));
    for (const f of ofKind(resources, "CephFilesystem", CEPH)) {
        add(f, `CephFilesystem ${metaName(f)} metadataPool`, at(f.props, "spec.metadataPool"));
        for (const [i, d] of ((known(at(f.props, "spec.dataPools"), `dataPools of ${f.name}`) ?? []) as any[]).entries()) add(f, `CephFilesystem ${metaName(f)} dataPools[${i}]`, d);
    }
    for (const o of ofKind(resources, "CephObjectStore", CEPH)) {
        add(o, `CephObjectStore ${metaName(o)} metadataPool`, at(o.props, "spec.metadataPool"));
        add(o, `CephObjectStore ${metaName(o)} dataPool`, at(o.props, "spec.dataPool"));
    }
    return out;
}

const gib = (q: unknown, what: string): number => {
    const mib = memoryMiB(known(q as string | undefined, what));
    if (mib === undefined) throw new MissingFact(`${what} is ${JSON.stringify(q)}, not a memory quantity`);
    return mib / 1024;
};

/**
 * The storage model's input for one CephCluster, from registered resources; `headroom` and `maxRecoveryHours`
 * are the policy's thresholds. Throws MissingFact for absent facts, Undecided for values unknown at preview.
 */
export function storageInputOf(cluster: PolicyResource, resources: PolicyResource[], thresholds: { headroom: number; maxRecoveryHours: number }): StorageModelInput {
    const facts = factsOf(STORAGE_FACTS, cluster, "the storage nodes and their traffic are unknown");
    const ns = namespaceOf(cluster);
    const inCluster = (kind: string) => ofKind(resources, kind, CEPH).filter((r) => namespaceOf(r) === ns);
    const filesystems = inCluster("CephFilesystem");
    const activeMds = filesystems.reduce((a, f) => a + Number(known(at(f.props, "spec.metadataServer.activeCount"), `activeCount of ${f.name}`) ?? 1), 0);
    const mdsMemoryGiB = Math.max(0, ...filesystems.map((f) => gib(at(f.props, "spec.metadataServer.resources.limits.memory") ?? "4Gi", `MDS memory limit of ${f.name}`)));
    const rgwInstances = inCluster("CephObjectStore").reduce((a, o) => a + Number(known(at(o.props, "spec.gateway.instances"), `gateway.instances of ${o.name}`) ?? 1), 0);
    const target = known(at(cluster.props, "spec.cephConfig.osd.osd_memory_target"), "osd_memory_target");
    // Ceph's default osd_memory_target is 4 GiB (Ceph hardware recommendations, Memory).
    const osdMemoryTargetGiB = target !== undefined ? Number(target) / 2 ** 30 : DEFAULT_OSD_MEMORY_TARGET_GIB;
    const pools = cephPools(resources.filter((r) => namespaceOf(r) === ns));
    // Ceph applies the SSD or HDD recovery settings by the device; a spinning disk anywhere makes it hdd.
    const nodeSpecs = (known(at(cluster.props, "spec.storage.nodes"), "storage.nodes") ?? []) as any[];
    const hdd = nodeSpecs.some((n) => n?.config?.deviceClass === "hdd" || ((n?.devices ?? []) as any[]).some((d) => d?.config?.deviceClass === "hdd"));
    let throttles;
    try {
        throttles = throttlesFromCephConfig(known(at(cluster.props, "spec.cephConfig.osd"), "cephConfig.osd"), hdd ? "hdd" : "ssd");
    } catch (e) {
        throw new MissingFact(`CephCluster ${metaName(cluster)}: ${(e as Error).message}`);
    }
    return {
        nodes: facts.nodes,
        daemons: {
            // Rook defaults: 3 mons, 1 mgr when the CephCluster leaves them out (Rook CephCluster CRD docs).
            monCount: Number(known(at(cluster.props, "spec.mon.count"), "mon.count") ?? 3),
            mgrCount: Number(known(at(cluster.props, "spec.mgr.count"), "mgr.count") ?? 1),
            activeMds,
            // Rook runs one standby per active MDS, hot (activeStandby) or not.
            standbyMds: activeMds,
            mdsMemoryGiB,
            rgwInstances,
            osdMemoryTargetGiB,
            replicas: Math.max(1, ...pools.map((p) => p.size)),
        },
        load: {
            normalClientMBps: facts.normalClientMBps,
            peakClientMBps: facts.peakClientMBps,
            writeFraction: facts.writeFraction,
            mdsMBpsPerActive: facts.mdsMBpsPerActive,
            recoveryMBpsPerOsd: facts.recoveryMBpsPerOsd,
        },
        throttles,
        // The pack owns the limits; a stack may only tighten them (storage.headroom, storage.recovery.maxHours).
        headroom: Math.min(thresholds.headroom, facts.headroom ?? Infinity),
        maxRecoveryHours: Math.min(thresholds.maxRecoveryHours, facts.maxRecoveryHours ?? Infinity),
    };
}

interface StorageThresholds {
    headroom: number;
    maxRecoveryHours: number;
    minBaselineGbps: number;
}

const THRESHOLDS = {
    headroom: {
        type: "number" as const,
        exclusiveMinimum: 0,
        maximum: 1,
        default: DEFAULT_STORAGE_HEADROOM,
        description: "Fraction of a storage node's baseline bandwidth the modelled Ceph traffic may use (capacity/storage DEFAULT_STORAGE_HEADROOM); a stack's storage.headroom may only lower it.",
    },
    maxRecoveryHours: {
        type: "number" as const,
        exclusiveMinimum: 0,
        default: DEFAULT_MAX_RECOVERY_HOURS,
        description: "Longest acceptable time to re-replicate a failed node's data, hours (capacity/storage DEFAULT_MAX_RECOVERY_HOURS); a stack's storage.recovery.maxHours may only lower it.",
    },
    minBaselineGbps: {
        type: "number" as const,
        exclusiveMinimum: 0,
        default: MIN_STORAGE_BASELINE_GBPS,
        description: "Least baseline bandwidth of a storage node, Gbps (Ceph hardware recommendations: at least 10 Gb/s).",
    },
};

/** The storage budgets of one CephCluster, tied to its URN (the NIC floor at the policy's minimum). */
export function clusterBudgets(cluster: PolicyResource, resources: PolicyResource[], t: StorageThresholds): RuleBudget[] {
    return storageBudgets(storageInputOf(cluster, resources, t)).map((b) => ({
        ...b,
        ...(b.id.startsWith("storage.nic-floor.") ? { used: t.minBaselineGbps, title: b.title.replace(`${MIN_STORAGE_BASELINE_GBPS} Gbps`, `${t.minBaselineGbps} Gbps`) } : {}),
        urn: cluster.urn,
    }));
}

/** A storage rule over a family of budgets (by id prefix), reporting missing facts as violations. */
function budgetRule<K extends keyof StorageThresholds>(spec: {
    name: string;
    description: string;
    remediationSteps: string;
    severity: "high" | "critical";
    prefixes: string[];
    /** The thresholds this rule's budgets depend on (its config schema); the others keep their defaults. */
    thresholds: K[];
    explain: (b: RuleBudget) => string;
}) {
    const defaults = Object.fromEntries(Object.entries(THRESHOLDS).map(([k, p]) => [k, p.default])) as unknown as StorageThresholds;
    const schema = Object.fromEntries(spec.thresholds.map((k) => [k, THRESHOLDS[k]])) as unknown as ConfigSchema<Pick<StorageThresholds, K>>;
    const mine = (cluster: PolicyResource, resources: PolicyResource[], t: Pick<StorageThresholds, K>) =>
        clusterBudgets(cluster, resources, { ...defaults, ...t }).filter((b) => spec.prefixes.some((p) => b.id.startsWith(p)));
    return rule<Pick<StorageThresholds, K>>({
        name: spec.name,
        family: "storage",
        description: spec.description,
        enforcementLevel: "mandatory",
        severity: spec.severity,
        remediationSteps: spec.remediationSteps,
        config: schema,
        checkStack(resources, config, report) {
            for (const cluster of ofKind(resources, "CephCluster", CEPH)) {
                const fail = (message: string) => report(/^cannot decide/.test(message) ? message : `${message}; the storage model cannot be checked.`, cluster.urn);
                guarded(fail, cluster.urn, () => reportOverBudget(mine(cluster, resources, config), report, spec.explain));
            }
        },
        budgets: (resources, config) => ofKind(resources, "CephCluster", CEPH).flatMap((c) => mine(c, resources, config)),
    });
}

const node = (b: RuleBudget) => b.id.split(".").pop();
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

export const baselineBandwidth = budgetRule({
    name: "storage-node-baseline-bandwidth",
    description: "Every storage node has at least 10 Gbps of baseline (sustained, not burst) network bandwidth.",
    severity: "critical",
    remediationSteps:
        "Use storage nodes whose sustained NIC rate (bare metal: nicGbps) or EC2 baseline (not the 'up to' burst) is at least 10 Gbps, e.g. im4gn.4xlarge (25 Gbps) instead of im4gn.xlarge (6.25 Gbps baseline, 25 burst). Outage 1: 1 Gbps storage nodes stalled all I/O for hours.",
    prefixes: ["storage.nic-floor."],
    thresholds: ["minBaselineGbps"],
    explain: (b) => `storage node ${node(b)} has a baseline of ${fmt(b.limit)} Gbps, below the ${fmt(b.used)} Gbps floor (Ceph: provision at least 10 Gb/s).`,
});

export const networkHeadroom = budgetRule({
    name: "storage-network-headroom",
    description:
        "Modelled Ceph traffic (client writes on every replica's inbound link, reads and replica copies outbound, every active MDS, recovery of a failed node at the rate Ceph's throttles allow) stays within the headroom of the share of each storage node's baseline Ceph reaches.",
    severity: "critical",
    remediationSteps:
        "Give the storage nodes more baseline bandwidth (faster NICs or larger instances), add storage nodes to spread the load, or lower the active MDS count; then re-run `platform capacity report`. Outage 1: raising the MDS count on 1 Gbps nodes pushed them past their NICs.",
    prefixes: ["storage.network."],
    thresholds: ["headroom"],
    explain: (b) => `${b.title}: ${fmt(b.used)} Gbps modelled, above ${fmt(b.limit)} Gbps (headroom × the ${CEPH_LINK_EFFICIENCY} of the baseline Ceph's traffic reaches).`,
});

export const nodeMemory = budgetRule({
    name: "storage-node-memory",
    description: "The Ceph daemons on each storage node (OSDs × osd_memory_target × 2, MDS, mons, mgrs, gateways, plus 20 %) fit its memory.",
    severity: "high",
    remediationSteps: "Use storage nodes with more memory, fewer OSDs per node, a smaller osd_memory_target (storage.osdMemoryTargetGiB) or smaller MDS pods (storage.filesystem.mdsMemoryGiB).",
    prefixes: ["storage.memory."],
    thresholds: [],
    explain: (b) => `${b.title}: ${fmt(b.used)} GiB needed, the node has ${fmt(b.limit)} GiB.`,
});

export const recoveryTime = budgetRule({
    name: "storage-recovery-time",
    description:
        "A failed storage node's data is re-replicated within the accepted time: the slower of Ceph's recovery throttles (PGs moving at once × per-PG rate, from the CephCluster's cephConfig) and the busiest receiver's link.",
    severity: "high",
    remediationSteps:
        "Raise Ceph's recovery throttles (storage.recovery.maxBackfills, maxActive; a lower sleepSeconds), add storage nodes (more receivers share the data), faster links, or smaller nodes; while a node's data is being re-replicated the pools run with one copy fewer, so a long recovery risks a second failure.",
    prefixes: ["storage.recovery."],
    thresholds: ["maxRecoveryHours"],
    explain: (b) => `${b.title}: ${fmt(b.used)} h, longer than the accepted ${fmt(b.limit)} h.`,
});

export const replicaSize = rule<{ minReplicas: number }>({
    name: "ceph-replica-size",
    family: "storage",
    description:
        "Every replicated Ceph pool keeps its copies on distinct hosts (failure domain host or wider, with at least as many domains as copies), and at least the minimum (3 outside dev); failure domain osd only on a stack that declares a single storage node.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Set the pool's replicated.size to 3 (storage.blockPool/filesystem/objectStore.replicas) with failureDomain host, and run at least that many storage nodes, so each copy lands on its own host and one host can fail without losing data. Failure domain osd lets CRUSH put every copy on one host's disks; only a stack with one storage node on purpose (storage.singleNode: true) may use it.",
    config: {
        minReplicas: { type: "integer", minimum: 1, default: 3, description: "Least replica size of a pool (Ceph/Rook default 3; dev may run fewer)." },
    },
    checkStack(resources, config, report) {
        for (const cluster of ofKind(resources, "CephCluster", CEPH)) {
            const ns = namespaceOf(cluster);
            const hosts = new Set(((known(at(cluster.props, "spec.storage.nodes"), "storage.nodes") ?? []) as any[]).map((n) => n.name)).size;
            const osds = ((at(cluster.props, "spec.storage.nodes") ?? []) as any[]).reduce((a, n) => a + (n.devices?.length ?? 1), 0);
            const single = annotation(cluster, STORAGE_FACTS.keys.singleNode) === "true";
            if (single && hosts !== 1) report(`CephCluster ${metaName(cluster)} declares a single storage node on purpose but lists ${hosts}.`, cluster.urn);
            for (const p of cephPools(resources.filter((r) => namespaceOf(r) === ns))) {
                if (p.size < config.minReplicas) report(`${p.what} keeps ${p.size} cop${p.size === 1 ? "y" : "ies"}, fewer than the minimum ${config.minReplicas}.`, p.owner.urn);
                // Narrower than a host: CRUSH may put every copy on one host's disks, and that host takes them all.
                if (p.failureDomain === "osd" && p.size > 1 && !(single && hosts === 1)) {
                    report(`${p.what} keeps ${p.size} copies with failure domain osd: Ceph may put all of them on one of the ${hosts} host${hosts === 1 ? "" : "s"}, and losing it loses every copy (use failure domain host${hosts === 1 ? ", or declare the single storage node on purpose" : ""}).`, p.owner.urn);
                }
                const domains = p.failureDomain === "host" ? hosts : p.failureDomain === "osd" ? osds : undefined;
                if (domains === undefined) report(`${p.what} uses failure domain ${p.failureDomain}, whose count the stack does not declare: cannot check size ${p.size} against it.`, p.owner.urn);
                else if (p.size > domains) report(`${p.what} keeps ${p.size} copies on ${domains} ${p.failureDomain}${domains === 1 ? "" : "s"}: Ceph cannot place them, the pool stays degraded.`, p.owner.urn);
            }
        }
    },
});

export const monQuorum = rule<{ minMons: number }>({
    name: "ceph-mon-quorum",
    family: "storage",
    description: "The Ceph monitor count is odd, at least 3, and no larger than the storage nodes that host one each.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Set storage.monCount to 3 (or 5 for large clusters): an even count adds no failure tolerance, fewer than 3 loses quorum with one node, and mons never share a node.",
    config: {
        minMons: { type: "integer", minimum: 1, default: 3, description: "Least monitor count (Rook default 3)." },
    },
    checkStack(resources, config, report) {
        for (const cluster of ofKind(resources, "CephCluster", CEPH)) {
            const count = Number(known(at(cluster.props, "spec.mon.count"), "mon.count") ?? 3);
            const nodes = ((known(at(cluster.props, "spec.storage.nodes"), "storage.nodes") ?? []) as any[]).length;
            const multiple = at(cluster.props, "spec.mon.allowMultiplePerNode") === true;
            if (count % 2 === 0) report(`CephCluster ${metaName(cluster)} runs ${count} mons: an even count tolerates no more failures than ${count - 1}.`, cluster.urn);
            if (count < config.minMons) report(`CephCluster ${metaName(cluster)} runs ${count} mon${count === 1 ? "" : "s"}, fewer than ${config.minMons}: losing one node loses quorum.`, cluster.urn);
            if (!multiple && nodes > 0 && count > nodes) report(`CephCluster ${metaName(cluster)} runs ${count} mons on ${nodes} storage nodes, one per node: ${count - nodes} cannot be placed.`, cluster.urn);
        }
    },
});

export const rules = [baselineBandwidth, networkHeadroom, nodeMemory, recoveryTime, replicaSize, monQuorum];
