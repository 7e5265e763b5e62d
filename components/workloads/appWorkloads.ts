// The app tiers of a Mastodon-shaped app: web (processes × threads), streaming (processes × DB pool),
// queue worker groups and exactly one scheduler. Sized by capacity/: DB_POOL from the thread counts,
// prepared statements off behind a transaction-mode PgBouncer, Sidekiq's command line from its queues.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadsConfig } from "../../config/workloads";
import { preparedStatementsAllowed, sidekiqDbPool } from "../../capacity/connections";
import { allowedArchs, type Arch } from "../../capacity/instances";
import { SCHEDULER_QUEUE, sidekiqArgs } from "../../capacity/queues";
import type { MediaAppInterface } from "../media/appInterface";
import type { PostgresConnection } from "../data/postgres";
import type { RedisEndpoints } from "../data/redis";
import { PRIORITY } from "./priorities";
import { QUEUE_FACTS } from "../../contract/facts";
import { imageRef, multiArchAnnotation, placement, podResources, probes, tierLabels } from "./scheduling";

export const WEB_PORT = 3000;
export const STREAMING_PORT = 4000;
/** Secret an operator fills with the app's own settings (LOCAL_DOMAIN, SECRET_KEY_BASE, …); optional. */
export const APP_ENV_SECRET = "app-env";

export interface AppWorkloadsArgs {
    /** Web, streaming, workers, scheduler and queue load. */
    workloads: WorkloadsConfig;
    /** Namespace of every tier. */
    namespace: string;
    /** Postgres through PgBouncer (the Pooler's Service). */
    postgres: PostgresConnection;
    /** The Redis cache and queue tiers. */
    redis: RedisEndpoints;
    /** Node role of the web and streaming tiers; undefined: any non-dedicated node. */
    webRole: string | undefined;
    /** Node role of workers and the scheduler; undefined: any non-dedicated node. */
    workersRole: string | undefined;
    /** The media bucket, when the app should use it (S3_* env and credentials). Default: none. */
    media?: MediaAppInterface;
    /** Kubernetes provider. */
    provider: k8s.Provider;
    /** Resources that must exist first (the namespace). Default none. */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** What the edge proxy needs: the Services of web and streaming. */
export interface AppEndpoints {
    web: string[];
    streaming: string[];
    /** PriorityClass the proxy runs at (the web tier's). */
    servingPriorityClass: string;
}

/** PriorityClasses, web, streaming, worker groups and the single scheduler, with Services and PodDisruptionBudgets. */
export class AppWorkloads extends pulumi.ComponentResource {
    readonly endpoints: AppEndpoints;
    /** The PriorityClasses, for pods elsewhere that use them. */
    readonly priorityClasses: k8s.scheduling.v1.PriorityClass[];

