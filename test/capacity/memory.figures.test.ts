// Memory budgets worked out by hand: which pods count, which nodes each arch set may use, the ids and the
// rounding, and the kubelet's tiers at their edges.
import { allocatableMemoryGiB, memoryBudgets, roleAdmits, tieredReservation, type NodeGroup, type PodGroup } from "../../capacity/memory";

const group = (pool: string, role: string, arch: "amd64" | "arm64", memoryGiB: number, count: number, dedicated: boolean): NodeGroup => ({ pool, role, arch, memoryGiB, cpu: 4, count, dedicated });

describe("memory budgets, figures by hand", () => {
    const nodes = [group("g-amd", "general", "amd64", 8, 2, false), group("g-arm", "general", "arm64", 4, 1, false), group("d-arm", "data", "arm64", 16, 2, true), group("d-amd", "data", "amd64", 8, 1, true)];
    const pods: PodGroup[] = [
        { name: "a", replicas: 2, memoryMiB: 1536, role: undefined, archs: ["amd64"] },
        { name: "b", replicas: 1, memoryMiB: 2048, role: undefined, archs: ["amd64", "arm64"] },
        { name: "c", replicas: 3, memoryMiB: 512, role: "data", archs: ["arm64"] },
        // No replicas: counted with its role, adds nothing, and alone does not make a role.
        { name: "d", replicas: 0, memoryMiB: 1024, role: "data", archs: ["amd64"] },
        { name: "e", replicas: 0, memoryMiB: 1024, role: "web", archs: ["amd64"] },
        // CPU only: no memory consumer.
        { name: "f", replicas: 4, memoryMiB: 0, cpu: 1, role: "web", archs: ["amd64"] },
    ];
    const budgets = memoryBudgets(pods, nodes);

    it("budgets each role that has replicas, per arch set that pins a pod", () => {
        expect(budgets.map((b) => b.id)).toEqual(["memory.any.amd64", "memory.any.amd64+arm64", "memory.data.amd64", "memory.data.arm64", "memory.data.amd64+arm64"]);
    });

    it("holds role-less pods against the undedicated nodes of their archs", () => {
        // Allocatable: 8 GiB − (1 + 0.8) − 100/1024 = 6.10234375; 4 GiB − 1 − 100/1024 = 2.90234375.
        // amd64: a = 2 × 1.5 = 3 GiB against 2 × 6.1023 = 12.2047 → 12.2.
        expect(budgets[0]).toEqual({ id: "memory.any.amd64", title: "memory requested by a against allocatable memory of (any role) nodes (amd64)", used: 3, limit: 12.2, unit: "GiB" });
        // Either arch: a + b = 3 + 2 = 5 GiB against 12.2047 + 2.9023 = 15.1070 → 15.11.
        expect(budgets[1]).toEqual({
            id: "memory.any.amd64+arm64",
            title: "memory requested by a, b against allocatable memory of (any role) nodes (amd64 + arm64)",
            used: 5,
            limit: 15.11,
            unit: "GiB",
        });
    });

    it("holds a role's pods against that role's nodes only, dedicated or not", () => {
        // data amd64: d's 0 GiB against 6.1023 → 6.1; arm64: c = 3 × 0.5 = 1.5 against 2 × (16 − 2.6 − 0.0977) = 26.6047 → 26.6.
        expect(budgets.slice(2).map((b) => [b.used, b.limit])).toEqual([
            [0, 6.1],
            [1.5, 26.6],
            // Both: 1.5 against 6.1023 + 26.6047 = 32.7070 → 32.71.
            [1.5, 32.71],
        ]);
        expect(budgets[4].title).toBe("memory requested by c, d against allocatable memory of data nodes (amd64 + arm64)");
    });

    it("drops the wider set when one arch alone pins the same pods, and rounds to hundredths", () => {
        // 3 × 1000 MiB = 2.9297 GiB → 2.93, all amd64: the amd64+arm64 budget would repeat it with more nodes.
        const only = memoryBudgets([{ name: "w", replicas: 3, memoryMiB: 1000, role: "general", archs: ["amd64"] }], nodes);
        expect(only).toEqual([{ id: "memory.general.amd64", title: "memory requested by w against allocatable memory of general nodes (amd64)", used: 2.93, limit: 12.2, unit: "GiB" }]);
    });
});

describe("placement and the kubelet's reservation", () => {
    it("admits a role's pods on its nodes, and role-less pods on undedicated ones", () => {
        expect(roleAdmits("data", { role: "data", dedicated: true })).toBe(true);
        expect(roleAdmits("data", { role: "general", dedicated: false })).toBe(false);
        expect(roleAdmits(undefined, { role: "general", dedicated: false })).toBe(true);
        expect(roleAdmits(undefined, { role: "data", dedicated: true })).toBe(false);
    });

    it("reserves each tier's rate of its slice only", () => {
        // 10 units over [4 at 0.5, 4 at 0.25, ∞ at 0.1]: 2 + 1 + 0.2 = 3.2; 3 units stay in the first tier: 1.5.
        const tiers = [
            [4, 0.5],
            [4, 0.25],
            [Infinity, 0.1],
        ] as const;
        expect(tieredReservation(10, tiers)).toBeCloseTo(3.2, 12);
        expect(tieredReservation(3, tiers)).toBe(1.5);
    });

    it("leaves nothing on a node smaller than its eviction threshold, and 2 % above 128 GiB", () => {
        expect(allocatableMemoryGiB(0.05)).toBe(0);
        // 200 GiB: 1 + 0.8 + 0.8 + 112 × 0.06 + 72 × 0.02 = 10.76 reserved.
        expect(allocatableMemoryGiB(200)).toBeCloseTo(200 - 10.76 - 100 / 1024, 9);
    });
});
