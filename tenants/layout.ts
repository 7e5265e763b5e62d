// Names and paths shared by the renderer (which writes the tenant tree) and the FluxShards component
// (which points each shard's sources and root Kustomization at it). None of a tenant's object names
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
