// CPU for the Flux rollout on the nodes the shard controllers run on (outage 2 in docs/outages.md): the controllers at
// their limits plus what the other pods there request, against the allocatable CPU of those nodes.
import * as fc from "fast-check";
import { utilisation } from "../../contract/budget";
import { findInstanceType } from "../../capacity/instances";
import type { NodeGroup, PodGroup } from "../../capacity/memory";
import { allocatableCpu, rolloutCpuBudget, runsOn } from "../../capacity/rolloutCpu";

const aws = (pool: string, role: string, type: string, count: number, dedicated = false): NodeGroup => {
    const t = findInstanceType(type)!;
    return { pool, role, arch: t.arch, memoryGiB: t.memoryGiB, cpu: t.vcpu, count, dedicated };
};
/** One shard's three controllers at their CPU limits (source, kustomize, helm), on a role. */
const shard = (i: number, role: string | undefined, limits: [number, number, number]): PodGroup[] =>
    (["source", "kustomize", "helm"] as const).map((c, j) => ({ name: `${c}-controller-shard-${i}`, replicas: 1, memoryMiB: 64, cpu: limits[j], role, archs: ["amd64", "arm64"] }));
const shards = (n: number, role: string | undefined, limits: [number, number, number]) => Array.from({ length: n }, (_, i) => shard(i + 1, role, limits)).flat();

describe("allocatable CPU", () => {
    it("leaves what the kubelet does not reserve (GKE's tiers, as the EKS AMIs apply them)", () => {
        // 6 % of the first core, 1 % of the second, 0.5 % of the next two, 0.25 % of every further one.
        expect(allocatableCpu(1)).toBeCloseTo(0.94, 9);
        expect(allocatableCpu(2)).toBeCloseTo(1.93, 9);
        expect(allocatableCpu(4)).toBeCloseTo(3.92, 9);
        expect(allocatableCpu(8)).toBeCloseTo(7.91, 9);
        expect(allocatableCpu(16)).toBeCloseTo(15.89, 9);
    });
});

