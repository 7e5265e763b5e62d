// Memory on the nodes the app tiers land on (outage 3 in docs/outages.md: Redis and 160 Sidekiq threads ran out of
// RAM on one host), the role a tier is placed on, and the memory settings derived from a pod's limit.
import type { Budget } from "../contract/budget";
import type { Arch } from "./instances";

/** Nodes of one kind: `count` nodes of one role and arch with the same memory. */
export interface NodeGroup {
    pool: string;
    /** The node's own name when the group is one named node (bare metal); undefined: `count` nodes of the pool. */
    name?: string;
    /** What the group was read from (the policy pack: the resource's URN), to report against. */
    ref?: string;
    role: string;
    arch: Arch;
    memoryGiB: number;
    cpu: number;
    count: number;
    /** Tainted so only its role schedules there. */
    dedicated: boolean;
}

/** Pods of one workload: where they may go and the memory (request = limit) and CPU each requests. */
export interface PodGroup {
    name: string;
    replicas: number;
    memoryMiB: number;
    /** CPU each pod requests, in cores (the node CPU budgets count it); undefined: none requested. */
    cpu?: number;
    /** Node role they are pinned to; undefined: any node that is not dedicated to a role. */
    role: string | undefined;
    /** Architectures their node affinity allows. */
    archs: Arch[];
    /** What the group was read from (the policy pack: the resource's URN), to report against. */
    ref?: string;
    /** Labels of the pods (what other pods' anti-affinity selects). Default none. */
    labels?: Record<string, string>;
    /** Their tolerations; undefined: exactly their role's dedicated-pool taint (what components/workloads emits). */
    tolerations?: Toleration[];
    /** Label selectors of their required pod anti-affinity on the hostname: never on a node with pods they select. */
    antiAffinity?: LabelSelector[];
}

/** A pod toleration (Kubernetes spelling). */
export interface Toleration {
    key?: string;
    operator?: "Equal" | "Exists";
    value?: string;
    effect?: string;
}

