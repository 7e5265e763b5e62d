// Ceph on the storage nodes through Rook: the operator (a Flux HelmRepository + HelmRelease the stack
// declares), a CephCluster on explicitly named nodes and devices, a CephFilesystem for tenant config data, a
// CephBlockPool with its StorageClass, and (dev, homelab) a CephObjectStore for S3-compatible media. Daemon
// sizes come from capacity/storage; the capacity facts no field carries ride on the CephCluster as annotations.
//
// Naming storage nodes on EKS: Rook matches `storage.nodes[].name` against a node label, kubernetes.io/hostname
// by default, and EKS names nodes after the instance's private DNS name, which no one knows at preview. Rook
// (≥ 1.16) takes another label instead (operator setting ROOK_CUSTOM_HOSTNAME_LABEL, chart value
// customHostnameLabel). Every storage node therefore carries media-platform.io/storage-node=<its name in config>
// (a node patch on bare metal, the label of its own single-node managed node group on EKS), and the operator
// is installed with that label: the CephCluster names nodes by config name everywhere, useAllNodes stays false,
// and a replaced EC2 node comes back under the same name (and CRUSH host).
import { STORAGE_FACTS } from "../../contract/facts";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MGR_MEMORY_GIB, MON_MEMORY_GIB, osdMemoryLimitGiB, RGW_MEMORY_GIB, storageModel, throttlesCephConfig, type StorageModel } from "../../capacity/storage";
import { cephDeviceClass, recoveryThrottles, storageModelInput } from "../../config/model";
import {
    DEDICATED_TAINT_KEY,
    ROLE_LABEL,
    STORAGE_NODE_LABEL,
} from "../../contract/labels";
import type { StorageConfig, StorageNodeConfig } from "../../config/storage";
import { roleToleration } from "../compute/nodePool";
import { DEFAULT_FLUX_NAMESPACE } from "../../contract/gitops";
import { installCrds } from "../crds";

/** Namespace of the Rook operator and the Ceph cluster (Rook's default; the CSI driver and bucket provisioner names derive from it). */
export const ROOK_NAMESPACE = "rook-ceph";
/** Name of the CephCluster (and Ceph's clusterID in StorageClasses). */
export const CEPH_CLUSTER_NAME = "rook-ceph";
/** Rook's Helm repository (Rook docs, Helm charts: operator chart). */
export const ROOK_CHART_REPOSITORY = "https://charts.rook.io/release";
/** Port of the RGW service media apps reach (components/media assumes 80, as Rook's example object store). */
export const RGW_PORT = 80;
/** ObjectBucketClaim additionalConfig fields the Rook operator honours: its defaults (maxObjects, maxSize, Rook ≥ 1.17) and bucketLifecycle. */
export const OBC_ALLOWED_CONFIG_FIELDS = ["maxObjects", "maxSize", "bucketLifecycle"] as const;
/** On EC2 the instance-store disks, by their udev by-id links (NVMe kernel names are not stable across boots on Nitro). */
export const EC2_INSTANCE_STORE_PATH_FILTER = "^/dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_";

const PART_OF = { "app.kubernetes.io/part-of": "media-platform" };

export interface CephStorageArgs {
    /** The storage section of config (nodes, daemons, pools, expected load). */
    storage: StorageConfig;
    /** Kubernetes provider of the cluster. */
    provider: k8s.Provider;
    /** Namespace of the Flux installation, where the Rook HelmRepository and HelmRelease go. Default flux-system. */
    fluxNamespace?: string;
    /** What a Flux object needs first: the Flux installation's namespace and CRDs. Default none. */
    flux?: pulumi.Resource[];
    /** Resources the Ceph objects wait for, e.g. the storage node pools. Default none. */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Ceph via Rook on the storage nodes. */
export class CephStorage extends pulumi.ComponentResource {
    /** StorageClass of RBD volumes (databases, tenant volumes). */
    readonly blockStorageClass: string;
    /** StorageClass of CephFS volumes (tenant config data). */
    readonly filesystemStorageClass: string;
    /** The object store, when enabled: what components/media points its bucket claim at. */
    readonly objectStore?: { name: string; namespace: string; port: number };
    /** The capacity model the daemons were sized from. */
    readonly model: StorageModel;
    /** Rook's CRDs (ceph.rook.io, objectbucket.io): what a Ceph or bucket-claim object needs first. */
    readonly crds: pulumi.Resource[];

