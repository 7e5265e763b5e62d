// The app platform's capacity from a stack's config: connection budget, queue sizing, single scheduler,
// proxy and DNS sizing, and memory on the nodes each tier lands on. Turns config into the plain inputs
// of connections/queues/proxy/dns/memory (which the components and policies also call directly).
import type { PlatformConfig } from "../config/schema";
import type { Budget } from "./budget";
import { connectionBudgets, type AppConnectionTiers, type PoolerSize, type PostgresSize } from "./connections";
import { dnsBudgets, type ClusterSize, type LinearParams } from "./dns";
import { findInstanceType, type Arch } from "./instances";
import { memoryBudgets, placementRole, type NodeGroup, type PodGroup } from "./memory";
import { nginxSizing, proxyBudgets, type ProxySizingInput } from "./proxy";
import { queueBudgets, SCHEDULER_QUEUE, type QueueServer } from "./queues";

/** Name of the scheduler's queue server (one replica, one process). */
export const SCHEDULER_NAME = "scheduler";

/** Roles that are tainted unless a pool says otherwise (config/nodePools `dedicated`). */
const DEDICATED_BY_DEFAULT = new Set(["storage", "data"]);

export function connectionTiersOf(cfg: PlatformConfig): AppConnectionTiers {
    const w = cfg.workloads;
    return {
        web: [{ replicas: w.web.replicas, processes: w.web.processes, threads: w.web.threads }],
        streaming: [{ replicas: w.streaming.replicas, processes: w.streaming.processes, dbPool: w.streaming.dbPool }],
        workers: queueServersOf(cfg).map((s) => ({ name: s.name, replicas: s.replicas, threads: s.threads })),
    };
}

/** Every Sidekiq process set: the worker groups, then the single scheduler (which serves only its queue). */
export function queueServersOf(cfg: PlatformConfig): QueueServer[] {
    const w = cfg.workloads;
    return [
        ...w.workers.map((g) => ({ name: g.name, replicas: g.replicas, threads: g.threads, queues: g.queues })),
        { name: SCHEDULER_NAME, replicas: 1, threads: w.scheduler.threads, queues: [SCHEDULER_QUEUE] },
    ];
}

export const poolerSizeOf = (cfg: PlatformConfig): PoolerSize => ({ ...cfg.data.pooler });
export const postgresSizeOf = (cfg: PlatformConfig): PostgresSize => ({
    maxConnections: cfg.data.postgres.maxConnections,
    reservedConnections: cfg.data.postgres.reservedConnections,
});

export function proxySizingOf(cfg: PlatformConfig): ProxySizingInput {
    const p = cfg.edge.proxy;
    return { peakClients: p.peakClients, replicas: p.replicas, headroom: p.headroom, workerProcesses: p.workerProcesses };
}

export function linearParamsOf(cfg: PlatformConfig): LinearParams {
    const d = cfg.edge.dns;
    return { coresPerReplica: d.coresPerReplica, nodesPerReplica: d.nodesPerReplica, min: d.min, max: d.max, preventSinglePointFailure: d.preventSinglePointFailure };
}

/**
 * Nodes the stack declares, grouped: bare-metal nodes as listed, AWS pools at their desired size with
 * the catalog's figures, and the storage nodes (dedicated). Unknown instance types are left out.
 */
export function nodeGroupsOf(cfg: PlatformConfig): NodeGroup[] {
    const groups: NodeGroup[] = [];
    for (const p of cfg.nodePools) {
        const dedicated = p.dedicated ?? DEDICATED_BY_DEFAULT.has(p.role);
        if (p.kind === "baremetal") {
            for (const n of p.nodes) groups.push({ pool: p.name, role: p.role, arch: n.arch, memoryGiB: n.memoryGiB, cpu: n.cpu, count: 1, dedicated });
        } else {
            // A pool may list several types (one arch); count each node as the smallest of them.
            const types = p.instanceTypes.map(findInstanceType).filter((t) => t !== undefined);
            if (types.length > 0) {
                const memoryGiB = Math.min(...types.map((t) => t.memoryGiB));
                const cpu = Math.min(...types.map((t) => t.vcpu));
                groups.push({ pool: p.name, role: p.role, arch: types[0].arch, memoryGiB, cpu, count: p.size.desired, dedicated });
            }
        }
    }
    for (const n of cfg.storage.nodes) {
        const t = n.instanceType ? findInstanceType(n.instanceType) : undefined;
        const arch = t?.arch ?? n.arch;
        const memoryGiB = t?.memoryGiB ?? n.memoryGiB;
        const cpu = t?.vcpu ?? n.cpu;
        if (arch && memoryGiB !== undefined && cpu !== undefined) groups.push({ pool: "storage", role: "storage", arch, memoryGiB, cpu, count: 1, dedicated: true });
    }
    return groups;
}

