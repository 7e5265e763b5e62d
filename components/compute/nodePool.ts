// A node pool: nodes of one role and one architecture. On AWS an EKS managed node group; on bare metal the
// existing nodes, labelled and tainted through Kubernetes node patches (server-side apply of just those fields).
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { findInstanceType } from "../../capacity/instances";
import { NODE_FACTS } from "../../contract/facts";
import { ARCH_LABEL, DEDICATED_TAINT_KEY, POOL_LABEL, ROLE_LABEL, STORAGE_NODE_LABEL } from "../../contract/labels";
import type { AwsNodePoolConfig, BareMetalNodePoolConfig, NodePoolConfig, Role } from "../../config/nodePools";
import type { StorageConfig } from "../../config/storage";
import type { PlatformConfig } from "../../config/schema";
import type { KubernetesCluster, NodeGroupContext } from "./cluster";

export interface NodePoolArgs {
    /** The pool from config: an AWS managed node group or existing bare-metal nodes. */
    pool: NodePoolConfig;
    /** Labels added to every node of the pool, e.g. the storage-node label of a one-node storage group. Default none. */
    labels?: Record<string, string>;
    /** Subnets of an AWS pool. Default: every subnet of the cluster. */
    subnetIds?: string[];
    /** Kubernetes provider of the cluster (bare-metal node patches). */
    provider: k8s.Provider;
    /** EKS cluster, node role and subnets; required for an AWS pool. */
    eks?: NodeGroupContext;
}

/** Roles whose pools are tainted unless config says otherwise: nothing else may land on storage or data nodes. */
export const DEDICATED_BY_DEFAULT: readonly Role[] = ["storage", "data"];

export function isDedicated(pool: Pick<NodePoolConfig, "role" | "dedicated">): boolean {
    return pool.dedicated ?? DEDICATED_BY_DEFAULT.includes(pool.role);
}

/** The taint of a dedicated pool (Kubernetes spelling); pods of the role tolerate DEDICATED_TAINT_KEY=<role>:NoSchedule. */
export function poolTaints(pool: Pick<NodePoolConfig, "role" | "dedicated">): { key: string; value: string; effect: "NoSchedule" }[] {
    return isDedicated(pool) ? [{ key: DEDICATED_TAINT_KEY, value: pool.role, effect: "NoSchedule" }] : [];
}

/** The toleration pods of a role need for its dedicated pools. */
export function roleToleration(role: Role) {
    return { key: DEDICATED_TAINT_KEY, operator: "Equal", value: role, effect: "NoSchedule" };
}

/** The architecture of an AWS pool (config validation has checked every type is in the catalog and of one arch). */
export function awsPoolArch(pool: AwsNodePoolConfig): "amd64" | "arm64" {
    return findInstanceType(pool.instanceTypes[0])!.arch;
}

/** EKS AMI type for an architecture: Amazon Linux 2023, the EKS-optimised default since Kubernetes 1.30. */
export const amiTypeFor = (arch: "amd64" | "arm64") => (arch === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD");

/** A pool's nodes: one managed node group (AWS) or one node patch per node (bare metal). */
export class NodePool extends pulumi.ComponentResource {
    /** The managed node group (AWS pools). */
    readonly nodeGroup?: aws.eks.NodeGroup;
    /** The node patches (bare-metal pools), by node name. */
    readonly nodePatches: Record<string, k8s.core.v1.NodePatch>;

    constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:compute:NodePool", name, {}, opts);
        const built = createNodePool(name, args, this);
        this.nodeGroup = built.nodeGroup;
        this.nodePatches = built.nodePatches;
        this.registerOutputs({ nodeGroupName: this.nodeGroup?.nodeGroupName, nodes: Object.keys(this.nodePatches) });
    }
}

export function createNodePool(name: string, args: NodePoolArgs, parent: pulumi.Resource) {
    const pool = args.pool;
    if (pool.kind === "aws") {
        if (!args.eks) throw new Error(`node pool ${pool.name}: an AWS pool needs the EKS cluster (cluster.provider "eks")`);
        return { nodeGroup: createNodeGroup(name, pool, args, args.eks, parent), nodePatches: {} };
    }
    return { nodeGroup: undefined, nodePatches: createNodePatches(name, pool, args, parent) };
}

