// What an app needs to use the media bucket, identical for S3 and Ceph RGW: where to send S3 requests,
// which bucket, where the credentials are, and the public hostname media is served from. Pure: every
// value follows from config, so it is known at preview and can be a stack output.
import type { MediaConfig } from "../../config/media";
import { TENANT_PREFIX_ROOT } from "../../formats/bucketPolicy";

/** Name of the credentials Secret and endpoint ConfigMap (an ObjectBucketClaim names both after itself). */
export const MEDIA_BUCKET_OBJECT_NAME = "media-bucket";
/** Region RGW reports to SDKs; it ignores the region when checking signatures (Rook uses the same, CephRegion). */
export const RGW_REGION = "us-east-1";

export interface ObjectStoreRef {
    /** CephObjectStore name (storage.objectStore.name). */
    name: string;
    /** Namespace of the Ceph cluster and its object store. */
    namespace: string;
    /** RGW gateway HTTP port. */
    port: number;
}

export interface MediaAppInterface {
    provider: "s3" | "rgw";
    /** S3 API endpoint the app's SDK talks to. */
    endpoint: string;
    /** Bucket name: the media hostname, for both providers. */
    bucket: string;
    region: string;
    /** Bucket names with dots need path-style requests (TLS certificates do not cover them as subdomains). */
    pathStyle: boolean;
    /** Public hostname media is served from (e.g. Mastodon's S3_ALIAS_HOST). */
    cdnHostname: string;
    /** Namespace holding the credentials Secret and endpoint ConfigMap. */
    namespace: string;
    /** Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
    credentialsSecret: string;
    /** ConfigMap with BUCKET_HOST, BUCKET_PORT, BUCKET_NAME and BUCKET_REGION (the keys an ObjectBucketClaim gives). */
    endpointConfigMap: string;
    /** Every tenant's keys start with this prefix and then the tenant's name. */
    tenantPrefixRoot: string;
}

/** The S3 API host for a region (the regional REST endpoint). */
export const s3Host = (region: string) => `s3.${region}.amazonaws.com`;
/** The in-cluster RGW service Rook creates for an object store. */
export const rgwHost = (store: ObjectStoreRef) => `rook-ceph-rgw-${store.name}.${store.namespace}.svc`;

export function mediaAppInterface(media: MediaConfig, namespace: string, store: ObjectStoreRef): MediaAppInterface {
    const common = {
        bucket: media.hostname,
        pathStyle: true,
        cdnHostname: media.hostname,
        namespace,
        credentialsSecret: MEDIA_BUCKET_OBJECT_NAME,
        endpointConfigMap: MEDIA_BUCKET_OBJECT_NAME,
        tenantPrefixRoot: TENANT_PREFIX_ROOT,
    };
    if (media.provider === "s3") {
        if (!media.region) throw new Error("media.region is required for an s3 bucket");
        return { provider: "s3", endpoint: `https://${s3Host(media.region)}`, region: media.region, ...common };
    }
    return { provider: "rgw", endpoint: `http://${rgwHost(store)}:${store.port}`, region: RGW_REGION, ...common };
}

/** The ConfigMap data an ObjectBucketClaim would give, for an app interface. */
export function endpointConfigData(app: MediaAppInterface): Record<string, string> {
    const url = new URL(app.endpoint);
    return {
        BUCKET_HOST: url.hostname,
        BUCKET_PORT: url.port || (url.protocol === "https:" ? "443" : "80"),
        BUCKET_NAME: app.bucket,
        BUCKET_REGION: app.region,
    };
}