    constructor(name: string, args: AppWorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:workloads:AppWorkloads", name, {}, opts);
        const built = createAppWorkloads(name, args, this);
        this.endpoints = built.endpoints;
        this.priorityClasses = built.priorityClasses;
        this.registerOutputs({ endpoints: this.endpoints });
    }
}

type EnvVar = { name: string; value?: string; valueFrom?: object };

/** Database and Redis settings every app container shares; DB_POOL is set per tier. */
export function sharedEnv(args: Pick<AppWorkloadsArgs, "postgres" | "redis" | "media">): EnvVar[] {
    const pg = args.postgres;
    const secret = (key: string) => ({ secretKeyRef: { name: pg.credentialsSecret, key } });
    return [
        { name: "RAILS_ENV", value: "production" },
        { name: "NODE_ENV", value: "production" },
        { name: "DB_HOST", value: pg.host },
        { name: "DB_PORT", value: String(pg.port) },
        { name: "DB_NAME", value: pg.database },
        { name: "DB_USER", valueFrom: secret("username") },
        { name: "DB_PASS", valueFrom: secret("password") },
        // PgBouncer in transaction mode cannot keep a prepared statement across transactions (Mastodon docs).
        { name: "PREPARED_STATEMENTS", value: String(preparedStatementsAllowed(pg.poolMode)) },
        // Feeds and the Rails cache live in the cache tier (rebuildable); Sidekiq's jobs in the queue tier.
        { name: "REDIS_HOST", value: args.redis.cache.host },
        { name: "REDIS_PORT", value: String(args.redis.cache.port) },
        { name: "CACHE_REDIS_HOST", value: args.redis.cache.host },
        { name: "CACHE_REDIS_PORT", value: String(args.redis.cache.port) },
        { name: "SIDEKIQ_REDIS_HOST", value: args.redis.queue.host },
        { name: "SIDEKIQ_REDIS_PORT", value: String(args.redis.queue.port) },
        ...(args.media
            ? [
                  { name: "S3_ENABLED", value: "true" },
                  { name: "S3_BUCKET", value: args.media.bucket },
                  { name: "S3_ENDPOINT", value: args.media.endpoint },
                  { name: "S3_REGION", value: args.media.region },
                  { name: "S3_ALIAS_HOST", value: args.media.cdnHostname },
                  // ACLs are disabled on the bucket (components/media): Mastodon must not send them.
                  { name: "S3_PERMISSION", value: "" },
                  ...(args.media.pathStyle ? [{ name: "S3_OVERRIDE_PATH_STYLE", value: "true" }] : []),
              ]
            : []),
    ];
}

function envFrom(media: MediaAppInterface | undefined) {
    return [
        { secretRef: { name: APP_ENV_SECRET, optional: true } },
        ...(media ? [{ secretRef: { name: media.credentialsSecret } }] : []),
    ];
}

/** A pod spec of the app image: placement by role and arch, priority, and the multi-arch claim policies check. */
function appPod(role: string | undefined, archs: Arch[], priorityClassName: string, containers: k8s.types.input.core.v1.Container[]): k8s.types.input.core.v1.PodSpec {
    return { ...placement(role, archs), priorityClassName, containers };
}

const sidekiqProbe = {
    // Sidekiq has no HTTP endpoint; once booted its process title reads "sidekiq <version> <app> [n of m busy]".
    exec: { command: ["/bin/sh", "-c", "ps aux | grep -q '[s]idekiq [0-9]'"] },
};

function createAppWorkloads(name: string, args: AppWorkloadsArgs, parent: pulumi.ComponentResource) {
    const opts = { parent, provider: args.provider, dependsOn: args.dependsOn };
    const w = args.workloads;
    const ns = args.namespace;
    const env = sharedEnv(args);

    const priorityClasses = Object.entries(PRIORITY).map(
        ([tier, p]) =>
            new k8s.scheduling.v1.PriorityClass(
                `${name}-priority-${tier}`,
                { metadata: { name: p.name }, value: p.value, preemptionPolicy: p.preemptionPolicy, globalDefault: false, description: p.description },
                { parent, provider: args.provider },
            ),
    );
    const podOpts = { ...opts, dependsOn: [...(args.dependsOn ?? []), ...priorityClasses] };

    /** A Deployment (and a PDB when it has more than one replica). */
    const deployment = (part: string, objectName: string, tier: string, spec: { replicas: number; strategy?: object; annotations?: Record<string, string>; multiArch: boolean; pod: k8s.types.input.core.v1.PodSpec }) => {
        const labels = tierLabels(objectName, tier);
        new k8s.apps.v1.Deployment(
            `${name}-${part}`,
            {
                metadata: { name: objectName, namespace: ns, labels, annotations: spec.annotations },
                spec: {
                    replicas: spec.replicas,
                    ...(spec.strategy ? { strategy: spec.strategy } : {}),
                    selector: { matchLabels: labels },
                    template: { metadata: { labels, annotations: multiArchAnnotation(spec.multiArch) }, spec: spec.pod },
                },
            },
            podOpts,
        );
        if (spec.replicas > 1) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-${part}-pdb`,
                { metadata: { name: objectName, namespace: ns, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
                opts,
            );
        }
        return labels;
    };
    const service = (part: string, objectName: string, selector: Record<string, string>, ports: number[]) =>
        new k8s.core.v1.Service(
            `${name}-${part}-service`,
            { metadata: { name: objectName, namespace: ns, labels: selector }, spec: { selector, ports: ports.map((p) => ({ name: `http-${p}`, port: p, targetPort: p })) } },
            opts,
        );

    // Web: WEB_CONCURRENCY processes × MAX_THREADS threads, one connection per thread.
    const webArchs = allowedArchs(w.image.multiArch);
    const webLabels = deployment("web", "web", "web", {
        replicas: w.web.replicas,
        multiArch: w.image.multiArch,
        pod: appPod(args.webRole, webArchs, PRIORITY.web.name, [
            {
                name: "web",
                image: imageRef(w.image),
                args: ["bundle", "exec", "puma", "-C", "config/puma.rb"],
                env: [
                    ...env,
                    { name: "WEB_CONCURRENCY", value: String(w.web.processes) },
                    { name: "MAX_THREADS", value: String(w.web.threads) },
                    { name: "DB_POOL", value: String(w.web.threads) },
                    { name: "PORT", value: String(WEB_PORT) },
                ],
                envFrom: envFrom(args.media),
                ports: [{ name: "http", containerPort: WEB_PORT }],
                resources: podResources(w.web.memoryMiB, w.web.cpu),
                ...probes({ httpGet: { path: "/health", port: WEB_PORT } }, { tcpSocket: { port: WEB_PORT } }),
            },
        ]),
    });
    service("web", "web", webLabels, [WEB_PORT]);

    // Streaming: one Node process per container, each on its own port with its own DB_POOL.
    const streamingImage = w.streaming.image ?? w.image;
    const streamingPorts = Array.from({ length: w.streaming.processes }, (_, i) => STREAMING_PORT + i);
    const streamingLabels = deployment("streaming", "streaming", "streaming", {
        replicas: w.streaming.replicas,
        multiArch: streamingImage.multiArch,
        pod: appPod(
            args.webRole,
            allowedArchs(streamingImage.multiArch),
            PRIORITY.streaming.name,
            streamingPorts.map((port, i) => ({
                name: w.streaming.processes === 1 ? "streaming" : `streaming-${i + 1}`,
                image: imageRef(streamingImage),
                args: ["node", "./streaming"],
                env: [...env, { name: "DB_POOL", value: String(w.streaming.dbPool) }, { name: "PORT", value: String(port) }],
                envFrom: envFrom(args.media),
                ports: [{ name: `http-${port}`, containerPort: port }],
                resources: podResources(Math.floor(w.streaming.memoryMiB / w.streaming.processes), w.streaming.cpu / w.streaming.processes),
                ...probes({ httpGet: { path: "/api/v1/streaming/health", port } }),
            })),
        ),
    });
    service("streaming", "streaming", streamingLabels, streamingPorts);

    // Sidekiq: the queue load and ceiling travel with each Deployment, for the queue rules.
    const queueFacts = QUEUE_FACTS.encode({
        queues: w.queues.map((q) => ({ name: q.name, jobsPerSecond: q.jobsPerSecond, meanJobSeconds: q.meanJobSeconds })),
        utilisationCeiling: w.utilisationCeiling,
    });
    const sidekiqContainer = (containerName: string, threads: number, queues: string[], memoryMiB: number, cpu: number) => ({
        name: containerName,
        image: imageRef(w.image),
        // args, not command: the image's entrypoint (tini) stays PID 1.
        args: sidekiqArgs(threads, queues),
        env: [...env, { name: "DB_POOL", value: String(sidekiqDbPool(threads)) }],
        envFrom: envFrom(args.media),
        resources: podResources(memoryMiB, cpu),
        ...probes(sidekiqProbe),
    });

    for (const g of w.workers) {
        deployment(`worker-${g.name}`, `worker-${g.name}`, "workers", {
            replicas: g.replicas,
            annotations: queueFacts,
            multiArch: w.image.multiArch,
            // The archs config allows (config refuses arm64 for an image not declared multi-arch).
            pod: appPod(args.workersRole, [...g.archs], PRIORITY.workers.name, [
                sidekiqContainer("sidekiq", g.threads, g.queues, g.memoryMiB, g.cpu),
            ]),
        });
    }

    // Exactly one scheduler: one replica, and Recreate so an update never runs old and new side by side.
    deployment("scheduler", "scheduler", "scheduler", {
        replicas: 1,
        strategy: { type: "Recreate" },
        annotations: queueFacts,
        multiArch: w.image.multiArch,
        pod: appPod(args.workersRole, allowedArchs(w.image.multiArch), PRIORITY.scheduler.name, [
            sidekiqContainer("sidekiq", w.scheduler.threads, [SCHEDULER_QUEUE], w.scheduler.memoryMiB, w.scheduler.cpu),
        ]),
    });

    const host = (n: string) => `${n}.${ns}.svc.cluster.local`;
    return {
        endpoints: {
            web: [`${host("web")}:${WEB_PORT}`],
            streaming: streamingPorts.map((p) => `${host("streaming")}:${p}`),
            servingPriorityClass: PRIORITY.web.name,
        },
        priorityClasses,
    };
}
