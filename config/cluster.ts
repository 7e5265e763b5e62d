// Where the platform runs: rendered YAML (the embedded default), an EKS cluster, or an existing cluster.
import { z } from "zod";
import { dnsName, expecting, oneOf, relPath, str } from "./fields";

const render = z.strictObject({
    provider: z.literal("render"),
    /** Folder the Kubernetes provider writes manifests to, relative to the project. Default `rendered/<stack>`. */
    directory: relPath().optional(),
});

const eks = z.strictObject({
    provider: z.literal("eks"),
    /** EKS cluster name. */
    name: dnsName(),
    /** True: the stack creates the cluster; false: it joins the named existing cluster. Default true. */
    create: expecting(z.boolean(), "true or false").default(true),
    /** AWS region, e.g. eu-west-1. */
    region: expecting(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/), "an AWS region such as eu-west-1"),
    /** Kubernetes minor version for a created cluster. Default "1.33". */
    kubernetesVersion: expecting(z.string().regex(/^1\.\d{2}$/), 'a Kubernetes minor version such as "1.33"').default("1.33"),
    /** Subnets (at least two, in different zones) for the control plane and node groups. */
    subnetIds: expecting(z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/)).min(2), "a list of at least two subnet IDs (subnet-…)"),
});

const existing = z.strictObject({
    provider: z.literal("existing"),
    /** kubeconfig context of the existing cluster; unset: the current context. */
    context: str({ min: 1 }).optional(),
    /** When set, render YAML to this folder instead of applying (lets CI preview without the cluster). */
    renderDirectory: relPath().optional(),
    /**
     * Whether `up` waits for each workload to become ready, as Pulumi's Kubernetes provider does by default.
     * Default true. false marks every Kubernetes object `pulumi.com/skipAwait` (and deletes in the background):
     * only for a cluster that can never run a pod, such as the end-to-end tests' bare API server, which runs no
     * controllers either; a real cluster must wait, or a broken rollout passes unnoticed.
     */
    waitForReady: expecting(z.boolean(), "true or false").default(true),
});

export const clusterSchema = expecting(
    z.discriminatedUnion("provider", [render, eks, existing]),
    'an object whose provider is "render", "eks" or "existing"',
);
export type ClusterConfig = z.output<typeof clusterSchema>;
export type EksClusterConfig = Extract<ClusterConfig, { provider: "eks" }>;

/** Whether the platform runs on AWS (an EKS cluster): node groups, EC2 storage nodes and S3 media need it. */
export function onAws<C extends { cluster: ClusterConfig }>(config: C): config is C & { cluster: EksClusterConfig } {
    return config.cluster.provider === "eks";
}

/** dev | prod | homelab: which safety floors apply (e.g. replica size ≥ 3 outside dev). */
export const environmentSchema = oneOf(["dev", "prod", "homelab"] as const);
export type Environment = z.output<typeof environmentSchema>;
