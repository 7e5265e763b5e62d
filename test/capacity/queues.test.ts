// Queue sizing by Little's law and the single-scheduler check, with the Free Radical setup (seed 001):
// sidekiq_1 ran every queue including scheduler, the helpers ran all but scheduler.
import fc from "fast-check";
import { utilisation } from "../../contract/budget";
import {
    busyThreads,
    parseSidekiqArgs,
    queueBudgets,
    queueCapacity,
    schedulerProcesses,
    schedulerProblems,
    sidekiqArgs,
    threadsNeeded,
    type QueueLoad,
    type QueueServer,
} from "../../capacity/queues";

const loads: QueueLoad[] = [
    { name: "default", jobsPerSecond: 40, meanJobSeconds: 0.5 },
    { name: "push", jobsPerSecond: 60, meanJobSeconds: 0.3 },
    { name: "pull", jobsPerSecond: 20, meanJobSeconds: 1 },
    { name: "scheduler", jobsPerSecond: 0.2, meanJobSeconds: 2 },
];

describe("queue sizing", () => {
    it("needs λ·W busy threads, divided by the utilisation ceiling", () => {
        expect(busyThreads(loads[0])).toBe(20);
        expect(threadsNeeded(loads[0], 0.7)).toBeCloseTo(28.571, 3);
        expect(threadsNeeded(loads[1], 1)).toBeCloseTo(18);
        expect(() => threadsNeeded(loads[0], 0)).toThrow(/ceiling/);
    });

    it("splits a group's threads across its queues in proportion to their load", () => {
        // 50 threads for default (λW 20) and push (λW 18): 26.3 and 23.7.
        const servers: QueueServer[] = [
            { name: "a", replicas: 2, threads: 25, queues: ["default", "push"] },
            { name: "b", replicas: 1, threads: 20, queues: ["pull"] },
            { name: "scheduler", replicas: 1, threads: 5, queues: ["scheduler"] },
        ];
        const q = Object.fromEntries(queueCapacity(loads, servers, 0.7).map((c) => [c.queue, c]));
        expect(q.default.threadsServing).toBeCloseTo((50 * 20) / 38, 6);
        expect(q.push.threadsServing).toBeCloseTo((50 * 18) / 38, 6);
        // Same group, same utilisation: the split is by load.
        expect(q.default.utilisation).toBeCloseTo(q.push.utilisation, 9);
        expect(q.pull).toMatchObject({ threadsServing: 20, servedBy: ["b"] });
        expect(q.pull.utilisation).toBeCloseTo(20 / 0.7 / 20, 6);
        expect(q.scheduler.utilisation).toBeCloseTo(0.4 / 0.7 / 5, 6);
    });

    it("shows when workers cannot keep up, and a queue nobody serves", () => {
        const servers: QueueServer[] = [{ name: "small", replicas: 1, threads: 25, queues: ["default", "push", "pull"] }];
        const budgets = Object.fromEntries(queueBudgets(loads, servers, 0.7).map((b) => [b.id, b]));
        // λW = 20 + 18 + 20 = 58 busy threads for 25: every queue is over.
        for (const q of ["default", "push", "pull"]) expect(utilisation(budgets[`workloads.queue.${q}`])).toBeGreaterThan(2);
        expect(utilisation(budgets["workloads.queue.scheduler"])).toBe(Infinity);
        expect(budgets["workloads.queue.total"].limit).toBe(25);
    });

    it("property: with threads to spare in every group, every queue keeps up", () => {
        // Idle queues or real rates (denormal rates only test floating-point underflow).
        const rate = fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 100, noNaN: true }));
        const load = fc.record({ jobsPerSecond: rate, meanJobSeconds: fc.double({ min: 0.01, max: 5, noNaN: true }) });
        fc.assert(
            fc.property(fc.array(load, { minLength: 1, maxLength: 5 }), fc.double({ min: 0.1, max: 1, noNaN: true }), (ls, ceiling) => {
                const qs = ls.map((l, i) => ({ name: `q${i}`, ...l }));
                const need = qs.reduce((a, q) => a + threadsNeeded(q, ceiling), 0);
                const servers = [{ name: "all", replicas: 1, threads: Math.ceil(need) + 1, queues: qs.map((q) => q.name) }];
                for (const c of queueCapacity(qs, servers, ceiling)) expect(c.utilisation).toBeLessThanOrEqual(1 + 1e-9);
            }),
        );
    });
});

describe("single scheduler", () => {
    const mainAll: QueueServer = { name: "sidekiq_1", replicas: 1, threads: 40, queues: ["default", "push", "pull", "mailers", "scheduler"] };
    const mainHelper: QueueServer = { name: "sidekiq_2", replicas: 1, threads: 40, queues: ["default", "push", "pull", "mailers"] };
    const piHelpers: QueueServer = { name: "pi", replicas: 1, processes: 4, threads: 20, queues: ["default", "push", "pull", "mailers"] };

    it("passes Free Radical's fixed setup: only sidekiq_1 runs the scheduler queue", () => {
        expect(schedulerProcesses([mainAll, mainHelper, piHelpers])).toBe(1);
        expect(schedulerProblems([mainAll, mainHelper, piHelpers])).toEqual([]);
    });

    it("flags a second process running the scheduler queue", () => {
        // The Pi's sidekiq started with the full sidekiq.yml instead of sidekiq-helper.yml.
        const piFull = { ...piHelpers, processes: 1, queues: mainAll.queues };
        expect(schedulerProcesses([mainAll, mainHelper, piFull])).toBe(2);
        expect(schedulerProblems([mainAll, mainHelper, piFull])[0]).toMatch(/2 processes run the scheduler queue \(sidekiq_1 \(1\), pi \(1\)\)/);
        const budget = queueBudgets(loads, [mainAll, piFull], 0.7).find((b) => b.id === "workloads.scheduler.processes")!;
        expect(utilisation(budget)).toBe(2);
    });

    it("flags a scheduler group scaled to two replicas, and no scheduler at all", () => {
        expect(schedulerProcesses([{ ...mainAll, replicas: 2 }])).toBe(2);
        expect(schedulerProblems([mainHelper])).toEqual(["no process runs the scheduler queue: periodic jobs never run"]);
    });
});

