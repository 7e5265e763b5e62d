// The cloud path: one S3 bucket per environment (tenants are key prefixes), locked down except for CDN
// reads, plus the writers' IAM identity and its credentials in the cluster.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MediaConfig } from "../../config/media";
import { endpointConfigData, type MediaAppInterface } from "./appInterface";
import { mediaBucketPolicy, mediaWriterPolicy } from "../../formats/bucketPolicy";

export interface S3MediaArgs {
    media: MediaConfig;
    environment: string;
    app: MediaAppInterface;
    /** Ranges that may read tenant media anonymously (the CDN's); none when there is no CDN. */
    cdnRanges: readonly string[];
    provider: k8s.Provider;
    dependsOn: pulumi.Resource[];
    labels: Record<string, string>;
}

/** Cache lifetime browsers may keep CORS preflight answers for, in seconds. */
export const CORS_MAX_AGE_SECONDS = 3600;

export function createS3Media(name: string, args: S3MediaArgs, parent: pulumi.Resource) {
    const bucketName = args.app.bucket;
    const region = args.app.region;
    const tags = { "media-platform:environment": args.environment, "media-platform:purpose": "tenant-media" };

    // Named after the media hostname: Cloudflare forwards Host: <hostname>, and S3 takes a Host outside
    // amazonaws.com as the bucket name. Protected: it holds every tenant's media.
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: bucketName, region, forceDestroy: false, tags }, { parent, protect: true });
    // Settings name the bucket by its plain name (known at preview, so policies can match them to it).
    const opts = { parent, dependsOn: [bucket] };

    // ACLs off: only the bucket policy decides who reads, and no object ACL can make an object public.
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucketName, region, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
    // All four on. The CDN grant survives them: S3 does not count a grant limited to aws:SourceIp ranges
    // (none broader than /8 or /32) as public.
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access-block`,
        { bucket: bucketName, region, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        opts,
    );
    // SSE-S3, not SSE-KMS: anonymous requests (the CDN's reads) cannot use a KMS key, so KMS would break serving.
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        { bucket: bucketName, region, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
        opts,
    );
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucketName, region, versioningConfiguration: { status: "Enabled" } }, opts);
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        {
            bucket: bucketName,
            region,
            rules: [
                {
                    id: "expire-noncurrent-versions",
                    status: "Enabled",
                    filter: {},
                    noncurrentVersionExpiration: { noncurrentDays: args.media.noncurrentVersionDays },
                    // Once its noncurrent versions are gone, a delete marker only costs listing time.
                    expiration: { expiredObjectDeleteMarker: true },
                },
                {
                    id: "abort-incomplete-multipart-uploads",
                    status: "Enabled",
                    filter: {},
                    abortIncompleteMultipartUpload: { daysAfterInitiation: args.media.incompleteUploadDays },
                },
            ],
        },
        // S3 asks for versioning to be settled before lifecycle rules about versions.
        { parent, dependsOn: [bucket, versioning] },
    );
    new aws.s3.BucketCorsConfiguration(
        `${name}-cors`,
        {
            bucket: bucketName,
            region,
            corsRules: [
                {
                    allowedMethods: ["GET", "HEAD"],
                    allowedOrigins: args.media.corsOrigins ?? [`https://${args.media.hostname}`],
                    allowedHeaders: ["*"],
                    exposeHeaders: ["ETag"],
                    maxAgeSeconds: CORS_MAX_AGE_SECONDS,
                },
            ],
        },
        opts,
    );
    // After the public access block: S3 refuses concurrent changes to the two.
    new aws.s3.BucketPolicy(
        `${name}-policy`,
        { bucket: bucketName, region, policy: JSON.stringify(mediaBucketPolicy(bucketName, { cdnRanges: args.cdnRanges })) },
        { parent, dependsOn: [bucket, publicAccessBlock] },
    );

    // The platform's writers: one IAM user for the environment (per-tenant users would grow Pulumi state with
    // tenants), allowed only current objects under tenants/ in this bucket.
    const writer = new aws.iam.User(`${name}-writer`, { name: `media-writer-${args.environment}`, path: "/media-platform/", tags }, { parent });
    new aws.iam.UserPolicy(`${name}-writer-policy`, { user: writer.name, name: "media-bucket-writer", policy: JSON.stringify(mediaWriterPolicy(bucketName)) }, { parent });
    const key = new aws.iam.AccessKey(`${name}-writer-key`, { user: writer.name }, { parent });

    // The same Secret and ConfigMap an ObjectBucketClaim gives, so apps read one interface on every stack.
    const k8sOpts = { parent, provider: args.provider, dependsOn: args.dependsOn };
    const metadata = { name: args.app.credentialsSecret, namespace: args.app.namespace, labels: args.labels };
    new k8s.core.v1.Secret(
        `${name}-credentials`,
        { metadata, type: "Opaque", stringData: { AWS_ACCESS_KEY_ID: key.id, AWS_SECRET_ACCESS_KEY: key.secret } },
        k8sOpts,
    );
    new k8s.core.v1.ConfigMap(
        `${name}-endpoint`,
        { metadata: { ...metadata, name: args.app.endpointConfigMap }, data: endpointConfigData(args.app) },
        k8sOpts,
    );
    return { bucket, writer };
}
