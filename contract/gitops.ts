// GitOps names and paths shared by the renderer (which writes the tenant tree), the Flux components (which point
// each shard's sources and root Kustomization at it) and the policy pack. None of a tenant's object names
// depends on its shard: that is what lets a tenant move without being deleted and recreated.
import * as path from "node:path";

/** Folder of a shard's tenant Kustomizations, relative to the tree root. */
export const shardDirectory = (shard: string) => `shards/${shard}`;
/** Folder of one tenant's objects, relative to the tree root; the same whichever shard reconciles it. */
export const tenantDirectory = (tenant: string) => `tenants/${tenant}`;
/** The file in a tenant's folder. */
export const TENANT_FILE = "tenant.yaml";

/** A folder of the tree as a Flux Kustomization path in the repository: "./gitops/dev/shards/shard-1". */
export function repositoryPath(treeInRepository: string, relative: string): string {
    return `./${path.posix.normalize(path.posix.join(treeInRepository, relative))}`;
}

/** Each shard's GitRepository (the tenant tree) and its root Kustomization share this name. */
export const shardTreeName = (shard: string) => `tenants-${shard}`;
/** Each shard's HelmRepository for the app chart. */
export const shardChartRepositoryName = (chart: string, shard: string) => `${chart}-${shard}`;
/** A tenant's Kustomization, HelmRelease and ServiceAccount in the Flux namespace. */
export const tenantFluxName = (tenant: string) => `tenant-${tenant}`;
/** The tenant's data volume claim in its namespace. */
export const DATA_VOLUME = "data";

/** Most Flux shards a stack may run: each adds three controllers and their sources (a project bound, not Flux's). */
export const MAX_SHARDS = 256;

/** Namespace of the Flux installation, unless a stack says otherwise (flux.namespace). Flux's own default. */
export const DEFAULT_FLUX_NAMESPACE = "flux-system";

/** Name of shard `index` (0-based): shard-1, shard-2, … */
export function shardName(index: number): string {
    return `shard-${index + 1}`;
}

/** Index of a shard name, or undefined when it is not one. */
export function shardIndex(name: string): number | undefined {
    const m = /^shard-([1-9][0-9]*)$/.exec(name);
    return m ? Number(m[1]) - 1 : undefined;
}

/** A Kubernetes object as written to the tree. */
export interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    [field: string]: unknown;
}

/** Flux's reconciler identity for platform-owned objects under the multi-tenancy lockdown (Flux docs). */
export const PLATFORM_RECONCILER = "kustomize-controller";