function createNodeGroup(name: string, pool: AwsNodePoolConfig, args: NodePoolArgs, eks: NodeGroupContext, parent: pulumi.Resource): aws.eks.NodeGroup {
    const fixedSize = pool.size.min === pool.size.max;
    return new aws.eks.NodeGroup(
        `${name}-group`,
        {
            clusterName: eks.clusterName,
            nodeGroupName: pool.name,
            nodeRoleArn: eks.nodeRoleArn,
            subnetIds: args.subnetIds ?? eks.subnetIds,
            instanceTypes: pool.instanceTypes,
            amiType: amiTypeFor(awsPoolArch(pool)),
            capacityType: pool.capacityType === "spot" ? "SPOT" : "ON_DEMAND",
            diskSize: pool.diskGiB,
            scalingConfig: { minSize: pool.size.min, desiredSize: pool.size.desired, maxSize: pool.size.max },
            // kubelet sets kubernetes.io/arch itself; the AMI type above is the arch on the registered resource.
            labels: { [ROLE_LABEL]: pool.role, [POOL_LABEL]: pool.name, ...args.labels },
            taints: poolTaints(pool).map((t) => ({ key: t.key, value: t.value, effect: "NO_SCHEDULE" })),
            updateConfig: { maxUnavailable: 1 },
        },
        // An autoscaler moves desiredSize between min and max; a fixed-size pool keeps Pulumi in charge of it.
        { parent, ignoreChanges: fixedSize ? [] : ["scalingConfig.desiredSize"] },
    );
}

function createNodePatches(name: string, pool: BareMetalNodePoolConfig, args: NodePoolArgs, parent: pulumi.Resource): Record<string, k8s.core.v1.NodePatch> {
    const taints = poolTaints(pool);
    return Object.fromEntries(
        pool.nodes.map((node) => [
            node.name,
            new k8s.core.v1.NodePatch(
                `${name}-${node.name}`,
                {
                    metadata: {
                        name: node.name,
                        labels: {
                            [ROLE_LABEL]: pool.role,
                            [POOL_LABEL]: pool.name,
                            // The same value kubelet reports; declaring it lets a rule see the node's arch at preview.
                            [ARCH_LABEL]: node.arch,
                            ...(pool.role === "storage" ? { [STORAGE_NODE_LABEL]: node.name } : {}),
                            ...args.labels,
                        },
                        // Hardware no Kubernetes field carries at preview: what capacity rules size against.
                        annotations: NODE_FACTS.encode({ memoryGiB: node.memoryGiB, cpu: node.cpu }),
                    },
                    ...(taints.length > 0 ? { spec: { taints } } : {}),
                },
                { parent, provider: args.provider },
            ),
        ]),
    );
}

/**
 * The storage nodes as node pools. On AWS, one single-node managed node group per storage node, labelled with
 * its storage-node name: EKS names nodes after their EC2 private DNS name, unknown at preview, so Rook finds
 * each node's disks through that label (see components/storage). On bare metal, one pool of the named nodes.
 */
export function storageNodePools(storage: StorageConfig): { pool: NodePoolConfig; labels?: Record<string, string>; subnetIndex?: number }[] {
    const onAws = storage.nodes.every((n) => n.instanceType !== undefined);
    if (onAws) {
        return storage.nodes.map((n, i) => ({
            pool: {
                kind: "aws",
                name: `storage-${n.name}`,
                role: "storage",
                dedicated: true,
                instanceTypes: [n.instanceType!],
                size: { min: 1, desired: 1, max: 1 },
                // Stateful: a spot reclaim would take an OSD's instance-store data with it.
                capacityType: "on-demand",
                diskGiB: 50,
            },
            labels: { [STORAGE_NODE_LABEL]: n.name },
            // Round-robin over the cluster's subnets (zones), so storage nodes do not share a zone needlessly.
            subnetIndex: i,
        }));
    }
    return [
        {
            pool: {
                kind: "baremetal",
                name: "storage",
                role: "storage",
                dedicated: true,
                nodes: storage.nodes.map((n) => ({ name: n.name, arch: n.arch!, cpu: n.cpu!, memoryGiB: n.memoryGiB! })),
            },
        },
    ];
}

/** Every pool of the stack: the configured pools and the storage nodes, each a NodePool named `pool-<name>`. */
export function createNodePools(config: Pick<PlatformConfig, "nodePools" | "storage">, cluster: Pick<KubernetesCluster, "provider" | "nodeGroupContext">): NodePool[] {
    const eks = cluster.nodeGroupContext;
    const common = { provider: cluster.provider, eks };
    const pools = config.nodePools.map((pool) => new NodePool(`pool-${pool.name}`, { ...common, pool }));
    const storage = storageNodePools(config.storage).map(
        ({ pool, labels, subnetIndex }) =>
            new NodePool(`pool-${pool.name}`, {
                ...common,
                pool,
                labels,
                subnetIds: eks && subnetIndex !== undefined ? [eks.subnetIds[subnetIndex % eks.subnetIds.length]] : undefined,
            }),
    );
    return [...pools, ...storage];
}
