// The app tiers as the stacks register them: priorities, probes, PDBs, arch pinning, the path to Postgres
// through PgBouncer, exactly one scheduler, the queue rules read back from the objects, and every object
// checked against the real schemas.
import { IMAGE_MULTI_ARCH_ANNOTATION, QUEUE_LOAD_ANNOTATION } from "../../contract/labels";
import { schedulerProcesses } from "../../capacity/queues";
import { envValue } from "../../policies/k8s";
import { allowedArchsOf, queueServersOf } from "../../policies/rules/workloads";
import { policyResources } from "../../stacks/resources";
import { ConfigError } from "../../config/errors";
import { runStack, SHIPPED_STACKS, type StackRun } from "../harness";
import { manifestOf, schemaErrors } from "../schema/validate";
import { childrenOf, object, resourceOf, workloadsOf } from "./read";

const runs: Record<string, StackRun> = {};
beforeAll(async () => {
    for (const s of SHIPPED_STACKS) runs[s] = await runStack(s);
});

const podSpec = (run: StackRun, name: string) => object(run, "Deployment", name).spec.template.spec;
const archsOf = (run: StackRun, name: string) => allowedArchsOf(resourceOf(run, "Deployment", name));

describe.each(SHIPPED_STACKS)("stack %s", (stack) => {
    const run = () => runs[stack];
    const mine = () =>
        childrenOf(run(), ["data", "workloads", "edge"])
            .map((r) => r.inputs)
            .filter((o) => ["Deployment", "StatefulSet"].includes(o.kind));

    // Every object of the data, workloads and edge components against the real schemas: CloudNativePG and
    // Flux objects against the upstream CRDs in schemas/crds, the rest against Kubernetes' own schema.
    it("emits only schema-valid objects with explicit names (and namespaces where namespaced)", () => {
        const objects = childrenOf(run(), ["data", "workloads", "edge"]).map((r) => manifestOf(r.inputs));
        const kinds = new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`));
        for (const k of ["postgresql.cnpg.io/v1/Cluster", "postgresql.cnpg.io/v1/Pooler", "helm.toolkit.fluxcd.io/v2/HelmRelease", "source.toolkit.fluxcd.io/v1/HelmRepository", "apps/v1/Deployment", "apps/v1/StatefulSet", "scheduling.k8s.io/v1/PriorityClass", "rbac.authorization.k8s.io/v1/ClusterRole"]) {
            expect(kinds).toContain(k);
        }
        expect(objects.flatMap((o) => schemaErrors(o))).toEqual([]);
        for (const o of objects) {
            expect(o.metadata?.name).toBeTruthy();
            if (!["PriorityClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"].includes(o.kind)) expect([o.kind, o.metadata?.namespace]).toEqual([o.kind, expect.any(String)]);
        }
    });

    it("gives every container a readiness, a liveness and a startup probe", () => {
        const containers = mine().flatMap((o) => o.spec.template.spec.containers.map((c: any) => ({ where: `${o.metadata.name}/${c.name}`, c })));
        expect(containers.length).toBeGreaterThan(6);
        for (const { where, c } of containers) {
            expect([where, !!c.readinessProbe, !!c.livenessProbe, !!c.startupProbe]).toEqual([where, true, true, true]);
        }
    });

    it("gives every multi-replica workload a PodDisruptionBudget that selects its pods", () => {
        const pdbs = run().resources.filter((r) => r.inputs.kind === "PodDisruptionBudget").map((r) => r.inputs);
        for (const o of mine().filter((o) => o.spec.replicas > 1)) {
            const pdb = pdbs.find((p) => p.metadata.name === o.metadata.name && p.metadata.namespace === o.metadata.namespace);
            expect([o.metadata.name, pdb?.spec.selector.matchLabels]).toEqual([o.metadata.name, o.spec.selector.matchLabels]);
            expect(pdb?.spec.maxUnavailable).toBe(1);
        }
    });

    it("runs web and streaming above the workers and the scheduler", () => {
        const value = (name: string) => run().resources.find((r) => r.inputs.kind === "PriorityClass" && r.inputs.metadata.name === name)!.inputs.value;
        const priority = (d: string) => value(podSpec(run(), d).priorityClassName);
        const workers = run().config.workloads.workers.map((g) => priority(`worker-${g.name}`));
        for (const w of [...workers, priority("scheduler")]) {
            expect(priority("web")).toBeGreaterThan(w);
            expect(priority("streaming")).toBeGreaterThan(w);
        }
        expect(priority("edge-proxy")).toBe(priority("web"));
        const workersClass = run().resources.find((r) => r.inputs.metadata?.name === "media-platform-workers")!.inputs;
        expect(workersClass.preemptionPolicy).toBe("Never");
    });

    it("runs exactly one scheduler process, which never overlaps a second during an update", () => {
        const scheduler = object(run(), "Deployment", "scheduler");
        expect(scheduler.spec.replicas).toBe(1);
        expect(scheduler.spec.strategy).toEqual({ type: "Recreate" });
        expect(schedulerProcesses(queueServersOf(policyResources(run().resources)))).toBe(1);
    });

    it("sends every app container to Postgres through PgBouncer, with DB_POOL sized to its threads", () => {
        const pooler = `postgres-pooler-rw.media-app.svc.cluster.local`;
        const transaction = run().config.data.pooler.poolMode === "transaction";
        for (const d of workloadsOf(run()).filter((o) => o.metadata.namespace === "media-app" && /^(web|streaming|worker-|scheduler)/.test(o.metadata.name))) {
            for (const c of d.spec.template.spec.containers) {
                expect([d.metadata.name, envValue(c, "DB_HOST"), envValue(c, "PREPARED_STATEMENTS")]).toEqual([d.metadata.name, pooler, String(!transaction)]);
                expect(c.env.find((e: any) => e.name === "DB_PASS").valueFrom.secretKeyRef).toEqual({ name: "postgres-app", key: "password" });
            }
        }
        for (const g of run().config.workloads.workers) {
            const c = podSpec(run(), `worker-${g.name}`).containers[0];
            expect([envValue(c, "DB_POOL"), c.args.slice(3, 5)]).toEqual([String(g.threads), ["-c", String(g.threads)]]);
        }
        expect(envValue(podSpec(run(), "web").containers[0], "MAX_THREADS")).toBe(String(run().config.workloads.web.threads));
    });

    it("keeps the queue tier and the cache tier apart in the app's Redis settings", () => {
        const c = podSpec(run(), "scheduler").containers[0];
        expect(envValue(c, "SIDEKIQ_REDIS_HOST")).toBe("redis-queue.media-app.svc.cluster.local");
        expect(envValue(c, "REDIS_HOST")).toBe("redis-cache.media-app.svc.cluster.local");
    });

    it("carries the stack file's worker groups in Sidekiq's args and its queue load in an annotation", () => {
        const cfg = run().config;
        const servers = queueServersOf(policyResources(run().resources)).map(({ urn: _urn, ...s }) => s);
        expect(servers.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
            [
                // Named <Deployment>/<container>.
                ...cfg.workloads.workers.map((g) => ({ name: `worker-${g.name}/sidekiq`, replicas: g.replicas, threads: g.threads, queues: g.queues })),
                { name: "scheduler/sidekiq", replicas: 1, threads: cfg.workloads.scheduler.threads, queues: ["scheduler"] },
            ].sort((a, b) => a.name.localeCompare(b.name)),
        );
        const withLoad = workloadsOf(run()).filter((d) => d.metadata.annotations?.[QUEUE_LOAD_ANNOTATION]);
        expect(withLoad.length).toBeGreaterThan(0);
        for (const d of withLoad) expect(JSON.parse(d.metadata.annotations[QUEUE_LOAD_ANNOTATION])).toEqual(cfg.workloads.queues);
    });
});

describe("architectures", () => {
    it("pins each worker group to the archs config allows, and says whether its image is multi-arch", () => {
        const homelab = runs.homelab;
        expect(archsOf(homelab, "worker-pull-pi")).toEqual(["arm64"]);
        expect(archsOf(homelab, "worker-default")).toEqual(["amd64"]);
        expect(object(homelab, "Deployment", "worker-pull-pi").spec.template.metadata.annotations[IMAGE_MULTI_ARCH_ANNOTATION]).toBe("true");
        expect(archsOf(homelab, "web")).toEqual(["amd64", "arm64"]);
    });

    it("pins everything to amd64 when the image is not multi-arch", async () => {
        const run = await runStack("prod", {
            mutate: (c) => {
                c["media-platform:workloads"].image.multiArch = false;
                c["media-platform:workloads"].streaming.image.multiArch = false;
                for (const w of c["media-platform:workloads"].workers) w.archs = ["amd64"];
            },
        });
        for (const d of ["web", "streaming", "scheduler", "worker-default", "worker-federation"]) {
            expect([d, archsOf(run, d)]).toEqual([d, ["amd64"]]);
            expect(object(run, "Deployment", d).spec.template.metadata.annotations[IMAGE_MULTI_ARCH_ANNOTATION]).toBe("false");
        }
    });

    it("refuses arm64 workers with an image that is not multi-arch, before registering anything", async () => {
        const registered: any[] = [];
        const failed = runStack("homelab", {
            registered,
            mutate: (c) => {
                c["media-platform:workloads"].image.multiArch = false;
            },
        });
        await expect(failed).rejects.toThrow(ConfigError);
        await expect(failed).rejects.toThrow(/workloads\.workers\[1\]\.archs: expected only "amd64" unless workloads\.image\.multiArch is true, got \["arm64"\]/);
        expect(registered.filter((r) => r.custom)).toEqual([]);
    });
});

describe("session pooling and placement", () => {
    it("keeps prepared statements on when PgBouncer pools sessions, and runs tiers on their roles", async () => {
        const run = await runStack("homelab", {
            mutate: (c) => {
                c["media-platform:data"].pooler.poolMode = "session";
            },
        });
        expect(envValue(podSpec(run, "web").containers[0], "PREPARED_STATEMENTS")).toBe("true");
        expect(podSpec(run, "web").nodeSelector).toEqual({ "media-platform.io/role": "web" });
        expect(podSpec(run, "worker-default").nodeSelector).toEqual({ "media-platform.io/role": "workers" });
        // dev has no web or data pool: those tiers land on the general pool.
        expect(podSpec(runs.dev, "web").nodeSelector).toEqual({ "media-platform.io/role": "general" });
    });

    it("runs several streaming processes per pod as containers on their own ports, each with its own pool", async () => {
        const run = await runStack("dev", {
            mutate: (c) => {
                c["media-platform:workloads"].streaming.processes = 3;
            },
        });
        const containers = podSpec(run, "streaming").containers;
        expect(containers.map((c: any) => [envValue(c, "PORT"), envValue(c, "DB_POOL")])).toEqual([
            ["4000", "10"],
            ["4001", "10"],
            ["4002", "10"],
        ]);
        expect(object(run, "Service", "streaming").spec.ports.map((p: any) => p.port)).toEqual([4000, 4001, 4002]);
        expect(object(run, "ConfigMap", "edge-proxy").data["nginx.conf"]).toContain("server streaming.media-app.svc.cluster.local:4002;");
    });
});

it("points the app at the media bucket: S3 settings, no ACLs, and the bucket's credentials", () => {
    const c = podSpec(runs.prod, "web").containers[0];
    const media = runs.prod.outputs.media as any;
    expect([envValue(c, "S3_ENABLED"), envValue(c, "S3_BUCKET"), envValue(c, "S3_ENDPOINT"), envValue(c, "S3_ALIAS_HOST"), envValue(c, "S3_PERMISSION")]).toEqual([
        "true",
        media.bucket,
        media.endpoint,
        media.cdnHostname,
        "",
    ]);
    expect(c.envFrom).toContainEqual({ secretRef: { name: media.credentialsSecret } });
});

it("says on every pod template the platform emits whether its image is multi-arch", () => {
    for (const o of childrenOf(runs.prod, ["data", "workloads", "edge"]).map((r) => r.inputs).filter((o) => ["Deployment", "StatefulSet"].includes(o.kind))) {
        expect([o.metadata.name, o.spec.template.metadata.annotations?.[IMAGE_MULTI_ARCH_ANNOTATION]]).toEqual([o.metadata.name, "true"]);
    }
});

it("the schema checker would catch a misspelt CloudNativePG field", () => {
    const pooler = { apiVersion: "postgresql.cnpg.io/v1", kind: "Pooler", metadata: { name: "p", namespace: "n" }, spec: { cluster: { name: "c" }, pgbouncer: { poolmode: "transaction" } } };
    expect(schemaErrors(pooler).join("\n")).toMatch(/additional properties \(poolmode\)/);
});
