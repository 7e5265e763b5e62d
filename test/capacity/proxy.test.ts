// nginx sizing from the expected peak (seed 002: "6114 worker_connections are not enough" at ~400 renters).
import fc from "fast-check";
import { utilisation } from "../../contract/budget";
import { clientsPerPod, nginxSizing, parseNginxSizing, proxyBudgets, proxyClientCapacity, workerConnectionsFor } from "../../capacity/proxy";
import { renderNginxConf } from "../../formats/nginxConf";

describe("proxy sizing", () => {
    it("gives two connections per client per pod, with headroom, spread over the workers", () => {
        // prod: 20000 clients over 3 pods = 6667 per pod; × 2 × 1.25 / 4 workers = 4166.9 → 4167.
        expect(clientsPerPod(20000, 3)).toBe(6667);
        expect(nginxSizing({ peakClients: 20000, replicas: 3, headroom: 1.25, workerProcesses: 4 })).toEqual({
            workerProcesses: 4,
            workerConnections: 4167,
            workerRlimitNofile: 8334,
        });
    });

    it("shows why the Storj proxy logged the alert: 6114 worker_connections hold only 3057 clients per worker", () => {
        const capacity = proxyClientCapacity(1, { workerProcesses: 1, workerConnections: 6114 });
        expect(capacity).toBe(3057);
        // Sized from the peak instead, one worker for 6114 clients needs twice the connections.
        expect(workerConnectionsFor({ peakClients: 6114, replicas: 1, headroom: 1, workerProcesses: 1 })).toBe(12228);
    });

    it("flags a peak above capacity and an open-file limit below 2 × worker_connections", () => {
        const [clients, files] = proxyBudgets(1000, 1, { workerProcesses: 1, workerConnections: 512, workerRlimitNofile: 1024 });
        expect([clients.used, clients.limit]).toEqual([1000, 256]);
        expect(utilisation(clients)).toBeGreaterThan(1);
        expect([files.used, files.limit]).toEqual([1024, 1024]);
        const [, tooFewFiles] = proxyBudgets(10, 1, { workerProcesses: 1, workerConnections: 512, workerRlimitNofile: 600 });
        expect(utilisation(tooFewFiles)).toBeGreaterThan(1);
    });

    it("reads the sizing back from the generated nginx.conf, and nginx's defaults from a bare one", () => {
        const sizing = nginxSizing({ peakClients: 1500, replicas: 2, headroom: 1.25, workerProcesses: 2 });
        const conf = renderNginxConf({ sizing, listen: "8080", web: ["web:3000"], streaming: ["streaming:4000"], errorLog: "/dev/stderr", runtimeDir: "/tmp" });
        expect(parseNginxSizing(conf)).toEqual(sizing);
        expect(parseNginxSizing("events {}\nhttp {}\n")).toEqual({ workerProcesses: 1, workerConnections: 512, workerRlimitNofile: 0 });
        expect(parseNginxSizing("worker_processes auto;\nevents { worker_connections 1024; }").workerProcesses).toBe(0);
        expect(parseNginxSizing("# worker_connections 99;\nevents { worker_connections 1024; }").workerConnections).toBe(1024);
    });

    it("reads a directive through a comment and spaces, and only whole numbers", () => {
        const conf = "worker_processes # two\n 2;\nevents { worker_connections 1024 ; }\nworker_rlimit_nofile x4096;";
        expect(parseNginxSizing(conf)).toEqual({ workerProcesses: 2, workerConnections: 1024, workerRlimitNofile: 0 });
        expect(parseNginxSizing("events { worker_connections 1024k; }").workerConnections).toBe(0);
    });

    it("titles both budgets with their terms", () => {
        // 2 pods × 2 workers × 512 connections / 2 = 1024 clients; 2 × 512 = 1024 files.
        expect(proxyBudgets(1000, 2, { workerProcesses: 2, workerConnections: 512, workerRlimitNofile: 2048 })).toEqual([
            { id: "edge.proxy.clients", title: "peak concurrent clients against nginx capacity (2 pods × 2 workers × 512 connections / 2)", used: 1000, limit: 1024, unit: "clients", kind: "sized" },
            { id: "edge.proxy.open-files", title: "open files a full nginx worker needs (2 × worker_connections) against worker_rlimit_nofile", used: 1024, limit: 2048, unit: "files", kind: "sized" },
        ]);
    });

    it("property: the sized fleet always holds the peak × headroom, and rlimit ≥ 2 × worker_connections", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 200000 }),
                fc.integer({ min: 1, max: 20 }),
                fc.double({ min: 1, max: 3, noNaN: true }),
                fc.integer({ min: 1, max: 16 }),
                (peakClients, replicas, headroom, workerProcesses) => {
                    const s = nginxSizing({ peakClients, replicas, headroom, workerProcesses });
                    expect(proxyClientCapacity(replicas, s)).toBeGreaterThanOrEqual(Math.floor(peakClients * headroom - 1e-9));
                    expect(s.workerConnections * workerProcesses).toBeGreaterThanOrEqual(2 * clientsPerPod(peakClients, replicas) * headroom - 1e-6);
                    expect(s.workerRlimitNofile).toBeGreaterThanOrEqual(2 * s.workerConnections);
                },
            ),
        );
    });
});
