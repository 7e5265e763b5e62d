// Memory on the nodes a tier lands on (seed 001: Redis and 160 Sidekiq threads fought over a 4 GB host).
import { utilisation } from "../../contract/budget";
import {
    allocatableMemoryGiB,
    aofLossBoundSeconds,
    admits,
    memoryBudgets,
    nodeMemoryBudgets,
    placementRole,
    postgresSharedBuffersMiB,
    REDIS_RSS_PER_MAXMEMORY,
    redisMaxmemoryBytes,
    redisMaxmemoryFractionFitting,
    redisPeakResidentBytes,
    type NodeGroup,
    type PodGroup,
} from "../../capacity/memory";

const node = (role: string, arch: "amd64" | "arm64", memoryGiB: number, count = 1): NodeGroup => ({ pool: `${role}-${arch}`, role, arch, memoryGiB, cpu: 4, count, dedicated: role === "data" });

describe("memory on nodes", () => {
    it("leaves what the kubelet does not reserve (GKE's tiers and the 100 MiB eviction threshold)", () => {
        // 4 GiB: 25 % of 4 = 1 GiB reserved. 8 GiB: 1 + 0.8. 64 GiB: 1 + 0.8 + 0.8 + 2.88.
        expect(allocatableMemoryGiB(4)).toBeCloseTo(3 - 100 / 1024, 9);
        expect(allocatableMemoryGiB(8)).toBeCloseTo(6.2 - 100 / 1024, 9);
        expect(allocatableMemoryGiB(64)).toBeCloseTo(64 - 5.48 - 100 / 1024, 9);
        expect(allocatableMemoryGiB(256)).toBeCloseTo(256 - (1 + 0.8 + 0.8 + 6.72 + 2.56) - 100 / 1024, 9);
    });

    it("places a tier on its role, else general, else any undedicated node", () => {
        expect(placementRole("data", ["general", "data"])).toBe("data");
        expect(placementRole("data", ["general", "workers"])).toBe("general");
        expect(placementRole("web", ["data", "workers"])).toBeUndefined();
    });

    it("replays Free Radical's 4 GB server: Redis and 160 threads' workers do not fit beside each other", () => {
        const pods: PodGroup[] = [
            { name: "redis", replicas: 1, memoryMiB: 1024, role: "general", archs: ["amd64"] },
            { name: "web", replicas: 1, memoryMiB: 1024, role: "general", archs: ["amd64"] },
            { name: "sidekiq", replicas: 2, memoryMiB: 1024, role: "general", archs: ["amd64"] },
        ];
        const [b] = memoryBudgets(pods, [node("general", "amd64", 4)]);
        expect(b.id).toBe("memory.general.amd64");
        expect(utilisation(b)).toBeGreaterThan(1);
    });

    it("checks arm64-only pods against arm64 nodes, not the whole role", () => {
        const pods: PodGroup[] = [
            { name: "pi-workers", replicas: 3, memoryMiB: 3072, role: "workers", archs: ["arm64"] },
            { name: "workers", replicas: 1, memoryMiB: 2048, role: "workers", archs: ["amd64", "arm64"] },
        ];
        const budgets = Object.fromEntries(memoryBudgets(pods, [node("workers", "amd64", 32), node("workers", "arm64", 8)]).map((b) => [b.id, b]));
        // 9 GiB of Pi workers on one 8 GiB Pi does not fit, though the role as a whole has room.
        expect(utilisation(budgets["memory.workers.arm64"])).toBeGreaterThan(1);
        expect(utilisation(budgets["memory.workers.amd64+arm64"])).toBeLessThan(1);
        expect(budgets["memory.workers.amd64"]).toBeUndefined();
    });

    it("budgets a node with every pod it admits, whatever their role; anti-affinity keeps apart what may never share it", () => {
        const pi: NodeGroup = { pool: "workers-pi", name: "pi4-1", role: "workers", arch: "arm64", memoryGiB: 8, cpu: 4, count: 1, dedicated: false };
        const nuc: NodeGroup = { pool: "web", name: "nuc-1", role: "web", arch: "amd64", memoryGiB: 32, cpu: 8, count: 1, dedicated: false };
        const pods: PodGroup[] = [
            { name: "pi-workers", replicas: 2, memoryMiB: 1536, role: "workers", archs: ["arm64"], labels: { tier: "workers" } },
            // No role: it may go to either node, so the Pi must hold it beside its own.
            { name: "controller", replicas: 1, memoryMiB: 2048, role: undefined, archs: ["amd64", "arm64"], tolerations: [] },
            { name: "cache", replicas: 1, memoryMiB: 2048, role: undefined, archs: ["amd64", "arm64"], tolerations: [], labels: { tier: "cache" }, antiAffinity: [{ matchExpressions: [{ key: "tier", operator: "In", values: ["workers"] }] }] },
        ];
        const budgets = Object.fromEntries(nodeMemoryBudgets(pods, [pi, nuc], "dedicated").map((b) => [b.id, b]));
        // Both pi-workers replicas (one node), the controller; the cache never beside the workers: the heavier of the two sets.
        expect(budgets["memory.node.pi4-1"]).toMatchObject({ used: 5, limit: 6.1 });
        expect(budgets["memory.node.pi4-1"].title).toMatch(/\(controller, pi-workers ×2\)/);
        expect(budgets["memory.node.nuc-1"]).toMatchObject({ used: 4 });
        // Dedicated to its role, the Pi takes only pods that tolerate its taint.
        const budgetsDedicated = nodeMemoryBudgets(pods, [{ ...pi, dedicated: true }, nuc], "dedicated");
        expect(budgetsDedicated.find((b) => b.id === "memory.node.pi4-1")).toMatchObject({ used: 3 });
        // A pod of its own pool's role tolerates the taint; an explicit toleration list decides for the rest.
        expect(admits({ role: undefined, archs: ["arm64"], tolerations: [{ key: "dedicated", operator: "Exists" }] }, { ...pi, dedicated: true }, "dedicated")).toBe(true);
        // Replicas that must each have a node of their own, on fewer nodes.
        const db: PodGroup = { name: "db", replicas: 3, memoryMiB: 1024, role: "web", archs: ["amd64"], labels: { app: "db" }, antiAffinity: [{ matchLabels: { app: "db" } }] };
        expect(nodeMemoryBudgets([db], [nuc], "dedicated").find((b) => b.id === "memory.spread.db")).toMatchObject({ used: 3, limit: 1, unit: "nodes" });
        expect(nodeMemoryBudgets([db], [nuc], "dedicated").find((b) => b.id === "memory.node.nuc-1")).toMatchObject({ used: 1 });
    });

    it("pods that request only CPU are no memory consumers: the budgets stay as without them", () => {
        const pods: PodGroup[] = [{ name: "web", replicas: 2, memoryMiB: 1024, cpu: 1, role: "general", archs: ["amd64"] }];
        const nodes = [node("general", "amd64", 4)];
        const cpuOnly: PodGroup = { name: "controller", replicas: 3, memoryMiB: 0, cpu: 2, role: undefined, archs: ["amd64"] };
        expect(memoryBudgets([...pods, cpuOnly], nodes)).toEqual(memoryBudgets(pods, nodes));
    });

    it("reserves Redis's measured peak over maxmemory, and bounds what an AOF loses", () => {
        expect(redisPeakResidentBytes(100 * 2 ** 20)).toBe(Math.ceil(100 * 2 ** 20 * REDIS_RSS_PER_MAXMEMORY));
        const fraction = redisMaxmemoryFractionFitting();
        expect(redisPeakResidentBytes(redisMaxmemoryBytes(1024, fraction))).toBeLessThanOrEqual(1024 * 2 ** 20);
        expect(redisPeakResidentBytes(redisMaxmemoryBytes(1024, fraction + 0.01))).toBeGreaterThan(1024 * 2 ** 20);
        expect([aofLossBoundSeconds("always"), aofLossBoundSeconds("everysec"), aofLossBoundSeconds("no")]).toEqual([0, 1, 30]);
        expect(() => aofLossBoundSeconds("sometimes")).toThrow(/appendfsync/);
    });

    it("sizes Redis maxmemory and Postgres shared_buffers from the memory limit", () => {
        expect(redisMaxmemoryBytes(1024, 0.75)).toBe(805306368);
        expect(redisMaxmemoryBytes(4096, 0.5)).toBe(2 * 1024 ** 3);
        expect(postgresSharedBuffersMiB(32)).toBe(8192);
    });
});
