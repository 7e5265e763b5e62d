// Label and annotation keys shared by the components (which set them) and the policy pack (which reads them).
// Capacity facts that no resource field carries travel as annotations under CAPACITY_PREFIX, written and read
// through the codecs of facts.ts, so a rule can read them from the registered resource at preview time. Every
// key a component sets is listed here, and has a reader: the pack, the CLI, or one named below.

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
/** The application tier of a workload: web, streaming, workers, scheduler, postgres, pgbouncer, redis-cache, redis-queue, proxy, dns. */
export const TIER_LABEL = "media-platform.io/tier";
/** The tenant a namespace or object belongs to. */
export const TENANT_LABEL = "media-platform.io/tenant";
/** Flux's sharding label key. */
export const SHARD_LABEL = "sharding.fluxcd.io/key";
/** Watch selector of the main Flux controllers: every object without a shard label (Flux sharding docs). */
export const MAIN_WATCH_SELECTOR = `!${SHARD_LABEL}`;
/** Flux's per-object prune switch; value PRUNE_DISABLED keeps garbage collection from deleting the object. */
export const PRUNE_ANNOTATION = "kustomize.toolkit.fluxcd.io/prune";
export const PRUNE_DISABLED = "disabled";

/** Builds a capacity annotation key: capacityKey("nic-baseline-gbps") → capacity.media-platform.io/nic-baseline-gbps. */
export const capacityKey = (name: string) => `${CAPACITY_PREFIX}${name}`;

// ── Node pools and storage ────────────────────────────────────────────────────────────────
/** The storage node a Kubernetes node is (value: the storage node's name in config); Rook places OSDs by it on EKS. */
export const STORAGE_NODE_LABEL = "media-platform.io/storage-node";
/** Taint key of dedicated pools (value: the role, effect NoSchedule); pods of that role tolerate it. */
export const DEDICATED_TAINT_KEY = "media-platform.io/dedicated";

/** On bare-metal node patches: the node's memory in GiB. */
export const MEMORY_GIB_ANNOTATION = capacityKey("memory-gib");
/** On bare-metal node patches: the node's CPU cores. */
export const CPU_ANNOTATION = capacityKey("cpu");

/** On the CephCluster: JSON list of the storage nodes' hardware (facts.ts STORAGE_FACTS). */
export const STORAGE_NODES_ANNOTATION = capacityKey("storage-nodes");
/** On the CephCluster: expected client traffic per storage node at normal load, MB/s. */
export const STORAGE_CLIENT_NORMAL_ANNOTATION = capacityKey("storage-client-normal-mbps");
/** On the CephCluster: expected client traffic per storage node at peak, MB/s. */
export const STORAGE_CLIENT_PEAK_ANNOTATION = capacityKey("storage-client-peak-mbps");
/** On the CephCluster: share of client traffic that is writes. */
export const STORAGE_WRITE_FRACTION_ANNOTATION = capacityKey("storage-write-fraction");
/** On the CephCluster: traffic each active MDS adds per storage node, MB/s. */
export const STORAGE_MDS_MBPS_ANNOTATION = capacityKey("storage-mds-mbps-per-active");
/** On the CephCluster: recovery traffic per OSD, MB/s. */
export const STORAGE_RECOVERY_MBPS_ANNOTATION = capacityKey("storage-recovery-mbps-per-osd");
/** On the CephCluster, when the stack sets storage.headroom: a stricter fraction of a storage node's baseline than the pack's. */
export const STORAGE_HEADROOM_ANNOTATION = capacityKey("storage-headroom");
/** On the CephCluster, when the stack sets storage.recovery.maxHours: a shorter longest recovery than the pack's, hours. */
export const STORAGE_MAX_RECOVERY_HOURS_ANNOTATION = capacityKey("storage-max-recovery-hours");
/** On the CephCluster: "true" when the stack runs one storage node on purpose (every copy on one host). */
export const SINGLE_STORAGE_NODE_ANNOTATION = capacityKey("single-storage-node");

// ── Data, workloads and edge ──────────────────────────────────────────────────────────────
/** On pod templates of images config declares (app, Redis, nginx, DNS autoscaler): "true" when multi-arch (amd64 + arm64); the policy pack needs it to allow arm64. */
export const IMAGE_MULTI_ARCH_ANNOTATION = capacityKey("image-multi-arch");
/** On Sidekiq Deployments (workers and scheduler): JSON [{name, jobsPerSecond, meanJobSeconds}] of every queue's peak load. */
export const QUEUE_LOAD_ANNOTATION = capacityKey("queue-load");
/** On Sidekiq Deployments: the busy fraction a worker thread may reach (capacity/queues threadsNeeded). */
export const UTILISATION_CEILING_ANNOTATION = capacityKey("utilisation-ceiling");
/** On the CloudNativePG Pooler: user/database pairs that each get default_pool_size server connections. */
export const USER_DATABASE_PAIRS_ANNOTATION = capacityKey("user-database-pairs");
/** On the Redis cache Deployment: "true" — replacing or restarting it empties the cache (warm it: README). */
export const EMPTIES_ON_REPLACE_ANNOTATION = capacityKey("empties-on-replace");
/** On the nginx proxy Deployment: expected peak of concurrent clients across all proxy pods. */
export const PEAK_CLIENTS_ANNOTATION = capacityKey("peak-clients");
/** On pod templates: hash of the config file they mount, so a config change rolls the pods. */
export const CONFIG_HASH_ANNOTATION = "media-platform.io/config-hash";

// ── Flux shards and tenants ───────────────────────────────────────────────────────────────
/** The tenant's plan, on its Namespace. */
export const PLAN_LABEL = "media-platform.io/plan";
/** On each shard's root Kustomization: tenants the shard reconciles (one Kustomization each). */
export const SHARD_TENANTS_ANNOTATION = capacityKey("shard-tenants");
/** On each shard's root Kustomization: HelmRelease reconciles of its tenants (one per app, at least one per tenant). */
export const SHARD_HELM_RELEASES_ANNOTATION = capacityKey("shard-helm-releases");
/** On each shard's root Kustomization: the maintenance window its rollout must fit, in seconds. */
export const MAINTENANCE_WINDOW_SECONDS_ANNOTATION = capacityKey("maintenance-window-seconds");
/** On shard kustomize-/helm-controller Deployments: the measured objects per second of one controller. */
export const RECONCILE_PER_SECOND_ANNOTATION = capacityKey("reconcile-per-second");
/** On shard kustomize-/helm-controller Deployments: the --concurrent that rate was measured at. */
export const MEASURED_CONCURRENCY_ANNOTATION = capacityKey("measured-concurrency");
/** On shard kustomize-/helm-controller Deployments: the CPU cores that rate was measured with. */
export const MEASURED_CPU_ANNOTATION = capacityKey("measured-cpu");
/** On shard kustomize-/helm-controller Deployments: where a rate other than flux-benchmark's was measured (config flux.reconcile.source). */
export const RECONCILE_RATE_SOURCE_ANNOTATION = capacityKey("reconcile-rate-source");

/** Keys no rule reads, with what does: a key with neither a rule nor an entry here would be written for nothing. */
export const READ_OUTSIDE_THE_PACK: Readonly<Record<string, string>> = {
    [STORAGE_NODE_LABEL]: "Rook, which matches storage node names against it (customHostnameLabel)",
    [CONFIG_HASH_ANNOTATION]: "Kubernetes: a changed hash rolls the pods that mount the file",
    [PLAN_LABEL]: "operators selecting a plan's tenants (kubectl get ns -l media-platform.io/plan=…)",
};
