// Memory on the nodes a tier lands on (seed 001: Redis and 160 Sidekiq threads fought over a 4 GB host).
import { utilisation } from "../../contract/budget";
import {
    allocatableMemoryGiB,
    aofLossBoundSeconds,
    memoryBudgets,
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
