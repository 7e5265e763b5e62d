// Memory budgets worked out by hand: which pods count, which nodes each arch set may use, the ids and the
// rounding, and the kubelet's tiers at their edges.
import {
    admits,
    allocatableMemoryGiB,
    memoryBudgets,
    namesInShort,
    nodeMemoryBudgets,
    roleAdmits,
    selectorMatches,
    tieredReservation,
    type NodeGroup,
    type PodGroup,
    type Toleration,
} from "../../capacity/memory";
import { loadStackFile, stackFile } from "../../config/load";
import { tierRolesOf } from "../../config/model";

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
    // Computed in each test, so that a mutant's run sees which test reads the budgets.
    const budgets = () => memoryBudgets(pods, nodes);

    it("budgets each role that has replicas, per arch set that pins a pod", () => {
        expect(budgets().map((b) => b.id)).toEqual(["memory.any.amd64", "memory.any.amd64+arm64", "memory.data.amd64", "memory.data.arm64", "memory.data.amd64+arm64"]);
    });

    it("holds role-less pods against the undedicated nodes of their archs", () => {
        // Allocatable: 8 GiB − (1 + 0.8) − 100/1024 = 6.10234375; 4 GiB − 1 − 100/1024 = 2.90234375.
        // amd64: a = 2 × 1.5 = 3 GiB against 2 × 6.1023 = 12.2047 → 12.2.
        expect(budgets()[0]).toEqual({ id: "memory.any.amd64", title: "memory requested by a against allocatable memory of (any role) nodes (amd64)", used: 3, limit: 12.2, unit: "GiB" });
        // Either arch: a + b = 3 + 2 = 5 GiB against 12.2047 + 2.9023 = 15.1070 → 15.11.
        expect(budgets()[1]).toEqual({
            id: "memory.any.amd64+arm64",
            title: "memory requested by a, b against allocatable memory of (any role) nodes (amd64 + arm64)",
            used: 5,
            limit: 15.11,
            unit: "GiB",
        });
    });

    it("holds a role's pods against that role's nodes only, dedicated or not", () => {
        // data amd64: d's 0 GiB against 6.1023 → 6.1; arm64: c = 3 × 0.5 = 1.5 against 2 × (16 − 2.6 − 0.0977) = 26.6047 → 26.6.
        expect(budgets().slice(2).map((b) => [b.used, b.limit])).toEqual([
            [0, 6.1],
            [1.5, 26.6],
            // Both: 1.5 against 6.1023 + 26.6047 = 32.7070 → 32.71.
            [1.5, 32.71],
        ]);
        expect(budgets()[4].title).toBe("memory requested by c, d against allocatable memory of data nodes (amd64 + arm64)");
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

describe("label selectors, as Kubernetes reads them", () => {
    const labels = { app: "web", tier: "front" };

    it("needs every matchLabels pair; an empty selector selects everything", () => {
        expect(selectorMatches({ matchLabels: { app: "web", tier: "front" } }, labels)).toBe(true);
        expect(selectorMatches({ matchLabels: { app: "web", tier: "back" } }, labels)).toBe(false);
        expect(selectorMatches({ matchLabels: { zone: "a" } }, labels)).toBe(false);
        expect(selectorMatches({}, labels)).toBe(true);
    });

    it("reads In, NotIn, Exists and DoesNotExist, every expression holding", () => {
        const one = (operator: string, key = "app", values?: string[]) => selectorMatches({ matchExpressions: [{ key, operator, values }] }, labels);
        expect([one("In", "app", ["web", "api"]), one("In", "app", ["api"]), one("In", "zone", ["web"])]).toEqual([true, false, false]);
        expect([one("NotIn", "app", ["api"]), one("NotIn", "app", ["web"]), one("NotIn", "zone", ["web"])]).toEqual([true, false, true]);
        expect([one("Exists"), one("Exists", "zone")]).toEqual([true, false]);
        expect([one("DoesNotExist"), one("DoesNotExist", "zone")]).toEqual([false, true]);
        expect(selectorMatches({ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["back"] }] }, labels)).toBe(false);
    });
});

