// nginx sizing from the expected peak of concurrent clients (outage 4 in docs/outages.md: "worker_connections are
// not enough" at ~400 renters). worker_connections counts every connection of a worker, the upstream one
// included, so each proxied client holds two (nginx docs, facts.md).
import type { Budget } from "../contract/budget";

/** Connections one proxied client holds in an nginx worker: its own and the upstream one. */
export const CONNECTIONS_PER_CLIENT = 2;
/** Open files per connection that worker_rlimit_nofile allows for (facts.md: ≥ 2 × worker_connections). */
export const FILES_PER_CONNECTION = 2;

export interface ProxySizingInput {
    /** Expected peak of concurrent clients across all proxy pods. */
    peakClients: number;
    /** Proxy pods sharing the peak. */
    replicas: number;
    /** Multiplier on the peak capacity must cover (≥ 1). */
    headroom: number;
    /** worker_processes per pod. */
    workerProcesses: number;
}

export interface NginxSizing {
    workerProcesses: number;
    workerConnections: number;
    workerRlimitNofile: number;
}

/** Peak clients one pod takes when the Service spreads them evenly. */
export const clientsPerPod = (peakClients: number, replicas: number): number => Math.ceil(peakClients / replicas);

/** worker_connections = ceil(2 × clients-per-pod × headroom / worker_processes). */
export function workerConnectionsFor(s: ProxySizingInput): number {
    return Math.ceil((CONNECTIONS_PER_CLIENT * clientsPerPod(s.peakClients, s.replicas) * s.headroom) / s.workerProcesses);
}

/** The nginx main/events sizing for a proxy pod. */
export function nginxSizing(s: ProxySizingInput): NginxSizing {
    const workerConnections = workerConnectionsFor(s);
    return { workerProcesses: s.workerProcesses, workerConnections, workerRlimitNofile: FILES_PER_CONNECTION * workerConnections };
}

/** Concurrent clients the proxy fleet can hold: replicas × worker_processes × worker_connections / 2. */
export function proxyClientCapacity(replicas: number, n: Pick<NginxSizing, "workerProcesses" | "workerConnections">): number {
    return Math.floor((replicas * n.workerProcesses * n.workerConnections) / CONNECTIONS_PER_CLIENT);
}

/**
 * The sizing directives of an nginx.conf (worker_processes, worker_connections, worker_rlimit_nofile);
 * a directive that is absent reads as nginx's default (1 process, 512 connections). What cannot be known
 * from the file reads as 0, so no capacity is claimed for it: `worker_processes auto` (depends on the
 * node's CPUs) and a missing worker_rlimit_nofile (the inherited limit).
 */
export function parseNginxSizing(conf: string): NginxSizing {
    const text = conf.replace(/#[^\n]*/g, "");
    const directive = (name: string): string | undefined => new RegExp(`(?:^|[;{}\\s])${name}\\s+([^;]+);`).exec(text)?.[1].trim();
    const int = (v: string | undefined, dflt: number) => (v === undefined ? dflt : /^\d+$/.test(v) ? parseInt(v, 10) : 0);
    return {
        workerProcesses: int(directive("worker_processes"), 1), // nginx default: 1
        workerConnections: int(directive("worker_connections"), 512), // nginx default: 512
        workerRlimitNofile: int(directive("worker_rlimit_nofile"), 0),
    };
}

/** Budgets: peak clients against the fleet's client capacity; 2 × worker_connections against the open-file limit. */
export function proxyBudgets(peakClients: number, replicas: number, n: NginxSizing): Budget[] {
    return [
        {
            id: "edge.proxy.clients",
            title: `peak concurrent clients against nginx capacity (${replicas} pods × ${n.workerProcesses} workers × ${n.workerConnections} connections / 2)`,
            used: peakClients,
            limit: proxyClientCapacity(replicas, n),
            unit: "clients",
            // components/edge sizes worker_connections from the peak × headroom, and the file limit from them.
            kind: "sized",
        },
        {
            id: "edge.proxy.open-files",
            title: "open files a full nginx worker needs (2 × worker_connections) against worker_rlimit_nofile",
            used: FILES_PER_CONNECTION * n.workerConnections,
            limit: n.workerRlimitNofile,
            unit: "files",
            kind: "sized",
        },
    ];
}