/** A label selector (Kubernetes spelling). */
export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Does the selector select these labels? (An empty selector selects everything, as in Kubernetes.) */
export function selectorMatches(s: LabelSelector, labels: Record<string, string>): boolean {
    for (const [k, v] of Object.entries(s.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of s.matchExpressions ?? []) {
        const v = labels[e.key];
        const inValues = v !== undefined && (e.values ?? []).includes(v);
        if ((e.operator === "In" && !inValues) || (e.operator === "NotIn" && inValues) || (e.operator === "Exists" && v === undefined) || (e.operator === "DoesNotExist" && v !== undefined)) return false;
    }
    return true;
}

/**
 * The role a tier lands on: its own role when a pool has it, else "general" when a pool has that, else
 * undefined (no role selector: any node not dedicated to another role).
 */
export function placementRole(wanted: string, rolesPresent: Iterable<string>): string | undefined {
    const roles = new Set(rolesPresent);
    if (roles.has(wanted)) return wanted;
    if (roles.has("general")) return "general";
    return undefined;
}

/** May pods of a role run on this node: one of that role's nodes; undefined role: any node not dedicated to a role. */
export function roleAdmits(role: string | undefined, node: Pick<NodeGroup, "role" | "dedicated">): boolean {
    return role === undefined ? !node.dedicated : node.role === role;
}

/** Does one of the tolerations tolerate a dedicated pool's taint (components/compute: <key>=<role>:NoSchedule)? */
function tolerates(tolerations: readonly Toleration[], key: string, value: string): boolean {
    return tolerations.some(
        (t) => (t.effect === undefined || t.effect === "" || t.effect === "NoSchedule") && (t.operator === "Exists" ? t.key === undefined || t.key === "" || t.key === key : t.key === key && t.value === value),
    );
}

/**
 * May pods of this group be scheduled on this node: its role selector (none: any role), its arch, and the node's
 * dedicated-pool taint tolerated (`taintKey` is the taint's key; by default a pod tolerates its own role's).
 */
export function admits(pod: Pick<PodGroup, "role" | "archs" | "tolerations">, node: NodeGroup, taintKey: string): boolean {
    if (pod.role !== undefined && node.role !== pod.role) return false;
    if (!pod.archs.includes(node.arch)) return false;
    if (!node.dedicated) return true;
    return pod.tolerations === undefined ? pod.role === node.role : tolerates(pod.tolerations, taintKey, node.role);
}

const selectsAny = (selectors: readonly LabelSelector[] | undefined, labels: Record<string, string> | undefined) => (selectors ?? []).some((s) => selectorMatches(s, labels ?? {}));
/** May two pod groups never share a node (a required anti-affinity on the hostname, either way)? */
const apart = (a: PodGroup, b: PodGroup) => selectsAny(a.antiAffinity, b.labels) || selectsAny(b.antiAffinity, a.labels);

/** Subsets of groups with a conflict enumerated exactly up to this many; beyond, conflicts are ignored (an upper bound). */
const EXACT_CONFLICTS = 16;

/**
 * Memory that may land on one node of each group, budgeted together whatever their role: every pod group the node
 * admits (its role selector, taints and tolerations, arch), each with the replicas one node may receive — one under
 * a required anti-affinity against its own pods, else its replicas spread over the nodes it may use — and of pod
 * groups that may never share a node (required anti-affinity), the heaviest set that can. Pods pinned to the node's
 * role and pods that may land on any undedicated node thus count against the same node. Also: replicas that each
 * need a node of their own, against the nodes they may use.
 */
export function nodeMemoryBudgets(pods: PodGroup[], nodes: NodeGroup[], taintKey: string): (Budget & { ref?: string })[] {
    const out: (Budget & { ref?: string })[] = [];
    const consumers = pods.filter((p) => p.memoryMiB > 0 && p.replicas > 0);
    const nodesFor = new Map(consumers.map((p) => [p, nodes.filter((n) => admits(p, n, taintKey))]));
    const alone = (p: PodGroup) => apart(p, p);
    const perNode = (p: PodGroup) => {
        const available = nodesFor.get(p)!.reduce((a, n) => a + n.count, 0);
        return alone(p) ? 1 : Math.ceil(p.replicas / Math.max(1, available));
    };
    for (const n of nodes) {
        const here = consumers.filter((p) => nodesFor.get(p)!.includes(n));
        if (here.length === 0) continue;
        const weight = (p: PodGroup) => (perNode(p) * p.memoryMiB) / 1024;
        const conflicted = here.filter((p) => here.some((q) => q !== p && apart(p, q)));
        const free = here.filter((p) => !conflicted.includes(p));
        let best = conflicted;
        if (conflicted.length > 0 && conflicted.length <= EXACT_CONFLICTS) {
            let bestWeight = -1;
            for (let mask = 0; mask < 1 << conflicted.length; mask++) {
                const set = conflicted.filter((_, i) => mask & (1 << i));
                if (set.some((p, i) => set.some((q, j) => j > i && apart(p, q)))) continue;
                const w = set.reduce((a, p) => a + weight(p), 0);
                if (w > bestWeight) [best, bestWeight] = [set, w];
            }
        }
        const landing = [...free, ...best];
        const where = n.name !== undefined ? `node ${n.name}` : `one ${n.pool} node`;
        out.push({
            id: `memory.node.${n.name ?? n.pool}`,
            title: `memory of every pod that may land on ${where} (${landing.map((p) => (perNode(p) > 1 ? `${p.name} ×${perNode(p)}` : p.name)).join(", ")}) against its allocatable memory`,
            used: Math.round(landing.reduce((a, p) => a + weight(p), 0) * 100) / 100,
            limit: Math.round(allocatableMemoryGiB(n.memoryGiB) * 100) / 100,
            unit: "GiB",
            ref: n.ref,
        });
    }
    for (const p of consumers.filter(alone)) {
        const available = nodesFor.get(p)!.reduce((a, n) => a + n.count, 0);
        if (p.replicas > 1) out.push({ id: `memory.spread.${p.name}`, title: `replicas of ${p.name}, each on a node of its own (required anti-affinity), against the nodes they may use`, used: p.replicas, limit: available, unit: "nodes", ref: p.ref });
    }
    return out;
}

/**
 * Memory a node leaves to pods: GKE's documented kubelet reservation (25 % of the first 4 GiB, 20 % of
 * the next 4, 10 % of the next 8, 6 % of the next 112, 2 % above 128 GiB) and the 100 MiB hard-eviction
 * threshold (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes). EKS reserves less on
 * large nodes, so this errs on the safe side.
 */
export function allocatableMemoryGiB(nodeGiB: number): number {
    const tiers: [number, number][] = [
        [4, 0.25],
        [4, 0.2],
        [8, 0.1],
        [112, 0.06],
        [Infinity, 0.02],
    ];
    return Math.max(0, nodeGiB - tieredReservation(nodeGiB, tiers) - 100 / 1024);
}

/** What a kubelet reservation in tiers takes of `amount`: each [size, rate] reserves `rate` of the next `size` units. */
export function tieredReservation(amount: number, tiers: readonly (readonly [number, number])[]): number {
    let rest = amount;
    let reserved = 0;
    for (const [size, rate] of tiers) {
        const slice = Math.min(rest, size);
        reserved += slice * rate;
        rest -= slice;
        if (rest <= 0) break;
    }
    return reserved;
}

/** Bytes for Redis `maxmemory`: a fraction of the pod's memory limit, the rest left for overhead. */
export const redisMaxmemoryBytes = (memoryMiB: number, fraction: number): number => Math.floor(memoryMiB * 1024 * 1024 * fraction);

// measured: bench/fidelity.ts, Redis 7.0.15 (Debian 12), 2026-12-01: peak RSS (VmHWM) / maxmemory of a cache tier
// (allkeys-lru) filled to 2 × maxmemory with 128 B, 1 KiB and 4 KiB values at once: 1.54–1.67 over 29 runs at
// 154–655 MiB maxmemory (4 of them beside two CPU hogs), the highest rounded up. Evicting mixed sizes fragments
// the allocator far past the 25 % reserve assumed before (uniform 1 KiB values stay near 1.07).
/** Peak resident memory of a Redis over its maxmemory. */
export const REDIS_RSS_PER_MAXMEMORY = 1.7;

/** Memory a Redis with this maxmemory reaches at its peak: maxmemory × REDIS_RSS_PER_MAXMEMORY. */
export const redisPeakResidentBytes = (maxmemoryBytes: number): number => Math.ceil(maxmemoryBytes * REDIS_RSS_PER_MAXMEMORY);

/** The largest maxmemory fraction (two decimals, rounded down) whose peak resident memory fits the memory limit. */
export const redisMaxmemoryFractionFitting = (): number => Math.floor(100 / REDIS_RSS_PER_MAXMEMORY) / 100;

/**
 * Seconds of acknowledged writes an append-only file may lose when its host crashes, by appendfsync
 * (Redis docs, "Redis persistence": always ~0, everysec 1 s, no: whenever the OS flushes, 30 s on Linux).
 * A killed redis-server alone loses less: what it wrote before replying is in the OS page cache.
 */
export function aofLossBoundSeconds(appendfsync: string): number {
    const bounds: Record<string, number> = { always: 0, everysec: 1, no: 30 };
    const b = bounds[appendfsync.toLowerCase()];
    if (b === undefined) throw new RangeError(`appendfsync must be always, everysec or no, got ${appendfsync}`);
    return b;
}

/** Postgres shared_buffers in MiB: 25 % of the instance's memory (PostgreSQL docs, "Resource Consumption"). */
export const postgresSharedBuffersMiB = (memoryGiB: number): number => Math.floor(memoryGiB * 1024 * 0.25);

const archSets: Arch[][] = [["amd64"], ["arm64"], ["amd64", "arm64"]];

/** Names with a numbered series shortened: source-controller-shard-1 … -26 read "source-controller-shard-1…26". */
export function namesInShort(names: string[]): string[] {
    const series = new Map<string, number[]>();
    for (const n of names) {
        const m = /^(.*-)(\d+)$/.exec(n);
        if (m) series.set(m[1], [...(series.get(m[1]) ?? []), Number(m[2])]);
    }
    const out: string[] = [];
    const done = new Set<string>();
    for (const n of names) {
        const prefix = /^(.*-)\d+$/.exec(n)?.[1];
        const nums = prefix !== undefined ? series.get(prefix)! : [];
        if (prefix === undefined || nums.length < 3) out.push(n);
        else if (!done.has(prefix)) {
            done.add(prefix);
            const sorted = [...nums].sort((a, b) => a - b);
            const contiguous = sorted.every((v, i) => i === 0 || v === sorted[i - 1] + 1);
            out.push(contiguous ? `${prefix}${sorted[0]}…${sorted[sorted.length - 1]}` : `${prefix}{${sorted.join(",")}}`);
        }
    }
    return out;
}

/**
 * Memory budgets per node role. For every set of architectures A, the pods that can only run on A must
 * fit the allocatable memory of that role's nodes of A (a pod pinned to arm64 cannot use amd64 memory).
 * Checking every such set is what makes a split possible at all (Hall's condition for the fluid split);
 * it does not bin-pack individual nodes.
 */
export function memoryBudgets(pods: PodGroup[], nodes: NodeGroup[]): Budget[] {
    const out: Budget[] = [];
    const key = (role: string | undefined) => role ?? "(any role)";
    // A pod group that requests only CPU is not a memory consumer.
    const consumers = pods.filter((p) => p.memoryMiB > 0);
    const roles = [...new Set(consumers.filter((p) => p.replicas > 0).map((p) => key(p.role)))];
    for (const role of roles) {
        const mine = consumers.filter((p) => key(p.role) === role);
        const eligible = nodes.filter((n) => roleAdmits(mine[0].role, n));
        const pinnedTo = (set: Arch[]) => mine.filter((p) => p.archs.every((a) => set.includes(a)));
        for (const set of archSets) {
            const pinned = pinnedTo(set);
            if (pinned.length === 0) continue;
            // A wider set with the same pods as a narrower one only adds nodes: the narrower budget is the binding one.
            if (set.length > 1 && set.some((a) => pinnedTo([a]).length === pinned.length)) continue;
            const usedGiB = pinned.reduce((a, p) => a + (p.replicas * p.memoryMiB) / 1024, 0);
            const limitGiB = eligible.filter((n) => set.includes(n.arch)).reduce((a, n) => a + n.count * allocatableMemoryGiB(n.memoryGiB), 0);
            out.push({
                id: `memory.${role === key(undefined) ? "any" : role}.${set.join("+")}`,
                title: `memory requested by ${namesInShort(pinned.map((p) => p.name)).join(", ")} against allocatable memory of ${role} nodes (${set.join(" + ")})`,
                used: Math.round(usedGiB * 100) / 100,
                limit: Math.round(limitGiB * 100) / 100,
                unit: "GiB",
            });
        }
    }
    return out;
}
