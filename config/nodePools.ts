// Node pools: every pool has a role; AWS pools name instance types, bare-metal pools list their nodes.
import { z } from "zod";
import { findInstanceType, instanceTypeNames } from "../capacity/instances";
import type { ConfigProblem } from "./errors";
import { arch, bool, dnsLabel, dnsName, expecting, int, listOf, MAX_NODE_CPU, MAX_NODE_MEMORY_GIB, num, oneOf, str } from "./fields";

/** An EC2 instance type that the catalog in capacity/instances lists (its figures drive capacity). */
export const instanceTypeName = () =>
    expecting(
        z.string().refine((t) => findInstanceType(t) !== undefined),
        `an instance type from the catalog (${instanceTypeNames().join(", ")})`,
    );

export const ROLES = ["storage", "data", "web", "workers", "general"] as const;
export const roleSchema = oneOf(ROLES);
export type Role = z.output<typeof roleSchema>;

/** A machine that already exists (homelab, dev); it declares its own hardware. */
export const bareMetalNodeSchema = z.strictObject({
    /** Kubernetes node name (its kubernetes.io/hostname label). */
    name: dnsName(),
    /** CPU architecture. */
    arch: arch(),
    /** CPU cores. */
    cpu: num({ gt: 0, max: MAX_NODE_CPU }),
    /** Memory in GiB. */
    memoryGiB: num({ gt: 0, max: MAX_NODE_MEMORY_GIB }),
    /** Free-text model, e.g. "Raspberry Pi 4 Model B 8GB". */
    model: str({ min: 1 }).optional(),
});
export type BareMetalNode = z.output<typeof bareMetalNodeSchema>;

const common = {
    /** Pool name, used in node-group and label names. */
    name: dnsLabel(),
    /** What runs on the pool; labels by role and arch follow from it. */
    role: roleSchema,
    /** Taint the pool so only its role schedules there. Default: true for storage and data, false otherwise. */
    dedicated: bool().optional(),
};

const awsPool = z.strictObject({
    ...common,
    kind: z.literal("aws"),
    /** EC2 instance types from the catalog in capacity/instances; all of one arch. */
    instanceTypes: listOf(instanceTypeName()),
    /** Node count. */
    size: z.strictObject({
        min: int({ min: 0 }),
        desired: int({ min: 0 }),
        max: int({ min: 1 }),
    }),
    /** On-demand or spot. Default on-demand (stateful roles must stay on-demand). */
    capacityType: oneOf(["on-demand", "spot"] as const).default("on-demand"),
    /** Root volume in GiB. Default 50. */
    diskGiB: int({ min: 20 }).default(50),
});

const bareMetalPool = z.strictObject({
    ...common,
    kind: z.literal("baremetal"),
    /** The existing nodes in this pool. */
    nodes: listOf(bareMetalNodeSchema),
});

export const nodePoolSchema = expecting(
    z.discriminatedUnion("kind", [awsPool, bareMetalPool]),
    'a node pool whose kind is "aws" or "baremetal"',
);
export const nodePoolsSchema = listOf(nodePoolSchema);
export type NodePoolConfig = z.output<typeof nodePoolSchema>;
export type AwsNodePoolConfig = z.output<typeof awsPool>;
export type BareMetalNodePoolConfig = z.output<typeof bareMetalPool>;

/**
 * Node-pool combinations the schema cannot see: the storage role or pool names, which belong to storage.nodes;
 * an AWS pool mixing architectures (one AMI type per node group); a bare-metal pool mixing them (its workloads
 * would need images for both without saying so).
 */
export function nodePoolProblems(pools: NodePoolConfig[]): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    pools.forEach((p, i) => {
        // Storage nodes are declared under storage.nodes, which names their pools storage / storage-<node>.
        if (p.role === "storage") out.push({ path: `nodePools[${i}].role`, message: 'expected a role other than "storage" (declare storage nodes under storage.nodes), got "storage"' });
        if (p.name === "storage" || p.name.startsWith("storage-")) {
            out.push({ path: `nodePools[${i}].name`, message: `expected a name not starting with "storage" (reserved for the storage nodes' pools), got ${JSON.stringify(p.name)}` });
        }
        const archs =
            p.kind === "aws"
                ? p.instanceTypes.map((t) => ({ arch: findInstanceType(t)?.arch, what: t, path: `nodePools[${i}].instanceTypes` }))
                : p.nodes.map((n) => ({ arch: n.arch, what: n.name, path: `nodePools[${i}].nodes` }));
        const first = archs[0];
        archs.forEach((a, j) => {
            if (j > 0 && a.arch !== undefined && first.arch !== undefined && a.arch !== first.arch) {
                out.push({ path: `${a.path}[${j}]`, message: `expected ${first.arch} like ${first.what} (one arch per pool), got ${a.what} (${a.arch})` });
            }
        });
    });
    return out;
}