    constructor(name: string, args: CephStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:storage:CephStorage", name, {}, opts);
        const built = createCephStorage(name, args, this);
        this.blockStorageClass = args.storage.blockPool.storageClass;
        this.filesystemStorageClass = args.storage.filesystem.storageClass;
        this.objectStore = built.objectStore;
        this.model = built.model;
        this.crds = built.crds;
        this.registerOutputs({ blockStorageClass: this.blockStorageClass, filesystemStorageClass: this.filesystemStorageClass });
    }
}

// ── Manifests (pure: tested directly) ────────────────────────────────────────────────────────────────

const mi = (gib: number) => `${Math.round(gib * 1024)}Mi`;

/** Requests and limits of a daemon: memory requested at its limit (Guaranteed memory), CPU requested only. */
function resources(cpu: number, memoryGiB: number, limitGiB = memoryGiB) {
    return { requests: { cpu: String(cpu), memory: mi(memoryGiB) }, limits: { memory: mi(limitGiB) } };
}

/** Every Ceph daemon runs on the storage nodes, which are tainted for storage. */
export function storagePlacement() {
    return {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: ROLE_LABEL, operator: "In", values: ["storage"] }] }],
            },
        },
        tolerations: [roleToleration("storage")],
    };
}

function replicatedPool(p: { replicas: number; failureDomain: string }) {
    // A pool of size 1 is refused unless Rook is told that one copy is meant (dev only).
    return { failureDomain: p.failureDomain, replicated: { size: p.replicas, requireSafeReplicaSize: p.replicas > 1 } };
}

/** One storage node as Rook's CephCluster lists it. */
export function rookNode(node: StorageNodeConfig) {
    if (node.instanceType !== undefined) {
        // EC2: take the instance-store disks by their by-id link; config validation matched their count to the type.
        return { name: node.name, devicePathFilter: EC2_INSTANCE_STORE_PATH_FILTER, config: { deviceClass: "nvme" } };
    }
    return { name: node.name, devices: node.devices.map((d) => ({ name: d.name, config: { deviceClass: d.class } })) };
}

/** The annotations a policy needs to rebuild the storage model from the CephCluster alone. */
export function capacityAnnotations(storage: StorageConfig): Record<string, string> {
    return STORAGE_FACTS.encode({
        nodes: storageModelInput(storage).nodes,
        normalClientMBps: storage.load.normalClientMBps,
        peakClientMBps: storage.load.peakClientMBps,
        writeFraction: storage.load.writeFraction,
        mdsMBpsPerActive: storage.load.mdsMBpsPerActive,
        recoveryMBpsPerOsd: storage.recovery.mbpsPerOsd,
        // Written only when the stack sets them: they can only tighten the pack's limits.
        headroom: storage.headroom,
        maxRecoveryHours: storage.recovery.maxHours,
        singleNode: storage.singleNode || undefined,
    });
}

/** The CephCluster: explicit nodes and devices, daemons sized by the model. */
export function cephClusterManifest(storage: StorageConfig, model: StorageModel) {
    const osdCores = Math.max(1, ...model.nodes.map((n) => n.osdCpuCores));
    const net = storage.network;
    return {
        apiVersion: "ceph.rook.io/v1",
        kind: "CephCluster",
        metadata: { name: CEPH_CLUSTER_NAME, namespace: ROOK_NAMESPACE, labels: PART_OF, annotations: capacityAnnotations(storage) },
        spec: {
            cephVersion: { image: storage.cephImage },
            dataDirHostPath: "/var/lib/rook",
            mon: { count: storage.monCount, allowMultiplePerNode: false },
            mgr: { count: storage.mgrCount, allowMultiplePerNode: false, modules: [{ name: "pg_autoscaler", enabled: true }] },
            dashboard: { enabled: true, ssl: true },
            crashCollector: { disable: false },
            network:
                net.provider === "multus"
                    ? { provider: "multus", selectors: { public: net.publicNetwork, ...(net.clusterNetwork ? { cluster: net.clusterNetwork } : {}) } }
                    : { provider: "host" },
            // Explicit, so Ceph runs the memory target the budget and the recovery throttles the model assume.
            cephConfig: {
                osd: {
                    osd_memory_target: String(storage.osdMemoryTargetGiB * 2 ** 30),
                    ...throttlesCephConfig(recoveryThrottles(storage), cephDeviceClass(storage)),
                },
            },
            placement: { all: storagePlacement() },
            resources: {
                mon: resources(0.5, MON_MEMORY_GIB),
                mgr: resources(0.5, MGR_MEMORY_GIB),
                // Ceph also derives osd_memory_target from the request; the limit leaves the ×2 recovery peak.
                osd: resources(osdCores, storage.osdMemoryTargetGiB, osdMemoryLimitGiB(storage.osdMemoryTargetGiB)),
            },
            priorityClassNames: { mon: "system-node-critical", osd: "system-node-critical", mgr: "system-cluster-critical" },
            disruptionManagement: { managePodBudgets: true },
            storage: {
                useAllNodes: false,
                useAllDevices: false,
                // dm-crypt on every OSD Rook creates from now on (encryption at rest, RGW's media included).
                ...(storage.encryptedDevices ? { config: { encryptedDevice: "true" } } : {}),
                nodes: storage.nodes.map(rookNode),
            },
        },
    };
}

