// Ceph on dedicated storage nodes (Rook): the nodes, their devices, the daemons and the expected load.
import { z } from "zod";
import { findInstanceType, gbToGiB } from "../capacity/instances";
import { DEFAULT_OSD_MEMORY_TARGET_GIB } from "../capacity/storage";
import type { ConfigProblem } from "./errors";
import { arch, bool, dnsLabel, dnsName, expecting, fraction, int, listOf, MAX_DEVICE_GIB, MAX_LINK_MBPS, MAX_NIC_GBPS, MAX_NODE_CPU, MAX_NODE_MEMORY_GIB, num, oneOf, str } from "./fields";
import { instanceTypeName } from "./nodePools";

export const deviceSchema = z.strictObject({
    /** Device name as Rook takes it, e.g. nvme0n1 or /dev/disk/by-id/…. */
    name: expecting(z.string().regex(/^(\/dev\/[\w\-/.:]+|[a-z][\w\-]*)$/), "a device name such as nvme0n1 or /dev/disk/by-id/…"),
    /** Capacity in GiB. */
    sizeGiB: num({ gt: 0, max: MAX_DEVICE_GIB }),
    /** Media class, which sets the OSD's device class. Default nvme. */
    class: oneOf(["nvme", "ssd", "hdd"] as const).default("nvme"),
});
export type DeviceConfig = z.output<typeof deviceSchema>;

/** A storage node: either an EC2 instance type from the catalog, or bare metal declaring its own hardware. */
export const storageNodeSchema = z
    .strictObject({
        /** Kubernetes node name (bare metal) or storage-node label value (AWS, where EKS names the node). */
        name: dnsName(),
        /** EC2 instance type (prod); its vCPU, memory, baseline bandwidth and NVMe disks come from the catalog. */
        instanceType: instanceTypeName().optional(),
        /** Bare metal: CPU architecture. */
        arch: arch().optional(),
        /** Bare metal: CPU cores. */
        cpu: num({ gt: 0, max: MAX_NODE_CPU }).optional(),
        /** Bare metal: memory in GiB. */
        memoryGiB: num({ gt: 0, max: MAX_NODE_MEMORY_GIB }).optional(),
        /** Bare metal: NIC speed in Gbps (sustained). */
        nicGbps: num({ min: 1, max: MAX_NIC_GBPS }).optional(),
        /** OSD devices on this node (one OSD each). On EC2 they are the instance-store NVMe disks, found by the local PV provisioner. */
        devices: listOf(deviceSchema),
    })
    .superRefine((n, ctx) => {
        const metal = ["arch", "cpu", "memoryGiB", "nicGbps"] as const;
        if (n.instanceType !== undefined) {
            for (const k of metal) {
                if (n[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], input: n[k], message: "expected nothing when instanceType is set (the catalog gives it)" });
            }
        } else {
            for (const k of metal) {
                if (n[k] === undefined) ctx.addIssue({ code: "custom", path: [k], input: undefined, message: "expected a value for a bare-metal storage node (or set instanceType)" });
            }
        }
    });
export type StorageNodeConfig = z.output<typeof storageNodeSchema>;

const replicatedPool = {
    /** Copies of each object. Default 3 (Ceph/Rook default). */
    replicas: int({ min: 1, max: 7 }).default(3),
    /** CRUSH failure domain. Default host. */
    failureDomain: oneOf(["host", "rack", "zone", "osd"] as const).default("host"),
};

