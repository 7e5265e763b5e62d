// Media buckets: not readable beyond the CDN restriction, encrypted, versioned, with lifecycle. The analysis of
// the registered S3 resources and bucket policies is the media component's own (formats/bucketChecks),
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
        "Keep a BucketPublicAccessBlock with all four flags on, BucketOwnershipControls BucketOwnerEnforced, no public ACL, and a bucket policy whose only anonymous Allow is s3:GetObject under tenants/ with an aws:SourceIp condition listing the CDN's ranges (formats/bucketPolicy.ts mediaBucketPolicy).",
});

export const bucketEncryption = aspectRule("encryption", {
    name: "media-bucket-encrypted",
    description: "Media buckets are encrypted at rest: S3 buckets with default server-side encryption, Ceph RGW buckets by a KMS on their object store or dm-crypt on the cluster's OSDs.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "S3: add a BucketServerSideEncryptionConfiguration with applyServerSideEncryptionByDefault.sseAlgorithm AES256 (SSE-S3: the CDN's anonymous reads cannot use a KMS key). Ceph RGW: set storage.encryptedDevices: true (dm-crypt on every OSD Rook creates; existing OSDs are encrypted as they are re-created, one node at a time), or give the CephObjectStore a KMS (security.s3 with Vault) for RGW's own SSE-S3.",
});

export const bucketVersioning = aspectRule("versioning", {
    name: "media-bucket-versioned",
    description: "S3 media buckets keep versions, so an overwrite or delete can be undone (Ceph RGW buckets: media-bucket-rgw-limits).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Add a BucketVersioning with versioningConfiguration.status Enabled (and a lifecycle rule expiring noncurrent versions).",
});

export const bucketLifecycle = aspectRule("lifecycle", {
    name: "media-bucket-lifecycle",
    description: "Media buckets (S3 and Ceph RGW) expire noncurrent versions and abort incomplete multipart uploads.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
        "S3: add a BucketLifecycleConfiguration with whole-bucket rules: noncurrentVersionExpiration (media.noncurrentVersionDays) and abortIncompleteMultipartUpload (media.incompleteUploadDays). Ceph RGW: the same two rules in the claim's additionalConfig.bucketLifecycle, with the Rook operator allowing that field (obcAllowAdditionalConfigFields). Otherwise old versions and abandoned uploads are stored and billed forever.",
});

export const bucketRgwLimits = aspectRule("rgw-limits", {
    name: "media-bucket-rgw-limits",
    description: "Says what a Ceph RGW media bucket cannot have that an S3 one must: versioning (no ObjectBucketClaim setting turns it on), so media-bucket-versioned covers S3 buckets only.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
        "Nothing the stack declares can turn versioning on for a bucket Rook provisions. Until it can, keep tenant media on RGW backed up elsewhere, or turn versioning on by hand with the claim's credentials (`aws s3api put-bucket-versioning --bucket <bucket> --versioning-configuration Status=Enabled --endpoint-url <BUCKET_HOST>`; README, \"Media on Ceph RGW\"): the lifecycle rule that expires noncurrent versions is already there.",
});

export const rules = [bucketAccess, bucketEncryption, bucketVersioning, bucketLifecycle, bucketRgwLimits];
