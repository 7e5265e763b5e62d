// Redis in two tiers on the data nodes, each with its own memory budget and away from the queue workers
// (outage 3 in docs/outages.md): a cache that may evict and is rebuilt after a replacement, and a persistent queue
// that never evicts.
import { CACHE_FACTS } from "../../contract/facts";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DataConfig } from "../../config/data";
import { allowedArchs } from "../../capacity/instances";
import { CONFIG_HASH_ANNOTATION } from "../../contract/labels";
import { awayFromTiers, configHash, imageRef, multiArchAnnotation, placement, podResources, probes, tierLabels } from "../workloads/scheduling";
import { REDIS_DATA_DIR, REDIS_PORT, renderRedisConf, type RedisTier } from "../../formats/redisConf";

export interface RedisTiersArgs {
    /** Redis config: image and the cache and queue tiers. */
    redis: DataConfig["redis"];
    /** Namespace of both tiers. */
    namespace: string;
    /** StorageClass of the queue tier's volume (storage.blockPool.storageClass). */
    storageClass: string;
    /** Node role both tiers land on (capacity/memory placementRole); undefined: any non-dedicated node. */
    role: string | undefined;
    /** Kubernetes provider. */
    provider: k8s.Provider;
    /** Resources that must exist first (the namespace). Default none. */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Where the app finds each tier. */
export interface RedisEndpoints {
    cache: { host: string; port: number };
    queue: { host: string; port: number };
}

/** Tiers whose pods Redis never shares a node with. */
export const REDIS_AWAY_FROM = ["workers", "scheduler"];
const CONFIG_DIR = "/etc/redis";
/** CPU request per Redis pod: Redis runs commands on one thread, so a fraction of a core. */
const REDIS_CPU = 0.25;

/** The cache tier (a Deployment) and the queue tier (a StatefulSet with a volume), each with a ConfigMap and a Service. */
export class RedisTiers extends pulumi.ComponentResource {
    readonly endpoints: RedisEndpoints;

    constructor(name: string, args: RedisTiersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:data:RedisTiers", name, {}, opts);
        this.endpoints = createRedisTiers(name, args, this);
        this.registerOutputs({ endpoints: this.endpoints });
    }
}

/** The pod template of one tier: redis-server on its mounted config, on the data nodes, away from workers. */
export function redisPodTemplate(tier: RedisTier, objectName: string, args: Pick<RedisTiersArgs, "redis" | "role">, conf: string) {
    const t = args.redis[tier];
    const where = placement(args.role, allowedArchs(args.redis.image.multiArch));
    return {
        metadata: {
            labels: tierLabels(objectName, `redis-${tier}`),
            annotations: { [CONFIG_HASH_ANNOTATION]: configHash(conf), ...multiArchAnnotation(args.redis.image.multiArch) },
        },
        spec: {
            ...where,
            affinity: { ...where.affinity, podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [awayFromTiers(REDIS_AWAY_FROM)] } },
            containers: [
                {
                    name: "redis",
                    image: imageRef(args.redis.image),
                    args: ["redis-server", `${CONFIG_DIR}/redis.conf`],
                    ports: [{ name: "redis", containerPort: REDIS_PORT }],
                    resources: podResources(t.memoryMiB, REDIS_CPU),
                    ...probes({ exec: { command: ["redis-cli", "-p", String(REDIS_PORT), "ping"] } }, { tcpSocket: { port: REDIS_PORT } }),
                    volumeMounts: [
                        { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                        ...(tier === "queue" ? [{ name: "data", mountPath: REDIS_DATA_DIR }] : []),
                    ],
                },
            ],
            volumes: [{ name: "config", configMap: { name: objectName } }],
        },
    };
}

function createRedisTiers(name: string, args: RedisTiersArgs, parent: pulumi.ComponentResource): RedisEndpoints {
    const opts = { parent, provider: args.provider, dependsOn: args.dependsOn };
    const r = args.redis;
    const names = { cache: `${name}-cache`, queue: `${name}-queue` };
    const confs = {
        cache: renderRedisConf({ tier: "cache", memoryMiB: r.cache.memoryMiB, maxmemoryFraction: r.cache.maxmemoryFraction, maxmemoryPolicy: r.cache.maxmemoryPolicy }),
        queue: renderRedisConf({ tier: "queue", memoryMiB: r.queue.memoryMiB, maxmemoryFraction: r.queue.maxmemoryFraction }),
    };

    for (const tier of ["cache", "queue"] as const) {
        const objectName = names[tier];
        new k8s.core.v1.ConfigMap(
            `${name}-${tier}-config`,
            { metadata: { name: objectName, namespace: args.namespace, labels: tierLabels(objectName, `redis-${tier}`) }, data: { "redis.conf": confs[tier] } },
            opts,
        );
        new k8s.core.v1.Service(
            `${name}-${tier}-service`,
            {
                metadata: { name: objectName, namespace: args.namespace, labels: tierLabels(objectName, `redis-${tier}`) },
                spec: { selector: tierLabels(objectName, `redis-${tier}`), ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis" }] },
            },
            opts,
        );
    }

    const selector = (tier: RedisTier) => ({ matchLabels: tierLabels(names[tier], `redis-${tier}`) });
    new k8s.apps.v1.Deployment(
        `${name}-cache`,
        {
            metadata: {
                name: names.cache,
                namespace: args.namespace,
                labels: tierLabels(names.cache, "redis-cache"),
                annotations: CACHE_FACTS.encode({ emptiesOnReplace: true }),
            },
            spec: {
                replicas: 1,
                // One cache at a time: a second, empty one beside it would split the app's view.
                strategy: { type: "Recreate" },
                selector: selector("cache"),
                template: redisPodTemplate("cache", names.cache, args, confs.cache),
            },
        },
        // Any change to the pod starts an empty cache: preview shows it as a replacement, not an update.
        { ...opts, replaceOnChanges: ["spec.template", "spec.selector"], deleteBeforeReplace: true },
    );

    const queueTemplate = redisPodTemplate("queue", names.queue, args, confs.queue);
    new k8s.apps.v1.StatefulSet(
        `${name}-queue`,
        {
            metadata: { name: names.queue, namespace: args.namespace, labels: tierLabels(names.queue, "redis-queue") },
            spec: {
                replicas: 1,
                serviceName: names.queue,
                selector: selector("queue"),
                template: queueTemplate,
                volumeClaimTemplates: [
                    {
                        metadata: { name: "data" },
                        spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.storageClass, resources: { requests: { storage: `${r.queue.storageGiB}Gi` } } },
                    },
                ],
                // Deleting or scaling the StatefulSet keeps the queued jobs' volume.
                persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            },
        },
        { ...opts, protect: true, retainOnDelete: true },
    );

    const host = (n: string) => `${n}.${args.namespace}.svc.cluster.local`;
    return { cache: { host: host(names.cache), port: REDIS_PORT }, queue: { host: host(names.queue), port: REDIS_PORT } };
}