export const storageSchema = z.strictObject({
    /** Storage nodes: at least 3, one per replica (failure domain host); exactly one with singleNode. */
    nodes: listOf(storageNodeSchema),
    /**
     * One storage node on purpose (a laptop, a test bed): every copy then lives on that one host, which the
     * pools can only say with failure domain osd, and the pack accepts that only when this says so. Default false.
     */
    singleNode: bool().default(false),
    /** Ceph networking: host networking, or multus with separate public and cluster networks. Default host. */
    network: z
        .strictObject({
            provider: oneOf(["host", "multus"] as const).default("host"),
            /** multus: NetworkAttachmentDefinition "namespace/name" for the public network. */
            publicNetwork: str({ min: 1 }).optional(),
            /** multus: NetworkAttachmentDefinition for the replication (cluster) network. */
            clusterNetwork: str({ min: 1 }).optional(),
        })
        .prefault({}),
    /** Monitors. Default 3 (Rook default; odd for quorum). */
    monCount: int({ min: 1, max: 9 }).default(3),
    /** Managers. Default 2 (Rook default). */
    mgrCount: int({ min: 1, max: 2 }).default(2),
    /** osd_memory_target per OSD in GiB. Default 4 (Ceph default). */
    osdMemoryTargetGiB: num({ min: 2, max: MAX_NODE_MEMORY_GIB }).default(DEFAULT_OSD_MEMORY_TARGET_GIB),
    /** CephFilesystem for tenant config data. */
    filesystem: z
        .strictObject({
            name: dnsLabel().default("tenant-config"),
            /** Active MDS daemons; Rook adds as many standbys. Default 1. */
            activeMds: int({ min: 1, max: 16 }).default(1),
            /** Standbys replay the journal (hot standby). Default true. */
            activeStandby: bool().default(true),
            /** Memory limit per MDS pod in GiB. Default 4 (Rook recommends ≥ 4096 MB). */
            mdsMemoryGiB: num({ min: 1, max: MAX_NODE_MEMORY_GIB }).default(4),
            /** StorageClass of CephFS volumes (shared, ReadWriteMany). Default ceph-filesystem. */
            storageClass: dnsName().default("ceph-filesystem"),
            ...replicatedPool,
        })
        .prefault({}),
    /** CephBlockPool and its StorageClass (database and tenant volumes). */
    blockPool: z
        .strictObject({
            name: dnsLabel().default("replicapool"),
            storageClass: dnsName().default("ceph-block"),
            ...replicatedPool,
        })
        .prefault({}),
    /** CephObjectStore (RGW) for S3-compatible media where S3 is not used. */
    objectStore: z
        .strictObject({
            enabled: bool().default(false),
            name: dnsLabel().default("media"),
            /** RGW gateway pods. Default 2. */
            gatewayInstances: int({ min: 1 }).default(2),
            ...replicatedPool,
        })
        .prefault({}),
    /** Expected client load on the storage network, from monitoring. */
    load: z.strictObject({
        /** Client traffic per storage node at normal load, MB/s. */
        normalClientMBps: num({ min: 0, max: MAX_LINK_MBPS }),
        /** Client traffic per storage node at peak, MB/s. */
        peakClientMBps: num({ min: 0, max: MAX_LINK_MBPS }),
        /** Share of client traffic that is writes (replicated to other nodes). Default 0.3. */
        writeFraction: fraction().default(0.3),
        /** Traffic each active MDS adds per storage node, MB/s (journal, metadata pool I/O and standby replay; measure it). */
        mdsMBpsPerActive: num({ min: 0, max: MAX_LINK_MBPS }),
    }),
    /** Re-replicating a failed storage node's data. */
    recovery: z
        .strictObject({
            /**
             * Recovery an OSD sustains (device and CPU), MB/s: caps one PG's stream and what each receiving OSD
             * writes; links and Ceph's throttles may allow less. Default 100: a planning assumption of about one drive's sequential rate (Ceph hardware
             * recommendations, ~100 MB/s); measure it in a failure drill and set it.
             */
            mbpsPerOsd: num({ gt: 0, max: MAX_LINK_MBPS }).default(100),
            /** osd_max_backfills: PG reservations each OSD grants to recovery. Default Ceph's, 1. */
            maxBackfills: int({ min: 1, max: 64 }).optional(),
            /** osd_recovery_max_active: recovery operations in flight per OSD. Default Ceph's for the device class (ssd/nvme 10, hdd 3). */
            maxActive: int({ min: 1, max: 64 }).optional(),
            /** osd_recovery_sleep_<class>: seconds between an OSD's recovery operations. Default Ceph's for the device class (ssd/nvme 0, hdd 0.1). */
            sleepSeconds: num({ min: 0, max: 10 }).optional(),
            /** A longest re-replication of a failed node, hours, shorter than the policy pack's (24 by default); it can only tighten it. Default: the pack's. */
            maxHours: num({ gt: 0 }).optional(),
        })
        .prefault({}),
    /**
     * Encrypt every OSD with dm-crypt (Rook's storage.config.encryptedDevice): data at rest, the Ceph RGW media
     * bucket included, is unreadable on a disk that leaves the node. Rook applies it only when it creates an OSD, so
     * OSDs made before it is set stay as they are until they are re-created. Default false (Rook's default).
     */
    encryptedDevices: bool().default(false),
    /** A fraction of a storage node's baseline the modelled peak may use, below the policy pack's (0.7 by default); it can only tighten it. Default: the pack's. */
    headroom: fraction().optional(),
    /** Ceph container image (multi-arch). Default quay.io/ceph/ceph:v20.2.4, what Rook v1.20.6's example cluster.yaml runs. */
    cephImage: expecting(z.string().regex(/^[a-z0-9][a-z0-9._\-/:]*:[A-Za-z0-9_][A-Za-z0-9._-]*$/), "an image with a tag such as quay.io/ceph/ceph:v20.2.4").default(
        "quay.io/ceph/ceph:v20.2.4",
    ),
    /** Rook operator Helm chart version, installed through Flux. */
    rookVersion: expecting(z.string().regex(/^v?\d+\.\d+\.\d+$/), "a version such as v1.20.6").default("v1.20.6"),
});
export type StorageConfig = z.output<typeof storageSchema>;

