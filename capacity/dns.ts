// CoreDNS replicas as cluster-proportional-autoscaler's linear mode computes them (outage 4 in docs/outages.md:
// kube-dns needed horizontal autoscaling). Mirrors pkg/autoscaler/controller/linearcontroller of
// kubernetes-sigs/cluster-proportional-autoscaler v1.10.3, so a stack can predict what it will do.
import type { Budget } from "../contract/budget";

/** The `linear` parameters the autoscaler reads from its ConfigMap (JSON under key "linear"). */
export interface LinearParams {
    coresPerReplica: number;
    nodesPerReplica: number;
    min: number;
    /** 0 means no maximum. */
    max: number;
    preventSinglePointFailure: boolean;
}

export interface ClusterSize {
    /** Schedulable nodes. */
    nodes: number;
    /** Schedulable cores. */
    cores: number;
}

/** The ConfigMap key the autoscaler reads linear parameters from. */
export const LINEAR_KEY = "linear";

function fromResource(resources: number, perReplica: number, p: LinearParams): number {
    if (perReplica === 0) return 1;
    let r = Math.ceil(resources / perReplica);
    if (p.max !== 0) r = Math.min(p.max, r);
    return Math.max(p.min, r);
}

/**
 * replicas = max(ceil(cores / coresPerReplica), ceil(nodes / nodesPerReplica)), each clamped to
 * [min, max]; with preventSinglePointFailure the node term is at least 2 when there is more than one
 * node (applied after the clamp, as upstream does, so it can exceed max = 1).
 */
export function dnsReplicas(size: ClusterSize, p: LinearParams): number {
    const fromCores = fromResource(size.cores, p.coresPerReplica, p);
    let fromNodes = fromResource(size.nodes, p.nodesPerReplica, p);
    if (p.preventSinglePointFailure && size.nodes > 1 && fromNodes < 2) fromNodes = 2;
    return Math.max(fromCores, fromNodes);
}

/** Replicas the formula asks for before the max clamp: what the cluster's size calls for. */
export function dnsReplicasWanted(size: ClusterSize, p: LinearParams): number {
    return dnsReplicas(size, { ...p, max: 0 });
}

/** The JSON the autoscaler's ConfigMap carries under `linear`. */
export const linearParamsJson = (p: LinearParams): string => JSON.stringify(p);

/** Parses the ConfigMap's `linear` value (throws on malformed JSON, as the autoscaler would refuse it). */
export function parseLinearParams(json: string): LinearParams {
    const o = JSON.parse(json);
    return {
        coresPerReplica: Number(o.coresPerReplica ?? 0),
        nodesPerReplica: Number(o.nodesPerReplica ?? 0),
        min: Number(o.min ?? 0) || 1, // the autoscaler defaults min 0 to 1
        max: Number(o.max ?? 0),
        preventSinglePointFailure: o.preventSinglePointFailure === true,
    };
}

/**
 * The most replicas the autoscaler will run on a cluster of this size: its max (none when 0), or the two that
 * preventSinglePointFailure keeps on a multi-node cluster even above max = 1.
 */
export function dnsReplicasCeiling(size: ClusterSize, p: LinearParams): number {
    if (p.max === 0) return Infinity;
    return p.preventSinglePointFailure && size.nodes > 1 ? Math.max(p.max, 2) : p.max;
}

/** Budget: replicas the cluster's size calls for against the most the autoscaler will run. */
export function dnsBudgets(size: ClusterSize, p: LinearParams): Budget[] {
    return [
        {
            id: "edge.dns.replicas",
            title: `CoreDNS replicas ${size.nodes} nodes / ${size.cores} cores call for (linear: ${p.coresPerReplica} cores, ${p.nodesPerReplica} nodes per replica) against the autoscaler's max`,
            used: dnsReplicasWanted(size, p),
            limit: dnsReplicasCeiling(size, p),
            unit: "replicas",
        },
    ];
}
