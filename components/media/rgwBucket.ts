// The embedded path (dev, homelab): a bucket on the Ceph object store through an ObjectBucketClaim. Rook's
// provisioner creates the bucket, an RGW user, and a Secret and ConfigMap named after the claim.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MediaConfig } from "../../config/media";
import type { MediaAppInterface, ObjectStoreRef } from "./appInterface";

/** StorageClass the media claim uses; created here because nothing else offers bucket claims on the store. */
export const BUCKET_STORAGE_CLASS = "ceph-bucket";

export interface RgwMediaArgs {
    app: MediaAppInterface;
    /** Lifecycle days (noncurrentVersionDays, incompleteUploadDays), as on S3. */
    media: Pick<MediaConfig, "noncurrentVersionDays" | "incompleteUploadDays">;
    objectStore: ObjectStoreRef;
    /** Namespace of the Rook operator: its bucket provisioner is named `<namespace>.ceph.rook.io/bucket`. */
    rookOperatorNamespace: string;
    provider: k8s.Provider;
    dependsOn: pulumi.Resource[];
    labels: Record<string, string>;
}

/**
 * The bucket's lifecycle as Rook's claim takes it (additionalConfig.bucketLifecycle: S3's JSON, rules sorted by ID
 * so that Rook's comparison is stable): the same two whole-bucket rules as the S3 bucket's.
 */
export function rgwLifecycle(media: RgwMediaArgs["media"]): string {
    return JSON.stringify({
        Rules: [
            { ID: "abort-incomplete-multipart-uploads", Status: "Enabled", Prefix: "", AbortIncompleteMultipartUpload: { DaysAfterInitiation: media.incompleteUploadDays } },
            // Takes effect on versions only once versioning is on (the claim cannot turn it on: media-bucket-rgw-limits).
            { ID: "expire-noncurrent-versions", Status: "Enabled", Prefix: "", NoncurrentVersionExpiration: { NoncurrentDays: media.noncurrentVersionDays } },
        ],
    });
}

/** The provisioner name Rook's operator registers for bucket claims. */
export const bucketProvisioner = (operatorNamespace: string) => `${operatorNamespace}.ceph.rook.io/bucket`;

export function createRgwMedia(name: string, args: RgwMediaArgs, parent: pulumi.Resource) {
    const storageClass = new k8s.storage.v1.StorageClass(
        `${name}-bucket-class`,
        {
            metadata: { name: BUCKET_STORAGE_CLASS, labels: args.labels },
            provisioner: bucketProvisioner(args.rookOperatorNamespace),
            // Retain: deleting a claim (a refactor, a typo) must never delete the tenants' media.
            reclaimPolicy: "Retain",
            parameters: { objectStoreName: args.objectStore.name, objectStoreNamespace: args.objectStore.namespace },
        },
        { parent, provider: args.provider },
    );
    // Rook refuses additionalConfig fields its operator does not allow (ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS,
    // maxObjects,maxSize by default since Rook 1.17): components/storage installs it allowing bucketLifecycle too.
    const claim = new k8s.apiextensions.CustomResource(
        `${name}-bucket`,
        {
            apiVersion: "objectbucket.io/v1alpha1",
            kind: "ObjectBucketClaim",
            metadata: { name: args.app.credentialsSecret, namespace: args.app.namespace, labels: args.labels },
            spec: { bucketName: args.app.bucket, storageClassName: BUCKET_STORAGE_CLASS, additionalConfig: { bucketLifecycle: rgwLifecycle(args.media) } },
        },
        // Protected: the claim stands for every tenant's media.
        { parent, provider: args.provider, dependsOn: [storageClass, ...args.dependsOn], protect: true },
    );
    return { storageClass, claim };
}