/**
 * Storage combinations the schema cannot see: more replicas than hosts to hold them, a storage node that is not
 * an EC2 instance on EKS (they are node groups there), and EC2 devices other than the type's local NVMe disks
 * (Rook takes every instance-store disk of an EC2 storage node, so config must list exactly those).
 */
export function storageProblems(storage: StorageConfig, onAws: boolean): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const hosts = storage.nodes.length;
    if (storage.singleNode && hosts !== 1) {
        out.push({ path: "storage.singleNode", message: `expected false with ${hosts} storage nodes (true means exactly one, on purpose), got true` });
    } else if (!storage.singleNode && hosts < 3) {
        out.push({ path: "storage.nodes", message: `expected a list with at least 3 entries (one per copy; storage.singleNode: true for one node on purpose), got a list of ${hosts}` });
    }
    const pools = [
        ["blockPool", storage.blockPool],
        ["filesystem", storage.filesystem],
        ...(storage.objectStore.enabled ? [["objectStore", storage.objectStore] as const] : []),
    ] as const;
    for (const [key, pool] of pools) {
        if (pool.failureDomain === "host" && pool.replicas > hosts) {
            out.push({ path: `storage.${key}.replicas`, message: `expected at most ${hosts} (one copy per storage node, failure domain host), got ${pool.replicas}` });
        }
    }
    storage.nodes.forEach((n, i) => {
        if (onAws && n.instanceType === undefined) {
            out.push({ path: `storage.nodes[${i}].instanceType`, message: 'expected an instance type when cluster.provider is "eks" (each storage node is a node group), got nothing' });
        }
        const t = n.instanceType === undefined ? undefined : findInstanceType(n.instanceType);
        if (!t) return;
        if (n.devices.length !== t.nvme.count) {
            out.push({ path: `storage.nodes[${i}].devices`, message: `expected the ${t.nvme.count} local NVMe disk(s) of ${t.name}, got ${n.devices.length}` });
        }
        const diskGiB = gbToGiB(t.nvme.sizeGB);
        n.devices.forEach((d, j) => {
            if (d.sizeGiB > diskGiB) {
                out.push({ path: `storage.nodes[${i}].devices[${j}].sizeGiB`, message: `expected at most ${Math.floor(diskGiB)} (the ${t.name} NVMe disk), got ${d.sizeGiB}` });
            }
        });
    });
    return out;
}
