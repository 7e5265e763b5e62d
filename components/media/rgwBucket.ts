// The embedded path (dev, homelab): a bucket on the Ceph object store through an ObjectBucketClaim. Rook's
// provisioner creates the bucket, an RGW user, and a Secret and ConfigMap named after the claim.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MediaAppInterface, ObjectStoreRef } from "./appInterface";

/** StorageClass the media claim uses; created here because nothing else offers bucket claims on the store. */
export const BUCKET_STORAGE_CLASS = "ceph-bucket";

export interface RgwMediaArgs {
    app: MediaAppInterface;
    objectStore: ObjectStoreRef;
    /** Namespace of the Rook operator: its bucket provisioner is named `<namespace>.ceph.rook.io/bucket`. */
    rookOperatorNamespace: string;
    provider: k8s.Provider;
    dependsOn: pulumi.Resource[];
    labels: Record<string, string>;
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
    // Only fields Rook allows by default (ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS is maxObjects,maxSize since
    // Rook 1.17): an OBC carrying bucketPolicy or bucketLifecycle is refused unless the operator opts in.
    const claim = new k8s.apiextensions.CustomResource(
        `${name}-bucket`,
        {
            apiVersion: "objectbucket.io/v1alpha1",
            kind: "ObjectBucketClaim",
            metadata: { name: args.app.credentialsSecret, namespace: args.app.namespace, labels: args.labels },
            spec: { bucketName: args.app.bucket, storageClassName: BUCKET_STORAGE_CLASS },
        },
        // Protected: the claim stands for every tenant's media.
        { parent, provider: args.provider, dependsOn: [storageClass, ...args.dependsOn], protect: true },
    );
    return { storageClass, claim };
}
