// Node pools under mocks: EKS managed node groups of both architectures in prod, bare-metal nodes labelled
// and tainted through node patches in homelab and dev, and the storage nodes as pools Rook can find by label.
import { findInstanceType } from "../../capacity/instances";
import { ARCH_LABEL, CPU_ANNOTATION, MEMORY_GIB_ANNOTATION, POOL_LABEL, ROLE_LABEL, STORAGE_NODE_LABEL } from "../../contract/labels";
import { isDedicated, storageNodePools } from "../../components/compute/nodePool";
import { manifestOf, schemaErrors } from "../schema/validate";
import { runStack, stackConfig, writeStackFile, type RegisteredResource, type StackRun } from "../harness";

const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const NODE_PATCH = "kubernetes:core/v1:NodePatch";
const POOL = "media-platform:compute:NodePool";

const runs: Partial<Record<"dev" | "prod" | "homelab", StackRun>> = {};
beforeAll(async () => {
    for (const stack of ["dev", "prod", "homelab"] as const) runs[stack] = await runStack(stack);
});

/** The architecture of a managed node group, from its registered AMI type and instance types. */
function groupArch(g: RegisteredResource): string {
    const fromAmi = g.inputs.amiType === "AL2023_ARM_64_STANDARD" ? "arm64" : g.inputs.amiType === "AL2023_x86_64_STANDARD" ? "amd64" : "?";
    for (const t of g.inputs.instanceTypes) expect(findInstanceType(t)?.arch).toBe(fromAmi);
    return fromAmi;
}

describe("prod: EKS managed node groups", () => {
    const prod = () => runs.prod!;

    it("has amd64 and arm64 pools, each of one architecture", () => {
        const groups = prod().ofType(NODE_GROUP);
        const archs = new Set(groups.filter((g) => g.inputs.labels[ROLE_LABEL] !== "storage").map(groupArch));
        expect(archs).toEqual(new Set(["amd64", "arm64"]));
        // Workers run on both.
        const workers = groups.filter((g) => g.inputs.labels[ROLE_LABEL] === "workers").map(groupArch);
        expect(new Set(workers)).toEqual(new Set(["amd64", "arm64"]));
    });

    it("creates one group per configured pool, labelled by role and pool, tainted when dedicated", () => {
        for (const pool of prod().config.nodePools) {
            if (pool.kind !== "aws") throw new Error("prod pools are AWS pools");
            const g = prod().one(`pool-${pool.name}-group`, NODE_GROUP);
            expect(g.parent).toBe(prod().one(`pool-${pool.name}`, POOL).urn);
            expect(g.inputs).toMatchObject({
                nodeGroupName: pool.name,
                instanceTypes: pool.instanceTypes,
                scalingConfig: { minSize: pool.size.min, desiredSize: pool.size.desired, maxSize: pool.size.max },
                labels: { [ROLE_LABEL]: pool.role, [POOL_LABEL]: pool.name },
                capacityType: "ON_DEMAND",
            });
            expect(g.inputs.taints ?? []).toEqual(isDedicated(pool) ? [{ key: "media-platform.io/dedicated", value: pool.role, effect: "NO_SCHEDULE" }] : []);
            // The autoscaler owns desiredSize of a pool that can grow.
            expect(g.ignoreChanges).toEqual(pool.size.min < pool.size.max ? ["scalingConfig.desiredSize"] : []);
        }
        expect(prod().one("pool-data-group", NODE_GROUP).inputs.taints).toHaveLength(1);
        expect(prod().one("pool-web-group", NODE_GROUP).inputs.taints ?? []).toHaveLength(0);
    });

    it("runs each storage node as its own one-node, on-demand group carrying its storage-node label, spread over subnets", () => {
        const cfg = prod().config;
        const subnets = (cfg.cluster as { subnetIds: string[] }).subnetIds;
        cfg.storage.nodes.forEach((n, i) => {
            const g = prod().one(`pool-storage-${n.name}-group`, NODE_GROUP);
            expect(g.inputs).toMatchObject({
                instanceTypes: [n.instanceType],
                amiType: "AL2023_ARM_64_STANDARD",
                scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 1 },
                capacityType: "ON_DEMAND",
                labels: { [ROLE_LABEL]: "storage", [STORAGE_NODE_LABEL]: n.name },
                taints: [{ key: "media-platform.io/dedicated", value: "storage", effect: "NO_SCHEDULE" }],
                subnetIds: [subnets[i % subnets.length]],
            });
        });
    });

    it("joins every group to the cluster with the node role once its policies are attached", () => {
        const role = prod().one("platform-node-role", "aws:iam/role:Role");
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service).toBe("ec2.amazonaws.com");
        const attached = prod().ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.startsWith("platform-node-"));
        expect(attached.map((a) => a.inputs.policyArn.split("/").pop()).sort()).toEqual(["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]);
        for (const g of prod().ofType(NODE_GROUP)) {
            expect(g.inputs.nodeRoleArn).toBe(role.outputs.arn);
            expect(g.inputs.clusterName).toBe("media-prod");
        }
        expect(prod().ofType(NODE_PATCH)).toHaveLength(0);
    });
});