describe("a dedicated pool's taint dedicated=data:NoSchedule", () => {
    const data: NodeGroup = { pool: "data", role: "data", arch: "amd64", memoryGiB: 16, cpu: 4, count: 1, dedicated: true };
    const tolerating = (...tolerations: Toleration[]) => admits({ role: undefined, archs: ["amd64"], tolerations }, data, "dedicated");

    it("is tolerated by its key and value (Equal, the default) with no effect, an empty one or NoSchedule", () => {
        expect(tolerating({ key: "dedicated", operator: "Equal", value: "data", effect: "NoSchedule" })).toBe(true);
        expect(tolerating({ key: "dedicated", value: "data" })).toBe(true);
        expect(tolerating({ key: "dedicated", value: "data", effect: "" })).toBe(true);
        expect(tolerating({ key: "dedicated", value: "data", effect: "NoExecute" })).toBe(false);
        expect(tolerating({ key: "dedicated", value: "web" })).toBe(false);
        expect(tolerating({ key: "role", value: "data" })).toBe(false);
    });

    it("is tolerated by Exists without a key, with an empty one or with its own", () => {
        expect(tolerating({ operator: "Exists" })).toBe(true);
        expect(tolerating({ key: "", operator: "Exists" })).toBe(true);
        expect(tolerating({ key: "dedicated", operator: "Exists" })).toBe(true);
        expect(tolerating({ key: "role", operator: "Exists" })).toBe(false);
        expect(tolerating({ operator: "Exists", effect: "NoExecute" })).toBe(false);
    });

    it("needs one toleration that fits, of any number", () => {
        expect(tolerating()).toBe(false);
        expect(tolerating({ key: "role", operator: "Exists" }, { key: "dedicated", value: "data" })).toBe(true);
    });
});

describe("memory per node, figures by hand", () => {
    const pod = (name: string, replicas: number, memoryMiB: number, role: string | undefined, extra: Partial<PodGroup> = {}): PodGroup => ({ name, replicas, memoryMiB, role, archs: ["amd64"], ...extra });
    const own = (label: string) => ({ labels: { app: label }, antiAffinity: [{ matchLabels: { app: label } }] });

    it("budgets each node with every pod it admits, the replicas spread over the nodes each may use", () => {
        // Allocatable: 8 GiB 6.1023 → 6.1; 4 GiB 2.9023 → 2.9; 16 GiB 16 − 2.6 − 0.0977 = 13.3023 → 13.3.
        const nodes: NodeGroup[] = [
            { pool: "general", role: "general", arch: "amd64", memoryGiB: 8, cpu: 4, count: 3, dedicated: false },
            { pool: "pis", name: "pi-1", ref: "urn:pi", role: "workers", arch: "arm64", memoryGiB: 4, cpu: 4, count: 1, dedicated: false },
            { pool: "data", role: "data", arch: "amd64", memoryGiB: 16, cpu: 4, count: 1, dedicated: true },
            // Admits none of the pods: no budget.
            { pool: "edge", role: "edge", arch: "arm64", memoryGiB: 4, cpu: 4, count: 1, dedicated: true },
        ];
        const pods = [
            // 5 replicas over 3 general nodes: ceil(5 / 3) = 2 on one, 2 GiB.
            pod("web", 5, 1024, "general"),
            // Either arch, no role: the 3 general nodes and the Pi, not the tainted data node: ceil(2 / 4) = 1, 0.5 GiB.
            pod("any", 2, 512, undefined, { archs: ["amd64", "arm64"] }),
            // Neither a memory nor a replica: not counted.
            pod("cpu", 3, 0, "general", { cpu: 1 }),
            pod("none", 0, 2048, "general"),
            // One per node by its own anti-affinity, 2 of them for the one data node; solo has one replica only.
            pod("db", 2, 3072, "data", { ...own("db"), ref: "urn:db" }),
            pod("solo", 1, 1024, "data", own("solo")),
            pod("pw", 1, 1024, "workers", { archs: ["arm64"] }),
        ];
        const landing = (where: string, names: string) => `memory of every pod that may land on ${where} (${names}) against its allocatable memory`;
        expect(nodeMemoryBudgets(pods, nodes, "dedicated")).toEqual([
            { id: "memory.node.general", title: landing("one general node", "web ×2, any"), used: 2.5, limit: 6.1, unit: "GiB", ref: undefined },
            { id: "memory.node.pi-1", title: landing("node pi-1", "any, pw"), used: 1.5, limit: 2.9, unit: "GiB", ref: "urn:pi" },
            { id: "memory.node.data", title: landing("one data node", "db, solo"), used: 4, limit: 13.3, unit: "GiB", ref: undefined },
            { id: "memory.spread.db", title: "replicas of db, each on a node of its own (required anti-affinity), against the nodes they may use", used: 2, limit: 1, unit: "nodes", ref: "urn:db" },
        ]);
    });

    it("of pods that may never share a node, counts the heaviest set that can", () => {
        // y keeps away from x and z, z from itself: of x (2 GiB), y (3) and z (1.5) the sets without a conflict are
        // single pods and {x, z}, 3.5 GiB. f and s (s alone only with itself) conflict with no other and always land.
        const n1: NodeGroup = { pool: "n", name: "n1", role: "general", arch: "amd64", memoryGiB: 32, cpu: 8, count: 1, dedicated: false };
        const pods = [
            pod("x", 1, 2048, "general", { labels: { t: "x" } }),
            pod("y", 1, 3072, "general", { labels: { t: "y" }, antiAffinity: [{ matchExpressions: [{ key: "t", operator: "In", values: ["x", "z"] }] }] }),
            pod("z", 1, 1536, "general", { labels: { t: "z" }, antiAffinity: [{ matchLabels: { t: "z" } }] }),
            pod("f", 1, 512, "general"),
            pod("s", 1, 1024, "general", own("s")),
        ];
        // 32 GiB: 32 − (1 + 0.8 + 0.8 + 0.96) − 0.0977 = 28.3423 → 28.34.
        expect(nodeMemoryBudgets(pods, [n1], "dedicated")).toEqual([
            { id: "memory.node.n1", title: "memory of every pod that may land on node n1 (f, s, x, z) against its allocatable memory", used: 5, limit: 28.34, unit: "GiB", ref: undefined },
        ]);
    });

    it("keeps the first of equally heavy sets, however light", () => {
        // a2 keeps away from a1, 0.25 GiB each: one of them lands, a1.
        const n1: NodeGroup = { pool: "n", name: "n1", role: "general", arch: "amd64", memoryGiB: 32, cpu: 8, count: 1, dedicated: false };
        const pods = [pod("a1", 1, 256, "general", { labels: { t: "a" } }), pod("a2", 1, 256, "general", { antiAffinity: [{ matchLabels: { t: "a" } }] })];
        const [b] = nodeMemoryBudgets(pods, [n1], "dedicated");
        expect([b.title, b.used]).toEqual(["memory of every pod that may land on node n1 (a1) against its allocatable memory", 0.25]);
    });

    it("enumerates up to 16 pods in conflict exactly; beyond, counts them all", () => {
        // Each keeps away from all the others (and itself): exactly, one 1 GiB pod lands; 17 are counted as 17 GiB.
        const n1: NodeGroup = { pool: "n", name: "n1", role: "general", arch: "amd64", memoryGiB: 32, cpu: 8, count: 1, dedicated: false };
        const group = (k: number) => Array.from({ length: k }, (_, i) => pod(`p${i}`, 1, 1024, "general", { labels: { g: "1" }, antiAffinity: [{ matchLabels: { g: "1" } }] }));
        expect(nodeMemoryBudgets(group(16), [n1], "dedicated").map((b) => [b.used, b.title.match(/\((.*)\)/)![1]])).toEqual([[1, "p0"]]);
        expect(nodeMemoryBudgets(group(17), [n1], "dedicated")[0].used).toBe(17);
    });
});

