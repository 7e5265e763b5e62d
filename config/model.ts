// The stack's config as the capacity model's input: the adapters the components size themselves with (the
// model itself never reads config). The policy pack rebuilds the same inputs from the registered resources.
import { CEPH_DEFAULT_THROTTLES, DEFAULT_MAX_RECOVERY_HOURS, DEFAULT_STORAGE_HEADROOM, type RecoveryThrottles, type StorageModelInput, type StorageNodeHardware } from "../capacity/storage";
import { instanceType } from "../capacity/instances";
import { placementRole } from "../capacity/memory";
import type { PlatformConfig } from "./schema";
import type { StorageConfig, StorageNodeConfig } from "./storage";

/** Role each tier lands on (its own role's pool, else general, else any non-dedicated node). */
export function tierRolesOf(cfg: PlatformConfig): { data: string | undefined; web: string | undefined; workers: string | undefined } {
    const roles = cfg.nodePools.map((p) => p.role);
    return { data: placementRole("data", roles), web: placementRole("web", roles), workers: placementRole("workers", roles) };
}


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

/** What Ceph calls a storage config's devices: hdd when any device is a spinning disk, else ssd (nvme too). */
export function cephDeviceClass(storage: StorageConfig): "ssd" | "hdd" {
    return storage.nodes.some((n) => n.instanceType === undefined && n.devices.some((d) => d.class === "hdd")) ? "hdd" : "ssd";
}

/** The recovery throttles a storage config runs: what it sets, else Ceph's defaults for its device class. */
export function recoveryThrottles(storage: StorageConfig): RecoveryThrottles {
    const d = CEPH_DEFAULT_THROTTLES[cephDeviceClass(storage)];
    const r = storage.recovery;
    return { maxBackfills: r.maxBackfills ?? d.maxBackfills, maxActive: r.maxActive ?? d.maxActive, sleepSeconds: r.sleepSeconds ?? d.sleepSeconds };
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
        throttles: recoveryThrottles(storage),
        // What the pack checks by default; the stack's own values only tighten it.
        headroom: Math.min(DEFAULT_STORAGE_HEADROOM, storage.headroom ?? Infinity),
        maxRecoveryHours: Math.min(DEFAULT_MAX_RECOVERY_HOURS, storage.recovery.maxHours ?? Infinity),
    };
}