describe("the rollout CPU budget", () => {
    const prodOthers: PodGroup[] = [
        { name: "dns-autoscaler", replicas: 1, memoryMiB: 64, cpu: 0.02, role: undefined, archs: ["amd64", "arm64"] },
        { name: "web", replicas: 6, memoryMiB: 2048, cpu: 1, role: "web", archs: ["amd64", "arm64"] },
        { name: "redis-cache", replicas: 1, memoryMiB: 8192, cpu: 0.25, role: "data", archs: ["amd64"] },
    ];
    const prodNodes = (general: NodeGroup) => [general, aws("data", "data", "m6in.4xlarge", 3, true), aws("web", "web", "m6in.2xlarge", 4)];

    it("prod: 26 shards × 1.5 cores on six m6in.2xlarge fit; the role-less DNS autoscaler counts, web and data pods do not", () => {
        const b = rolloutCpuBudget(shards(26, "general", [0.25, 0.5, 0.75]), prodOthers, prodNodes(aws("general", "general", "m6in.2xlarge", 6)));
        expect(b).toMatchObject({ id: "flux.rollout.cpu", unit: "cores", controllersCores: 39, othersCores: 0.02, used: 39.02, limit: 47.46, nodes: 6, onto: "general nodes" });
        expect(utilisation(b)).toBeLessThan(1);
    });

    it("the general pool prod had (three m6in.xlarge) holds neither the old 5-core shards nor the new ones", () => {
        const small = prodNodes(aws("general", "general", "m6in.xlarge", 3));
        const old = rolloutCpuBudget(shards(16, "general", [1, 2, 2]), prodOthers, small);
        expect([old.used, old.limit]).toEqual([80.02, 11.76]);
        expect(utilisation(rolloutCpuBudget(shards(26, "general", [0.25, 0.5, 0.75]), prodOthers, small))).toBeGreaterThan(3);
    });

    it("without a general pool the controllers may run on every undedicated node, so every pod that may land there counts", () => {
        const nodes: NodeGroup[] = [
            { pool: "web", role: "web", arch: "amd64", memoryGiB: 32, cpu: 8, count: 1, dedicated: false },
            { pool: "workers-pi", role: "workers", arch: "arm64", memoryGiB: 8, cpu: 4, count: 2, dedicated: false },
            { pool: "data", role: "data", arch: "amd64", memoryGiB: 64, cpu: 8, count: 1, dedicated: true },
        ];
        const others: PodGroup[] = [
            { name: "web", replicas: 2, memoryMiB: 1536, cpu: 1, role: "web", archs: ["amd64"] },
            { name: "worker-pull-pi", replicas: 2, memoryMiB: 1536, cpu: 2, role: "workers", archs: ["arm64"] },
            { name: "postgres", replicas: 1, memoryMiB: 8192, cpu: 1, role: "data", archs: ["amd64", "arm64"] },
        ];
        const b = rolloutCpuBudget(shards(2, undefined, [0.5, 1, 1]), others, nodes);
        // web 2 + Pi workers 4; Postgres stays on its dedicated node.
        expect(b).toMatchObject({ controllersCores: 5, othersCores: 6, used: 11, nodes: 3, onto: "non-dedicated nodes" });
        expect(b.limit).toBeCloseTo(7.91 + 2 * 3.92, 9);
    });

    it("a pod pinned to an arch the controllers' nodes lack does not count", () => {
        const general: NodeGroup = { pool: "general", role: "general", arch: "amd64", memoryGiB: 16, cpu: 8, count: 1, dedicated: false };
        const armOnly: PodGroup = { name: "pi-job", replicas: 4, memoryMiB: 512, cpu: 1, role: undefined, archs: ["arm64"] };
        expect(runsOn(armOnly, general)).toBe(false);
        expect(rolloutCpuBudget(shard(1, "general", [0.1, 0.25, 0.25]), [armOnly], [general]).othersCores).toBe(0);
    });

    it("controllers with nowhere to run have no CPU: the budget fails", () => {
        const b = rolloutCpuBudget(shard(1, "general", [0.1, 0.25, 0.25]), [], [aws("web", "web", "m6in.2xlarge", 4)]);
        expect([b.limit, b.nodes]).toEqual([0, 0]);
        expect(utilisation(b)).toBe(Infinity);
    });

    it("more nodes never lower the limit, more pods never lower what is used, and the controllers always count", () => {
        const role = fc.constantFrom<string | undefined>("general", "web", undefined);
        const archs = fc.constantFrom<("amd64" | "arm64")[]>(["amd64"], ["arm64"], ["amd64", "arm64"]);
        const pod = fc.record({ replicas: fc.integer({ min: 0, max: 6 }), cpu: fc.double({ min: 0, max: 4, noNaN: true }), role, archs });
        const node = fc.record({ role: fc.constantFrom("general", "web", "data"), arch: fc.constantFrom<"amd64" | "arm64">("amd64", "arm64"), cpu: fc.integer({ min: 1, max: 64 }), count: fc.integer({ min: 0, max: 5 }), dedicated: fc.boolean() });
        fc.assert(
            fc.property(fc.array(pod, { maxLength: 6 }), fc.array(node, { maxLength: 5 }), pod, node, (podSpecs, nodeSpecs, extraPod, extraNode) => {
                const others = podSpecs.map((p, i) => ({ ...p, name: `p${i}`, memoryMiB: 0 }));
                const nodes = nodeSpecs.map((n, i) => ({ ...n, pool: `n${i}`, memoryGiB: 16 }));
                const controllers = shard(1, "general", [0.25, 0.5, 0.75]);
                const b = rolloutCpuBudget(controllers, others, nodes);
                expect(b.used).toBeGreaterThanOrEqual(1.5);
                expect(rolloutCpuBudget(controllers, others, [...nodes, { ...extraNode, pool: "extra", memoryGiB: 16 }]).limit).toBeGreaterThanOrEqual(b.limit);
                expect(rolloutCpuBudget(controllers, [...others, { ...extraPod, name: "extra", memoryMiB: 0 }], nodes).used).toBeGreaterThanOrEqual(b.used);
            }),
            { numRuns: 200 },
    );
    });
});
