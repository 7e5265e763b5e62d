// Media buckets: not readable beyond the CDN restriction, encrypted, versioned, with lifecycle. The analysis of
// the registered S3 resources and bucket policies is the media component's own (components/media/bucketChecks),
// so the component's tests and these rules judge a bucket the same way; each aspect of its findings is a rule.
import { CLOUDFLARE_RANGES } from "../../formats/cloudflareRanges";
import { mediaBucketFindings, OBJECT_BUCKET_CLAIM_TYPE, S3_TYPES, type BucketAspect } from "../../formats/bucketChecks";
import { isUnknown, rule, type PolicyResource, type Rule } from "../framework";

/** The bucket resource a finding is about, for reporting against its URN. */
function bucketResource(resources: PolicyResource[], bucket: string): PolicyResource | undefined {
    return resources.find(
        (r) =>
            ((S3_TYPES.bucket as readonly string[]).includes(r.type) && (r.props.bucket === bucket || r.type === bucket)) ||
            (r.type === OBJECT_BUCKET_CLAIM_TYPE && (r.props.spec?.bucketName ?? r.props.metadata?.name) === bucket),
    );
}

function aspectRule(aspect: BucketAspect, spec: Omit<Rule<{ cdnRanges: string[] }>, "family" | "config" | "checkStack">): Rule<{ cdnRanges: string[] }> {
    return rule<{ cdnRanges: string[] }>({
        ...spec,
        family: "media",
        config: {
            cdnRanges: {
                type: "array",
                items: { type: "string" },
                // Cloudflare's published ranges (components/media/cloudflareRanges.ts, www.cloudflare.com/ips-v4 and ips-v6).
                default: [...CLOUDFLARE_RANGES],
                description: "IP ranges of the CDN: the only sources a media bucket may serve anonymous reads to.",
            },
        },
        checkStack(resources, config, report) {
            for (const f of mediaBucketFindings(resources, config.cdnRanges, { isUnknown })) {
                const mine = f.issues.filter((i) => i.aspect === aspect);
                if (mine.length === 0) continue;
                const r = bucketResource(resources, f.bucket);
                for (const i of mine) report(`bucket ${f.bucket}: ${i.message}.`, r?.urn);
            }
        },
    });
}

export const bucketAccess = aspectRule("access", {
    name: "media-bucket-cdn-only",
    description: "Media buckets are not readable beyond the CDN restriction: public access blocked, ACLs off, reads only from the CDN's ranges.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Keep a BucketPublicAccessBlock with all four flags on, BucketOwnershipControls BucketOwnerEnforced, no public ACL, and a bucket policy whose only anonymous Allow is s3:GetObject under tenants/ with an aws:SourceIp condition listing the CDN's ranges (components/media/bucketPolicy.ts mediaBucketPolicy).",
});

export const bucketEncryption = aspectRule("encryption", {
    name: "media-bucket-encrypted",
    description: "Media buckets have default server-side encryption.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Add a BucketServerSideEncryptionConfiguration with applyServerSideEncryptionByDefault.sseAlgorithm AES256 (SSE-S3: the CDN's anonymous reads cannot use a KMS key).",
});

export const bucketVersioning = aspectRule("versioning", {
    name: "media-bucket-versioned",
    description: "Media buckets keep versions, so an overwrite or delete can be undone.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Add a BucketVersioning with versioningConfiguration.status Enabled (and a lifecycle rule expiring noncurrent versions).",
});

export const bucketLifecycle = aspectRule("lifecycle", {
    name: "media-bucket-lifecycle",
    description: "Media buckets expire noncurrent versions and abort incomplete multipart uploads.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
        "Add a BucketLifecycleConfiguration with whole-bucket rules: noncurrentVersionExpiration (media.noncurrentVersionDays) and abortIncompleteMultipartUpload (media.incompleteUploadDays); otherwise old versions and abandoned uploads are stored and billed forever.",
});

export const rules = [bucketAccess, bucketEncryption, bucketVersioning, bucketLifecycle];
