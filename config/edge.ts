// The edge: nginx reverse proxy sized from the expected peak, and DNS that scales with the cluster.
import { z } from "zod";
import { bool, int, num } from "./fields";

export const edgeSchema = z.strictObject({
    proxy: z.strictObject({
        /** nginx pods. Default 2. */
        replicas: int({ min: 1 }).default(2),
        /** Expected peak of concurrent clients across all proxy pods. */
        peakClients: int({ min: 1 }),
        /** Multiplier on the peak that capacity must cover. Default 1.25. */
        headroom: num({ min: 1 }).default(1.25),
        /** worker_processes per pod. Default 2. */
        workerProcesses: int({ min: 1 }).default(2),
    }),
    dns: z
        .strictObject({
            /** cluster-proportional-autoscaler linear coresPerReplica. Default 256 (Kubernetes DNS example). */
            coresPerReplica: num({ gt: 0 }).default(256),
            /** nodesPerReplica. Default 16 (Kubernetes DNS example). */
            nodesPerReplica: num({ gt: 0 }).default(16),
            /** Minimum replicas. Default 2. */
            min: int({ min: 1 }).default(2),
            /** Maximum replicas. Default 20. */
            max: int({ min: 1 }).default(20),
            /** Keep ≥ 2 replicas when there is more than one node. Default true. */
            preventSinglePointFailure: bool().default(true),
        })
        .prefault({}),
});
export type EdgeConfig = z.output<typeof edgeSchema>;
