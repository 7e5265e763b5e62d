// The app platform's budgets for the shipped stacks, and the Free Radical outage replayed on the homelab
// stack (seed 001): the same config change the operator made, the budget that would have caught it.
import { utilisation } from "../../capacity/budget";
import { appBudgets, clusterSizeOf, nodeGroupsOf, queueServersOf, tierRolesOf } from "../../capacity/app";
import { schedulerProblems } from "../../capacity/queues";
import { parsePlatformConfig, projectSections } from "../../config/load";
import { SHIPPED_STACKS, stackConfig } from "../harness";

function config(stack: string, mutate?: (c: Record<string, any>) => void) {
    const raw = stackConfig(stack);
    mutate?.(raw);
    return parsePlatformConfig(projectSections(raw));
}
const budgetsOf = (cfg: ReturnType<typeof config>) => Object.fromEntries(appBudgets(cfg).map((b) => [b.id, b]));

describe.each(SHIPPED_STACKS)("stack %s", (stack) => {
    it("fits every app budget: connections, queues, one scheduler, proxy, DNS, memory", () => {
        const over = appBudgets(config(stack)).filter((b) => !(utilisation(b) <= 1));
        expect(over).toEqual([]);
    });
});

describe("budgets of the shipped stacks", () => {
    it("prod: 270 database clients for 3000 pooler slots; 300 server connections for 397", () => {
        const b = budgetsOf(config("prod"));
        expect(b["data.connections.clients"]).toMatchObject({ used: 270, limit: 3000 });
        expect(b["data.connections.server"]).toMatchObject({ used: 300, limit: 397 });
        expect(b["edge.proxy.clients"]).toMatchObject({ used: 20000, limit: 25002 });
    });

    it("homelab: the Raspberry Pi workers' memory is checked against the Pis alone", () => {
        const b = budgetsOf(config("homelab"));
        expect(b["memory.workers.arm64"].title).toMatch(/worker-pull-pi/);
        expect(b["memory.workers.arm64"].used).toBe(3);
    });

    it("counts every declared node for DNS, and places tiers on their roles or general", () => {
        expect(clusterSizeOf(config("homelab"))).toEqual({ nodes: 8, cores: 8 + 8 + 8 + 4 + 4 + 36 });
        expect(tierRolesOf(config("dev"))).toEqual({ data: "general", web: "general", workers: "workers" });
        expect(tierRolesOf(config("homelab"))).toEqual({ data: "data", web: "web", workers: "workers" });
        expect(nodeGroupsOf(config("prod")).find((n) => n.pool === "workers-arm64")).toMatchObject({ arch: "arm64", memoryGiB: 16, count: 3 });
    });
});

describe("Free Radical outage, replayed on the homelab stack", () => {
    // The homelab stack starts like the docs: Postgres max_connections 100, one PgBouncer with 200 client slots.
    it("25 → 160 Sidekiq threads against the unchanged pooler is flagged by the connection budget", () => {
        const before = budgetsOf(config("homelab"))["data.connections.clients"];
        expect(utilisation(before)).toBeLessThanOrEqual(1);
        const after = budgetsOf(
            config("homelab", (c) => {
                c["media-platform:workloads"].workers[0].threads = 160;
            }),
        )["data.connections.clients"];
        // web 2×2×5 + streaming 10 + workers 160 + 2×10 + scheduler 5 = 215 clients for 200.
        expect([after.used, after.limit]).toEqual([215, 200]);
        expect(utilisation(after)).toBeGreaterThan(1);
    });

    it("a second process running the scheduler queue is flagged by the single-scheduler check", () => {
        const cfg = config("homelab", (c) => {
            c["media-platform:workloads"].workers[1].queues.push("scheduler");
        });
        // pull-pi has two replicas: with the scheduler's own process, three run the queue.
        expect(schedulerProblems(queueServersOf(cfg))[0]).toMatch(/^3 processes run the scheduler queue/);
        expect(utilisation(budgetsOf(cfg)["workloads.scheduler.processes"])).toBe(3);
    });

    it("too few threads for the queue load shows which queues fall behind", () => {
        const cfg = config("homelab", (c) => {
            c["media-platform:workloads"].workers[0].threads = 5;
        });
        const b = budgetsOf(cfg);
        for (const q of ["default", "ingress", "mailers"]) expect(utilisation(b[`workloads.queue.${q}`])).toBeGreaterThan(1);
        expect(utilisation(b["workloads.queue.pull"])).toBeLessThanOrEqual(1);
    });
});