describe("the role each tier lands on, from a stack's node pools", () => {
    it("is its own role's pool, else general, else none", () => {
        expect(tierRolesOf(loadStackFile(stackFile("dev")))).toEqual({ data: "general", web: "general", workers: "workers" });
        const homelab = loadStackFile(stackFile("homelab"));
        expect(tierRolesOf(homelab)).toEqual({ data: "data", web: "web", workers: "workers" });
        expect(tierRolesOf({ ...homelab, nodePools: homelab.nodePools.filter((p) => p.role === "web") })).toEqual({ data: undefined, web: "web", workers: undefined });
    });
});

describe("pod names in short", () => {
    it("shortens a numbered series of three or more, in number order, where it first appears", () => {
        expect(namesInShort(["w-3", "x", "w-1", "w-2"])).toEqual(["w-1…3", "x"]);
        expect(namesInShort(["a-10", "a-2", "b", "a-9"])).toEqual(["a-{2,9,10}", "b"]);
        const shards = ["source-controller-shard-1", "source-controller-shard-2", "source-controller-shard-3"];
        expect(namesInShort([...shards, "helm-controller"])).toEqual(["source-controller-shard-1…3", "helm-controller"]);
    });

    it("leaves a series of two, and names that only look numbered", () => {
        expect(namesInShort(["w-1", "w-2", "w-1x"])).toEqual(["w-1", "w-2", "w-1x"]);
        expect(namesInShort(["w-1", "w-2", "w-3", "w-1x"])).toEqual(["w-1…3", "w-1x"]);
        expect(namesInShort(["n1", "n2", "n3"])).toEqual(["n1", "n2", "n3"]);
    });
});