describe.each(["homelab", "dev"] as const)("%s: bare-metal nodes patched", (stack) => {
    const run = () => runs[stack]!;

    it("patches every node with role, pool and arch labels, its hardware annotations, and a taint when dedicated", () => {
        const cfg = run().config;
        const pools = [...cfg.nodePools, ...storageNodePools(cfg.storage).map((p) => p.pool)];
        for (const pool of pools) {
            if (pool.kind !== "baremetal") throw new Error("bare-metal stacks have bare-metal pools");
            for (const node of pool.nodes) {
                const patch = run().one(`pool-${pool.name}-${node.name}`, NODE_PATCH);
                expect(patch.parent).toBe(run().one(`pool-${pool.name}`, POOL).urn);
                expect(patch.inputs.metadata.name).toBe(node.name);
                expect(patch.inputs.metadata.labels).toMatchObject({ [ROLE_LABEL]: pool.role, [POOL_LABEL]: pool.name, [ARCH_LABEL]: node.arch });
                expect(patch.inputs.metadata.annotations).toEqual({
                    [MEMORY_GIB_ANNOTATION]: String(node.memoryGiB),
                    [CPU_ANNOTATION]: String(node.cpu),
                });
                expect(patch.inputs.spec?.taints ?? []).toEqual(isDedicated(pool) ? [{ key: "media-platform.io/dedicated", value: pool.role, effect: "NoSchedule" }] : []);
                expect(schemaErrors(manifestOf(patch.inputs))).toEqual([]);
            }
        }
        expect(run().ofType(NODE_GROUP)).toHaveLength(0);
    });

    it("labels each storage node with its own name, the label the Rook operator matches nodes by", () => {
        for (const n of run().config.storage.nodes) {
            const patch = run().one(`pool-storage-${n.name}`, NODE_PATCH);
            expect(patch.inputs.metadata.labels[STORAGE_NODE_LABEL]).toBe(n.name);
            expect(patch.inputs.spec.taints).toEqual([{ key: "media-platform.io/dedicated", value: "storage", effect: "NoSchedule" }]);
        }
    });
});

describe("architectures", () => {
    it("homelab has amd64 nodes and arm64 (Raspberry Pi) nodes, and arm64 workers", () => {
        const patches = runs.homelab!.ofType(NODE_PATCH);
        expect(new Set(patches.map((p) => p.inputs.metadata.labels[ARCH_LABEL]))).toEqual(new Set(["amd64", "arm64"]));
        const armWorkers = patches.filter((p) => p.inputs.metadata.labels[ARCH_LABEL] === "arm64" && p.inputs.metadata.labels[ROLE_LABEL] === "workers");
        expect(armWorkers.map((p) => p.inputs.metadata.name).sort()).toEqual(["pi4-1", "pi4-2"]);
    });

    it("refuses a bare-metal pool mixing architectures", async () => {
        const config = stackConfig("homelab");
        config["media-platform:nodePools"][3].nodes[1].arch = "amd64";
        await expect(runStack(writeStackFile("homelab", config))).rejects.toThrow('nodePools[3].nodes[1]: expected arm64 like pi4-1 (one arch per pool), got pi4-2 (amd64)');
    });

    it("refuses a configured pool with the storage role or a storage pool's name", async () => {
        const config = stackConfig("homelab");
        config["media-platform:nodePools"][0].role = "storage";
        config["media-platform:nodePools"][1].name = "storage-extra";
        const error = await runStack(writeStackFile("homelab", config)).catch((e: Error) => e);
        expect(String(error)).toContain('nodePools[0].role: expected a role other than "storage" (declare storage nodes under storage.nodes), got "storage"');
        expect(String(error)).toContain('nodePools[1].name: expected a name not starting with "storage" (reserved for the storage nodes\' pools), got "storage-extra"');
    });
});
