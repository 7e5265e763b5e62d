// The edge: nginx reverse proxy sized from the expected peak, and DNS that scales with the cluster.
import { z } from "zod";
import { bool, expecting, image, int, MAX_NODE_CPU, MAX_NODE_MEMORY_GIB, num, oneOf } from "./fields";

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
        /** nginx image. Default docker.io/library/nginx:1.28.0 (stable line; the official image is multi-arch). */
        image: image().default({ repository: "docker.io/library/nginx", tag: "1.28.0", multiArch: true }),
        /** Memory request and limit per pod in MiB. Default 256. */
        memoryMiB: int({ min: 32, max: MAX_NODE_MEMORY_GIB * 1024 }).default(256),
        /** CPU request per pod in cores. Default 0.5. */
        cpu: num({ gt: 0, max: MAX_NODE_CPU }).default(0.5),
        /** How the proxy is exposed. Default LoadBalancer. */
        serviceType: oneOf(["ClusterIP", "NodePort", "LoadBalancer"] as const).default("LoadBalancer"),
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
            /** The DNS Deployment the autoscaler scales, in kube-system. Default coredns (kubeadm, EKS, k3s). */
            deployment: expecting(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/), "a Deployment name such as coredns").default("coredns"),
            /** Autoscaler image. Default registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.10.3 (latest upstream tag, 2026-01). */
            image: image().default({ repository: "registry.k8s.io/cpa/cluster-proportional-autoscaler", tag: "v1.10.3", multiArch: true }),
        })
        .prefault({}),
});
export type EdgeConfig = z.output<typeof edgeSchema>;
