// Wires the components from a validated config. Components are thin; their sizes come from capacity/.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/schema";
import { KubernetesCluster } from "../components/compute/cluster";
import { createNodePools } from "../components/compute/nodePool";
import { CephStorage } from "../components/storage/cephStorage";
import type { MediaAppInterface } from "../components/media/appInterface";
import { MediaStorage } from "../components/media/mediaStorage";
import { tierRolesOf } from "../config/model";
import { placementRole } from "../capacity/memory";
import { Postgres, postgresBackupOf } from "../components/data/postgres";
import { RedisTiers } from "../components/data/redis";
import { AppWorkloads } from "../components/workloads/appWorkloads";
import { EdgeProxy } from "../components/edge/proxy";
import { DnsAutoscaler } from "../components/edge/dnsAutoscaler";
import { FluxInstallation, FluxShards } from "../components/flux";
import { loadStackTenants, shardLoadsOf, type StackTenants } from "../tenants/plan";

export interface PlatformContext {
    /** Stack name (dev, prod, homelab, …). */
    stack: string;
    /** Project root that relative paths in config resolve against. */
    projectRoot: string;
}

/** Stack outputs: what an operator or an app needs after `pulumi up`. */
export interface PlatformOutputs {
    environment: string;
    /** Folder the manifests were rendered to, when rendering. */
    renderDirectory?: string;
    /** Namespace the application tiers run in. */
    appNamespace: pulumi.Output<string>;
    /** Media bucket as apps use it: endpoint, bucket, region, CDN hostname, credentials Secret and endpoint ConfigMap. */
    media: MediaAppInterface;
}

/**
 * cluster.waitForReady: false. Marks a Kubernetes object `pulumi.com/skipAwait` (the provider does not wait for it
 * to become ready, which it never does on an API server without nodes) and deletes it in the background (its
 * deletion does not wait for a garbage collector that such a server does not run either).
 */
function skipAwait(args: pulumi.ResourceTransformationArgs): pulumi.ResourceTransformationResult | undefined {
    if (!args.type.startsWith("kubernetes:") || !(args.resource instanceof pulumi.CustomResource)) return undefined;
    const props = args.props as { metadata?: { annotations?: Record<string, string> } };
    const annotations = { ...props.metadata?.annotations, "pulumi.com/skipAwait": "true", "pulumi.com/deletionPropagationPolicy": "background" };
    return { props: { ...props, metadata: { ...props.metadata, annotations } }, opts: args.opts };
}

/** Namespace of the application tiers (web, streaming, workers, scheduler). */
export const APP_NAMESPACE = "media-app";

/** Everything a stack's input decides, read and validated before any resource exists (a bad registry too). */
export interface PlatformInput {
    config: PlatformConfig;
    /** The tenant registry and its shard lock, which size the Flux shards. Tenants are never Pulumi resources. */
    tenants: StackTenants;
}

/** Reads the tenant registry of a validated config (throws ConfigError with every problem). */
export function platformInput(config: PlatformConfig, ctx: PlatformContext): PlatformInput {
    return { config, tenants: loadStackTenants(config, ctx.projectRoot, { refuseLockBeyondShards: `--stack ${ctx.stack}` }) };
}

export function buildPlatform({ config, tenants }: PlatformInput, ctx: PlatformContext): PlatformOutputs {
    if (config.cluster.provider === "existing" && !config.cluster.waitForReady) pulumi.runtime.registerStackTransformation(skipAwait);
    const cluster = new KubernetesCluster("platform", { cluster: config.cluster, projectRoot: ctx.projectRoot, stack: ctx.stack });
    const k8sOpts = { provider: cluster.provider };
    const generalRole = placementRole("general", config.nodePools.map((p) => p.role));

    // Flux itself, owned by the stack (the installation it shards); every Flux object waits for its namespace and CRDs.
    const flux = new FluxInstallation("flux-install", { flux: config.flux, role: generalRole, provider: cluster.provider });

    // Node pools by role and arch, and Ceph (Rook) on the storage nodes.
    const nodePools = createNodePools(config, cluster);
    const storage = new CephStorage("storage", { storage: config.storage, provider: cluster.provider, fluxNamespace: config.flux.namespace, flux: flux.ready, dependsOn: nodePools });

    const appNamespace = new k8s.core.v1.Namespace(
        "app-namespace",
        { metadata: { name: APP_NAMESPACE, labels: { "app.kubernetes.io/part-of": "media-platform" } } },
        // Protected: it holds the database cluster and the media bucket claim; deleting it deletes them.
        { ...k8sOpts, protect: true },
    );

    const media = new MediaStorage("media", {
        media: config.media,
        environment: config.environment,
        provider: cluster.provider,
        namespace: APP_NAMESPACE,
        // The Ceph object store's name, namespace and port as storage created it (rgw); the name alone for s3.
        objectStore: storage.objectStore ?? { name: config.storage.objectStore.name },
        dependsOn: [appNamespace, ...storage.crds],
    });

    // Data, app tiers and edge: each tier on the role capacity/ places it on.
    const roles = tierRolesOf(config);
    const storageClass = config.storage.blockPool.storageClass;
    const postgres = new Postgres("postgres", {
        data: config.data,
        namespace: APP_NAMESPACE,
        storageClass,
        role: roles.data,
        fluxNamespace: config.flux.namespace,
        flux: flux.ready,
        provider: cluster.provider,
        dependsOn: [appNamespace],
        backup: postgresBackupOf(config.data.postgres.backup, media.app),
    });
    const redis = new RedisTiers("redis", { redis: config.data.redis, namespace: APP_NAMESPACE, storageClass, role: roles.data, provider: cluster.provider, dependsOn: [appNamespace] });
    const app = new AppWorkloads("app", {
        workloads: config.workloads,
        namespace: APP_NAMESPACE,
        postgres: postgres.connection,
        redis: redis.endpoints,
        webRole: roles.web,
        workersRole: roles.workers,
        media: media.app,
        provider: cluster.provider,
        dependsOn: [appNamespace],
    });
    new EdgeProxy("proxy", {
        proxy: config.edge.proxy,
        namespace: APP_NAMESPACE,
        web: app.endpoints.web,
        streaming: app.endpoints.streaming,
        role: roles.web,
        priorityClassName: app.endpoints.servingPriorityClass,
        provider: cluster.provider,
        dependsOn: [appNamespace, ...app.priorityClasses],
    });
    new DnsAutoscaler("dns-autoscaler", { dns: config.edge.dns, provider: cluster.provider });

    // Flux shards for the tenant tree, annotated with each shard's predicted rollout.
    new FluxShards(
        "flux",
        // On the general pool when there is one (capacity/rolloutCpu budgets its CPU for the rollout).
        { flux: config.flux, shardLoads: shardLoadsOf(tenants.plan), windowSeconds: tenants.plan.windowSeconds, role: generalRole },
        { ...k8sOpts, dependsOn: flux.ready },
    );

    return {
        environment: config.environment,
        // Only where there is one: the engine warns about an undefined output.
        ...(cluster.renderDirectory !== undefined ? { renderDirectory: cluster.renderDirectory } : {}),
        appNamespace: appNamespace.metadata.name,
        media: media.app,
    };
}