export function blockPoolManifest(storage: StorageConfig) {
    return {
        apiVersion: "ceph.rook.io/v1",
        kind: "CephBlockPool",
        metadata: { name: storage.blockPool.name, namespace: ROOK_NAMESPACE, labels: PART_OF },
        spec: replicatedPool(storage.blockPool),
    };
}

/** CSI secrets Rook creates for a driver ("rbd" or "cephfs"), as StorageClass parameters. */
function csiSecrets(driver: "rbd" | "cephfs") {
    const p: Record<string, string> = {};
    for (const [use, secret] of [
        ["provisioner", "provisioner"],
        ["controller-expand", "provisioner"],
        ["node-stage", "node"],
    ] as const) {
        p[`csi.storage.k8s.io/${use}-secret-name`] = `rook-csi-${driver}-${secret}`;
        p[`csi.storage.k8s.io/${use}-secret-namespace`] = ROOK_NAMESPACE;
    }
    return p;
}

/** A Ceph CSI StorageClass. Retain: deleting a claim must not delete a tenant's or a database's data (outage 5 in docs/outages.md). */
function cephStorageClass(name: string, driver: "rbd" | "cephfs", parameters: Record<string, string>) {
    return {
        apiVersion: "storage.k8s.io/v1" as const,
        kind: "StorageClass" as const,
        metadata: { name, labels: PART_OF },
        provisioner: `${ROOK_NAMESPACE}.${driver}.csi.ceph.com`,
        // Rook's clusterID is the namespace of the CephCluster.
        parameters: { clusterID: ROOK_NAMESPACE, ...parameters, ...csiSecrets(driver) },
        reclaimPolicy: "Retain",
        allowVolumeExpansion: true,
        volumeBindingMode: "Immediate",
    };
}

export function blockStorageClassManifest(storage: StorageConfig) {
    return cephStorageClass(storage.blockPool.storageClass, "rbd", {
        pool: storage.blockPool.name,
        imageFormat: "2",
        imageFeatures: "layering",
        "csi.storage.k8s.io/fstype": "ext4",
    });
}

/** The data pool Rook names `<filesystem>-<pool>`. */
const FS_DATA_POOL = "replicated";

export function filesystemManifest(storage: StorageConfig) {
    const fs = storage.filesystem;
    return {
        apiVersion: "ceph.rook.io/v1",
        kind: "CephFilesystem",
        metadata: { name: fs.name, namespace: ROOK_NAMESPACE, labels: PART_OF },
        spec: {
            metadataPool: replicatedPool(fs),
            dataPools: [{ name: FS_DATA_POOL, ...replicatedPool(fs) }],
            preserveFilesystemOnDelete: true,
            metadataServer: {
                activeCount: fs.activeMds,
                activeStandby: fs.activeStandby,
                // Rook sets mds_cache_memory_limit to half this limit (capacity/storage mdsCacheMemoryGiB).
                resources: resources(1, fs.mdsMemoryGiB),
                placement: storagePlacement(),
                priorityClassName: "system-cluster-critical",
            },
        },
    };
}

export function filesystemStorageClassManifest(storage: StorageConfig) {
    const fs = storage.filesystem;
    return cephStorageClass(fs.storageClass, "cephfs", { fsName: fs.name, pool: `${fs.name}-${FS_DATA_POOL}` });
}

export function objectStoreManifest(storage: StorageConfig) {
    const os = storage.objectStore;
    return {
        apiVersion: "ceph.rook.io/v1",
        kind: "CephObjectStore",
        metadata: { name: os.name, namespace: ROOK_NAMESPACE, labels: PART_OF },
        spec: {
            metadataPool: replicatedPool(os),
            dataPool: replicatedPool(os),
            preservePoolsOnDelete: true,
            gateway: {
                port: RGW_PORT,
                instances: os.gatewayInstances,
                resources: resources(0.5, RGW_MEMORY_GIB),
                placement: storagePlacement(),
                priorityClassName: "system-cluster-critical",
            },
        },
    };
}

