// Label and annotation keys shared by the components (which set them) and the policy pack (which reads them).
// Capacity facts that no resource field carries travel as annotations under CAPACITY_PREFIX, so a rule can
// read them from the registered resource at preview time. Every key a component sets is listed here.

/** Prefix of every capacity-fact annotation. */
export const CAPACITY_PREFIX = "capacity.media-platform.io/";

/** The node role (storage, data, web, workers, general), on nodes and node pools. */
export const ROLE_LABEL = "media-platform.io/role";
/** The node pool a node belongs to. */
export const POOL_LABEL = "media-platform.io/pool";
/** Kubernetes' well-known architecture label. */
export const ARCH_LABEL = "kubernetes.io/arch";
/** Kubernetes' well-known hostname label (what Rook matches storage node names against). */
export const HOSTNAME_LABEL = "kubernetes.io/hostname";
/** The application tier of a workload: web, streaming, workers, scheduler, redis-cache, redis-queue, proxy, dns. */
export const TIER_LABEL = "media-platform.io/tier";
/** The tenant a namespace or object belongs to. */
export const TENANT_LABEL = "media-platform.io/tenant";
/** Flux's sharding label key. */
export const SHARD_LABEL = "sharding.fluxcd.io/key";
/** Flux's per-object prune switch; value PRUNE_DISABLED keeps garbage collection from deleting the object. */
export const PRUNE_ANNOTATION = "kustomize.toolkit.fluxcd.io/prune";
export const PRUNE_DISABLED = "disabled";

/** Builds a capacity annotation key: capacityKey("nic-baseline-gbps") → capacity.media-platform.io/nic-baseline-gbps. */
export const capacityKey = (name: string) => `${CAPACITY_PREFIX}${name}`;