/** Nodes and cores the DNS autoscaler would count (every declared node; tainted ones are schedulable for it). */
export function clusterSizeOf(cfg: PlatformConfig): ClusterSize {
    const nodes = nodeGroupsOf(cfg);
    return { nodes: nodes.reduce((a, n) => a + n.count, 0), cores: nodes.reduce((a, n) => a + n.count * n.cpu, 0) };
}

/** Role each tier lands on (its own role's pool, else general, else any non-dedicated node). */
export function tierRolesOf(cfg: PlatformConfig): { data: string | undefined; web: string | undefined; workers: string | undefined } {
    const roles = cfg.nodePools.map((p) => p.role);
    return { data: placementRole("data", roles), web: placementRole("web", roles), workers: placementRole("workers", roles) };
}

/** Architectures a workload may run on: amd64 only unless its image is declared multi-arch. */
export function allowedArchs(multiArch: boolean, wanted: readonly Arch[] = ["amd64", "arm64"]): Arch[] {
    return multiArch ? [...wanted] : wanted.filter((a) => a === "amd64");
}

/** The pods of the data, app and edge tiers with the memory each requests and where it may go. */
export function appPodGroupsOf(cfg: PlatformConfig): PodGroup[] {
    const roles = tierRolesOf(cfg);
    const w = cfg.workloads;
    const app = w.image.multiArch;
    const streamingMultiArch = (w.streaming.image ?? w.image).multiArch;
    const redisArchs = allowedArchs(cfg.data.redis.image.multiArch);
    return [
        // CloudNativePG's Postgres images are multi-arch manifest lists.
        { name: "postgres", replicas: cfg.data.postgres.instances, memoryMiB: cfg.data.postgres.memoryGiB * 1024, role: roles.data, archs: ["amd64", "arm64"] },
        { name: "redis-cache", replicas: 1, memoryMiB: cfg.data.redis.cache.memoryMiB, role: roles.data, archs: redisArchs },
        { name: "redis-queue", replicas: 1, memoryMiB: cfg.data.redis.queue.memoryMiB, role: roles.data, archs: redisArchs },
        { name: "web", replicas: w.web.replicas, memoryMiB: w.web.memoryMiB, role: roles.web, archs: allowedArchs(app) },
        { name: "streaming", replicas: w.streaming.replicas, memoryMiB: w.streaming.memoryMiB, role: roles.web, archs: allowedArchs(streamingMultiArch) },
        { name: "edge-proxy", replicas: cfg.edge.proxy.replicas, memoryMiB: cfg.edge.proxy.memoryMiB, role: roles.web, archs: allowedArchs(cfg.edge.proxy.image.multiArch) },
        ...w.workers.map((g) => ({ name: `worker-${g.name}`, replicas: g.replicas, memoryMiB: g.memoryMiB, role: roles.workers, archs: [...g.archs] })),
        { name: SCHEDULER_NAME, replicas: 1, memoryMiB: w.scheduler.memoryMiB, role: roles.workers, archs: allowedArchs(app) },
    ];
}

/** Every budget of the app platform: connections, queues and scheduler, proxy, DNS, memory per node role. */
export function appBudgets(cfg: PlatformConfig): Budget[] {
    const proxy = proxySizingOf(cfg);
    return [
        ...connectionBudgets(connectionTiersOf(cfg), poolerSizeOf(cfg), postgresSizeOf(cfg)),
        ...queueBudgets(cfg.workloads.queues, queueServersOf(cfg), cfg.workloads.utilisationCeiling),
        ...proxyBudgets(proxy.peakClients, proxy.replicas, nginxSizing(proxy)),
        ...dnsBudgets(clusterSizeOf(cfg), linearParamsOf(cfg)),
        ...memoryBudgets(appPodGroupsOf(cfg), nodeGroupsOf(cfg)),
    ];
}