export function rookRepositoryManifest(fluxNamespace: string) {
    return {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "HelmRepository",
        metadata: { name: "rook-release", namespace: fluxNamespace, labels: PART_OF },
        spec: { interval: "12h", url: ROOK_CHART_REPOSITORY },
    };
}

/** The Rook operator chart, told to match storage nodes by the storage-node label (see the top of this file). */
export function rookOperatorManifest(storage: StorageConfig, fluxNamespace: string) {
    return {
        apiVersion: "helm.toolkit.fluxcd.io/v2",
        kind: "HelmRelease",
        metadata: {
            name: "rook-ceph-operator",
            namespace: fluxNamespace,
            labels: PART_OF,
        },
        spec: {
            interval: "1h",
            timeout: "10m",
            releaseName: "rook-ceph",
            targetNamespace: ROOK_NAMESPACE,
            // The helm-controller's own account (cluster-admin in a Flux install): tenant lockdown
            // (--default-service-account) must not leave the platform's operators without rights.
            serviceAccountName: "helm-controller",
            chart: { spec: { chart: "rook-ceph", version: storage.rookVersion, sourceRef: { kind: "HelmRepository", name: "rook-release" } } },
            // The stack installs Rook's CRDs (components/crds.ts): the chart must not own them too.
            install: { crds: "Skip", remediation: { retries: 3 } },
            upgrade: { crds: "Skip", remediation: { retries: 3 } },
            values: {
                crds: { enabled: false },
                customHostnameLabel: STORAGE_NODE_LABEL,
                // Rook's safe defaults plus the media claim's lifecycle rules (components/media/rgwBucket.ts);
                // never bucketPolicy, which would let any claim open its bucket.
                obcAllowAdditionalConfigFields: OBC_ALLOWED_CONFIG_FIELDS.join(","),
                // The CSI node plugin must run wherever a volume is mounted, dedicated pools included
                // (Postgres and Redis volumes live on data nodes).
                csi: { pluginTolerations: [{ key: DEDICATED_TAINT_KEY, operator: "Exists", effect: "NoSchedule" }] },
                enableDiscoveryDaemon: false,
                monitoring: { enabled: false },
            },
        },
    };
}

// ── Registration ─────────────────────────────────────────────────────────────────────────────────────

type Manifest = { apiVersion: string; kind: string; metadata: { name: string } };

export function createCephStorage(name: string, args: CephStorageArgs, parent: pulumi.Resource) {
    const s = args.storage;
    const fluxNamespace = args.fluxNamespace ?? DEFAULT_FLUX_NAMESPACE;
    const model = storageModel(storageModelInput(s));
    const opts = { parent, provider: args.provider };
    const cr = (part: string, manifest: Manifest, extra: pulumi.CustomResourceOptions = {}) =>
        new k8s.apiextensions.CustomResource(`${name}-${part}`, manifest as k8s.apiextensions.CustomResourceArgs, { ...opts, ...extra });

    // Deleting the namespace would delete the cluster with it.
    const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: ROOK_NAMESPACE, labels: PART_OF } }, { ...opts, protect: true });
    const crds = installCrds(name, "rook", parent, args.provider);
    const repository = cr("rook-repository", rookRepositoryManifest(fluxNamespace), { dependsOn: args.flux ?? [] });
    const operator = cr("rook-operator", rookOperatorManifest(s, fluxNamespace), { dependsOn: [repository, namespace, ...(args.flux ?? [])] });
    // The Ceph objects need their CRDs, not a running operator: Rook reconciles them once Flux has installed it.
    const afterCrds = { dependsOn: [...crds, namespace, ...(args.dependsOn ?? [])] };

    const cluster = cr("cluster", cephClusterManifest(s, model), { ...afterCrds, protect: true });
    const afterCluster = { dependsOn: [cluster] };
    const blockPool = cr("block-pool", blockPoolManifest(s), { ...afterCluster, protect: true });
    new k8s.storage.v1.StorageClass(`${name}-block-class`, blockStorageClassManifest(s), { ...opts, dependsOn: [blockPool] });
    const filesystem = cr("filesystem", filesystemManifest(s), { ...afterCluster, protect: true });
    new k8s.storage.v1.StorageClass(`${name}-filesystem-class`, filesystemStorageClassManifest(s), { ...opts, dependsOn: [filesystem] });
    const objectStore = s.objectStore.enabled ? cr("object-store", objectStoreManifest(s), { ...afterCluster, protect: true }) : undefined;

    return {
        model,
        namespace,
        operator,
        crds,
        cluster,
        objectStore: objectStore ? { name: s.objectStore.name, namespace: ROOK_NAMESPACE, port: RGW_PORT } : undefined,
    };
}