describe("Sidekiq command line", () => {
    it("builds -c and -q and reads them back", () => {
        const args = sidekiqArgs(25, ["default", "push"]);
        expect(args).toEqual(["bundle", "exec", "sidekiq", "-c", "25", "-q", "default", "-q", "push"]);
        expect(parseSidekiqArgs(args)).toEqual({ threads: 25, queues: ["default", "push"] });
    });

    it("reads long flags, weights and Sidekiq's defaults; ignores what is not Sidekiq", () => {
        expect(parseSidekiqArgs(["sidekiq", "--concurrency=10", "--queue", "default,2", "-q", "scheduler"])).toEqual({ threads: 10, queues: ["default", "scheduler"] });
        expect(parseSidekiqArgs(["bundle", "exec", "sidekiq"])).toEqual({ threads: 5, queues: ["default"] });
        expect(parseSidekiqArgs(["bundle", "exec", "puma"])).toBeUndefined();
    });

    it("property: any thread count and queue list round-trips", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 500 }), fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), { minLength: 1, maxLength: 6 }), (threads, queues) => {
                expect(parseSidekiqArgs(sidekiqArgs(threads, queues))).toEqual({ threads, queues });
            }),
        );
    });
});

describe("queue budgets, figures by hand", () => {
    const load = (name: string, jobsPerSecond: number, meanJobSeconds: number): QueueLoad => ({ name, jobsPerSecond, meanJobSeconds });

    it("titles and rounds each queue's budget, the total and the scheduler count", () => {
        // λW: default 20, push 18, mailers 0.05, scheduler 0.4. Group a: 2 pods × 3 processes × 5 = 30 threads split
        // 20 : 18 over default and push (15.789 and 14.211); b adds 4 to default; s gives the scheduler 2; no one serves mailers.
        const ls = [load("default", 40, 0.5), load("push", 60, 0.3), load("mailers", 0.5, 0.1), load("scheduler", 0.2, 2)];
        const servers: QueueServer[] = [
            { name: "a", replicas: 2, processes: 3, threads: 5, queues: ["default", "push"] },
            { name: "b", replicas: 1, threads: 4, queues: ["default"] },
            { name: "s", replicas: 1, threads: 2, queues: ["scheduler"] },
        ];
        const at = (q: string, lw: number, by: string) => `threads the ${q} queue needs at 70 % busy (λW = ${lw}) against threads serving it (${by})`;
        // Needed at 70 %: 28.571, 25.714, 0.0714, 0.5714; all together 38.45 / 0.7 = 54.929, against 30 + 4 + 2 threads.
        expect(queueBudgets(ls, servers, 0.7)).toEqual([
            { id: "workloads.queue.default", title: at("default", 20, "a, b"), used: 28.57, limit: 19.79, unit: "threads" },
            { id: "workloads.queue.push", title: at("push", 18, "a"), used: 25.71, limit: 14.21, unit: "threads" },
            { id: "workloads.queue.mailers", title: at("mailers", 0.05, "none"), used: 0.07, limit: 0, unit: "threads" },
            { id: "workloads.queue.scheduler", title: at("scheduler", 0.4, "s"), used: 0.57, limit: 2, unit: "threads" },
            { id: "workloads.queue.total", title: "threads all queues need at 70 % busy against all Sidekiq threads", used: 54.93, limit: 36, unit: "threads" },
            { id: "workloads.scheduler.processes", title: "processes running the scheduler queue (exactly one allowed)", used: 1, limit: 1, unit: "processes", kind: "exact" },
        ]);
    });

    it("splits a group's threads evenly over queues without load; a loaded queue nobody serves is infinitely over", () => {
        const idle = queueCapacity([load("q1", 0, 1), load("q2", 0, 1)], [{ name: "g", replicas: 1, threads: 10, queues: ["q1", "q2", "q3"] }], 0.5);
        expect(idle.map((c) => [c.threadsServing, c.utilisation])).toEqual([
            [5, 0],
            [5, 0],
        ]);
        expect(queueCapacity([load("q", 1, 1), load("idle", 0, 1)], [], 0.5)).toEqual([
            { queue: "q", busyThreads: 1, threadsNeeded: 2, threadsServing: 0, utilisation: Infinity, servedBy: [] },
            { queue: "idle", busyThreads: 0, threadsNeeded: 0, threadsServing: 0, utilisation: 0, servedBy: [] },
        ]);
    });

    it("refuses a utilisation ceiling above 1", () => {
        expect(() => threadsNeeded(load("q", 1, 1), 1.5)).toThrow("utilisation ceiling must be in (0, 1], got 1.5");
    });

    it("counts every process of every pod running the scheduler queue", () => {
        const s: QueueServer = { name: "x", replicas: 2, processes: 3, threads: 1, queues: ["scheduler"] };
        expect(schedulerProcesses([s])).toBe(6);
        expect(schedulerProblems([s])).toEqual(["6 processes run the scheduler queue (x (6)); exactly one may, or periodic jobs run twice"]);
    });

    it("recognises Sidekiq by a path to its binary", () => {
        expect(parseSidekiqArgs(["/usr/local/bin/sidekiq", "-c", "3"])).toEqual({ threads: 3, queues: ["default"] });
    });
});
