// MediaStorage: where tenants' media lives and how apps reach it. S3 behind Cloudflare on cloud stacks,
// a Ceph RGW bucket claim on the embedded default; either way apps get the same interface.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MediaConfig } from "../../config/media";
import { mediaAppInterface, s3Host, type MediaAppInterface } from "./appInterface";
import { CLOUDFLARE_RANGES } from "../../formats/cloudflareRanges";
import { createCloudflareCdn } from "./cloudflareCdn";
import { createRgwMedia } from "./rgwBucket";
import { createS3Media } from "./s3Bucket";

export interface MediaStorageArgs {
    /** The media config section (provider, hostname, CDN, lifecycle). */
    media: MediaConfig;
    /** Environment name, in the writers' IAM user name and tags. */
    environment: string;
    /** Kubernetes provider of the cluster. */
    provider: k8s.Provider;
    /** Namespace of the apps that write media; the credentials Secret and endpoint ConfigMap land there. */
    namespace: string;
    /** rgw: the Ceph object store; namespace defaults to rook-ceph, port to 80 (Rook's example object store). */
    objectStore: { name: string; namespace?: string; port?: number };
    /** rgw: namespace of the Rook operator, which prefixes the bucket provisioner's name. Default rook-ceph. */
    rookOperatorNamespace?: string;
    /** s3 with Cloudflare: ranges that may read media. Default Cloudflare's published ranges (cloudflareRanges.ts). */
    cdnRanges?: readonly string[];
    /** Resources the in-cluster objects wait for, e.g. the app namespace. Default none. */
    dependsOn?: pulumi.Resource[];
}

/** Labels on every Kubernetes object of the component. */
export const MEDIA_LABELS = { "app.kubernetes.io/part-of": "media-platform", "app.kubernetes.io/component": "media" };

export class MediaStorage extends pulumi.ComponentResource {
    /** What apps need (endpoint, bucket, credentials Secret, CDN hostname); plain values, known at preview. */
    readonly app: MediaAppInterface;

    constructor(name: string, args: MediaStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:media:MediaStorage", name, {}, opts);
        this.app = createMediaStorage(name, args, this);
        this.registerOutputs({ app: this.app });
    }
}

export function createMediaStorage(name: string, args: MediaStorageArgs, parent: pulumi.Resource): MediaAppInterface {
    const m = args.media;
    const objectStore = { name: args.objectStore.name, namespace: args.objectStore.namespace ?? "rook-ceph", port: args.objectStore.port ?? 80 };
    const app = mediaAppInterface(m, args.namespace, objectStore);
    const common = { app, provider: args.provider, dependsOn: args.dependsOn ?? [], labels: MEDIA_LABELS };

    if (m.provider === "rgw") {
        createRgwMedia(name, { ...common, media: m, objectStore, rookOperatorNamespace: args.rookOperatorNamespace ?? "rook-ceph" }, parent);
        return app;
    }
    const cloudflare = m.cdn.provider === "cloudflare";
    createS3Media(name, { ...common, media: m, environment: args.environment, cdnRanges: cloudflare ? (args.cdnRanges ?? CLOUDFLARE_RANGES) : [] }, parent);
    if (cloudflare) {
        if (!m.cdn.zone) throw new Error("media.cdn.zone is required when media.cdn.provider is cloudflare");
        createCloudflareCdn(name, { hostname: m.hostname, zone: m.cdn.zone, originHost: `${app.bucket}.${s3Host(app.region)}`, edgeTtlSeconds: m.cdn.edgeTtlSeconds }, parent);
    }
    return app;
}
