// Queue worker sizing (outage 3 in docs/outages.md): how many Sidekiq threads each queue needs to stay real-time,
// against the threads that serve it; and the single-scheduler check. Components build Sidekiq's command
// line with `sidekiqArgs`; the policy pack reads it back with `parseSidekiqArgs`.
import type { Budget } from "../contract/budget";

/** Sidekiq's queue for periodic jobs: it must never run in more than one process (Mastodon admin docs). */
export const SCHEDULER_QUEUE = "scheduler";

/** Load on one queue at peak. */
export interface QueueLoad {
    name: string;
    /** λ: jobs arriving per second. */
    jobsPerSecond: number;
    /** W: mean time a job keeps a thread busy, in seconds. */
    meanJobSeconds: number;
}

/** A set of identical Sidekiq processes (a worker group, or the scheduler). */
export interface QueueServer {
    name: string;
    replicas: number;
    /** Sidekiq processes per pod. Default 1. */
    processes?: number;
    /** Threads per process (`-c`). */
    threads: number;
    /** Queues in priority order (`-q`). */
    queues: string[];
}

/** Little's law: threads busy on average = λ × W. */
export const busyThreads = (q: QueueLoad): number => q.jobsPerSecond * q.meanJobSeconds;

/**
 * Threads a queue needs to keep up: λ × W / utilisation ceiling. A pool run close to 100 % busy lets its
 * queue grow without bound on any burst, so only `ceiling` of each thread's time is counted on.
 */
export function threadsNeeded(q: QueueLoad, ceiling: number): number {
    if (!(ceiling > 0 && ceiling <= 1)) throw new RangeError(`utilisation ceiling must be in (0, 1], got ${ceiling}`);
    return busyThreads(q) / ceiling;
}

export const serverThreads = (s: QueueServer): number => s.replicas * (s.processes ?? 1) * s.threads;

export interface QueueCapacity {
    queue: string;
    /** λ × W. */
    busyThreads: number;
    /** λ × W / ceiling. */
    threadsNeeded: number;
    /** Threads this queue gets from the groups serving it (see `queueCapacity`). */
    threadsServing: number;
    /** threadsNeeded / threadsServing (Infinity when nothing serves a queue with load). */
    utilisation: number;
    /** Names of the groups serving it. */
    servedBy: string[];
}

/**
 * Per queue: threads needed against threads serving it. A group serving several queues splits its
 * threads among them in proportion to their load (λ × W), the share each queue would take of a busy
 * pool; a group whose queues carry no load splits evenly. Queues a group lists but that have no load
 * entry take nothing. Conservative: a group never lends threads to another group's queues.
 */
export function queueCapacity(loads: QueueLoad[], servers: QueueServer[], ceiling: number): QueueCapacity[] {
    const byName = new Map(loads.map((q) => [q.name, q]));
    const serving = new Map<string, number>(loads.map((q) => [q.name, 0]));
    const servedBy = new Map<string, string[]>(loads.map((q) => [q.name, []]));
    for (const s of servers) {
        const mine = [...new Set(s.queues)].filter((q) => byName.has(q));
        if (mine.length === 0) continue;
        const total = mine.reduce((a, q) => a + busyThreads(byName.get(q)!), 0);
        for (const q of mine) {
            const share = total > 0 ? busyThreads(byName.get(q)!) / total : 1 / mine.length;
            serving.set(q, serving.get(q)! + serverThreads(s) * share);
            servedBy.get(q)!.push(s.name);
        }
    }
    return loads.map((q) => {
        const needed = threadsNeeded(q, ceiling);
        const have = serving.get(q.name)!;
        return {
            queue: q.name,
            busyThreads: busyThreads(q),
            threadsNeeded: needed,
            threadsServing: have,
            utilisation: have > 0 ? needed / have : needed > 0 ? Infinity : 0,
            servedBy: servedBy.get(q.name)!,
        };
    });
}

/** Sidekiq processes that run the scheduler queue (the outage rule: exactly one). */
export function schedulerProcesses(servers: QueueServer[]): number {
    return servers.filter((s) => s.queues.includes(SCHEDULER_QUEUE)).reduce((a, s) => a + s.replicas * (s.processes ?? 1), 0);
}

/** What is wrong with how the scheduler queue is run, in an operator's words; empty when exactly one process runs it. */
export function schedulerProblems(servers: QueueServer[]): string[] {
    const running = servers.filter((s) => s.queues.includes(SCHEDULER_QUEUE));
    const n = schedulerProcesses(servers);
    if (n === 1) return [];
    if (n === 0) return [`no process runs the ${SCHEDULER_QUEUE} queue: periodic jobs never run`];
    const who = running.map((s) => `${s.name} (${s.replicas * (s.processes ?? 1)})`).join(", ");
    return [`${n} processes run the ${SCHEDULER_QUEUE} queue (${who}); exactly one may, or periodic jobs run twice`];
}

/** Budgets: one per queue (threads needed against threads serving it), the fleet total, and the scheduler count. */
export function queueBudgets(loads: QueueLoad[], servers: QueueServer[], ceiling: number): Budget[] {
    const perQueue = queueCapacity(loads, servers, ceiling);
    const pct = Math.round(ceiling * 100);
    return [
        ...perQueue.map((q) => ({
            id: `workloads.queue.${q.queue}`,
            title: `threads the ${q.queue} queue needs at ${pct} % busy (λW = ${round(q.busyThreads)}) against threads serving it (${q.servedBy.join(", ") || "none"})`,
            used: round(q.threadsNeeded),
            limit: round(q.threadsServing),
            unit: "threads",
        })),
        {
            id: "workloads.queue.total",
            title: `threads all queues need at ${pct} % busy against all Sidekiq threads`,
            used: round(perQueue.reduce((a, q) => a + q.threadsNeeded, 0)),
            limit: servers.reduce((a, s) => a + serverThreads(s), 0),
            unit: "threads",
        },
        {
            id: "workloads.scheduler.processes",
            title: `processes running the ${SCHEDULER_QUEUE} queue (exactly one allowed)`,
            used: schedulerProcesses(servers),
            limit: 1,
            unit: "processes",
            kind: "exact",
        },
    ];
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Sidekiq's command line: `bundle exec sidekiq -c <threads> -q <queue> …`. */
export function sidekiqArgs(threads: number, queues: string[]): string[] {
    return ["bundle", "exec", "sidekiq", "-c", String(threads), ...queues.flatMap((q) => ["-q", q])];
}

/**
 * Threads and queues from a Sidekiq command line (`-c N`/`--concurrency N`, `-q name[,weight]`/`--queue`);
 * undefined when the args are not a Sidekiq command. Without -c Sidekiq runs 5 threads (Sidekiq default).
 */
export function parseSidekiqArgs(args: readonly string[] | undefined): { threads: number; queues: string[] } | undefined {
    if (!args || !args.some((a) => a === "sidekiq" || a.endsWith("/sidekiq"))) return undefined;
    let threads = 5; // Sidekiq's default concurrency (Sidekiq 7)
    const queues: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
        const value = () => inline ?? args[++i];
        if (flag === "-c" || flag === "--concurrency") threads = parseInt(value(), 10);
        else if (flag === "-q" || flag === "--queue") queues.push(value().split(",")[0]);
    }
    return { threads, queues: queues.length > 0 ? queues : ["default"] };
}
