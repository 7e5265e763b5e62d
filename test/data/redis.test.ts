// The two Redis tiers: what their redis.conf says, where they run, and how a cache replacement shows.
import { EMPTIES_ON_REPLACE_ANNOTATION } from "../../contract/labels";
import { parseRedisConf, renderRedisConf } from "../../formats/redisConf";
import { runStack, type StackRun } from "../harness";
import { object } from "../workloads/read";

let homelab: StackRun;
beforeAll(async () => {
    homelab = await runStack("homelab");
});

const conf = (run: StackRun, tier: string) => parseRedisConf(object(run, "ConfigMap", `redis-${tier}`).data["redis.conf"]);
const pod = (run: StackRun, kind: string, tier: string) => object(run, kind, `redis-${tier}`).spec.template.spec;

describe("Redis cache tier", () => {
    it("evicts least-recently-used keys under maxmemory and persists nothing", () => {
        // 1024 MiB limit × 0.58: the peak resident memory measured against real Redis (1.7 × maxmemory) fits the limit.
        expect(conf(homelab, "cache")).toMatchObject({ maxmemory: String(Math.floor(1024 * 1024 * 1024 * 0.58)), "maxmemory-policy": "allkeys-lru", save: "", appendonly: "no" });
        expect(Number(conf(homelab, "cache").maxmemory) * 1.7).toBeLessThanOrEqual(1024 * 1024 * 1024);
    });

    it("shows a replacement as what it is: an empty cache (replace, not update, and an annotation)", () => {
        const cache = homelab.one("redis-cache", "kubernetes:apps/v1:Deployment");
        expect(cache.deleteBeforeReplace).toBe(true);
        expect(cache.replaceOnChanges).toEqual(["spec.template", "spec.selector"]);
        expect(object(homelab, "Deployment", "redis-cache").metadata.annotations[EMPTIES_ON_REPLACE_ANNOTATION]).toBe("true");
        expect(object(homelab, "Deployment", "redis-cache").spec.strategy).toEqual({ type: "Recreate" });
    });

    it("rolls when redis.conf changes (its hash is on the pod template)", async () => {
        const bigger = await runStack("homelab", {
            mutate: (c) => {
                c["media-platform:data"].redis.cache.memoryMiB = 2048;
            },
        });
        const hash = (run: StackRun) => object(run, "Deployment", "redis-cache").spec.template.metadata.annotations["media-platform.io/config-hash"];
        expect(hash(bigger)).not.toBe(hash(homelab));
        expect(conf(bigger, "cache").maxmemory).toBe(String(Math.floor(2048 * 1024 * 1024 * 0.58)));
    });
});

describe("Redis queue tier", () => {
    it("appends every write to a file on its volume and never evicts a job", () => {
        expect(conf(homelab, "queue")).toMatchObject({ maxmemory: String(1024 * 1024 * 1024 * 0.5), "maxmemory-policy": "noeviction", appendonly: "yes", dir: "/data" });
        const set = object(homelab, "StatefulSet", "redis-queue").spec;
        expect(set.volumeClaimTemplates[0].spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "ceph-block", resources: { requests: { storage: "10Gi" } } });
        expect(set.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
        expect(set.template.spec.containers[0].volumeMounts).toContainEqual({ name: "data", mountPath: "/data" });
        expect(homelab.one("redis-queue", "kubernetes:apps/v1:StatefulSet").protect).toBe(true);
    });
});

describe.each(["cache", "queue"])("Redis %s tier placement", (tier) => {
    const kind = tier === "cache" ? "Deployment" : "StatefulSet";

    it("requests exactly the memory it may use, on data nodes, away from worker pods", () => {
        const spec = pod(homelab, kind, tier);
        const c = spec.containers[0];
        expect(c.resources.requests.memory).toBe(c.resources.limits.memory);
        expect(c.resources.limits.memory).toBe("1024Mi");
        expect(spec.nodeSelector).toEqual({ "media-platform.io/role": "data" });
        expect(spec.tolerations).toContainEqual({ key: "media-platform.io/dedicated", operator: "Equal", value: "data", effect: "NoSchedule" });
        const term = spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
        expect(term).toEqual({
            labelSelector: { matchExpressions: [{ key: "media-platform.io/tier", operator: "In", values: ["workers", "scheduler"] }] },
            topologyKey: "kubernetes.io/hostname",
        });
        expect(c.readinessProbe.exec.command).toContain("ping");
        expect(c.livenessProbe).toBeDefined();
        expect(spec.volumes).toContainEqual({ name: "config", configMap: { name: `redis-${tier}` } });
    });
});

it("renders each tier's persistence and eviction rules, whatever the memory", () => {
    for (const memoryMiB of [64, 1000, 65536]) {
        const cache = parseRedisConf(renderRedisConf({ tier: "cache", memoryMiB, maxmemoryFraction: 0.75, maxmemoryPolicy: "allkeys-lfu" }));
        const queue = parseRedisConf(renderRedisConf({ tier: "queue", memoryMiB, maxmemoryFraction: 0.5 }));
        expect(cache).toMatchObject({ "maxmemory-policy": "allkeys-lfu", appendonly: "no" });
        expect(queue).toMatchObject({ "maxmemory-policy": "noeviction", appendonly: "yes" });
        expect(Number(cache.maxmemory)).toBeLessThan(memoryMiB * 1024 * 1024);
    }
});
