// Checks on registered media buckets, read from the resources' own fields: not readable beyond the CDN
// restriction, public access blocked, ACLs off, encrypted, versioned, with lifecycle; for a Ceph RGW bucket claim
// the same, as far as Rook and RGW can do them, and what they cannot said explicitly. Pure (no Pulumi
// imports) and fed plain `{ type, props }` records, so the policy pack can call it from validateStack.
import { parsePolicy, publicAccessProblems, rangesTooBroadForS3, sourceIpLimit, statementsOf } from "./bucketPolicy";
import { isUnknown } from "../contract/resource";

/** A registered resource as the policy pack (props) or the test harness (inputs, renamed) sees it. */
export interface ResourceRecord {
    type: string;
    props: Record<string, any>;
}

/** What a problem is about: the policy pack turns each aspect into a rule of its own. */
export type BucketAspect = "access" | "encryption" | "versioning" | "lifecycle" | "rgw-limits";

export interface BucketIssue {
    aspect: BucketAspect;
    message: string;
}

export interface BucketFinding {
    /** Bucket name (or resource type when it has none). */
    bucket: string;
    /** Every problem, by aspect. */
    issues: BucketIssue[];
    /** The same problems as plain messages. */
    problems: string[];
}

/** Type tokens of the S3 resources the checks read; v7 names first, the deprecated V2 names after. */
export const S3_TYPES = {
    bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
    publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
    policy: ["aws:s3/bucketPolicy:BucketPolicy"],
    ownership: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"],
    acl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
    encryption: [
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    ],
    versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
    lifecycle: ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"],
} as const;

export const OBJECT_BUCKET_CLAIM_TYPE = "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim";

/** Canned ACLs that grant to AllUsers or AuthenticatedUsers. */
export const PUBLIC_CANNED_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEE = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;
const PUBLIC_ACCESS_BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

const isWholeBucket = (rule: any) =>
    (rule.prefix === undefined || rule.prefix === "") &&
    (rule.filter === undefined ||
        rule.filter === null ||
        ((rule.filter.prefix === undefined || rule.filter.prefix === "") &&
            rule.filter.tag === undefined &&
            rule.filter.and === undefined &&
            rule.filter.objectSizeGreaterThan === undefined &&
            rule.filter.objectSizeLessThan === undefined));

function policyProblems(policy: unknown, where: string, cdnRanges: readonly string[]): string[] {
    const doc = parsePolicy(policy);
    if (!doc) return [`${where}: the policy is not a JSON policy document known at preview`];
    const problems = publicAccessProblems(doc, cdnRanges).map((p) => `${where}: ${p}`);
    // S3 counts broad aws:SourceIp ranges as public: with BlockPublicPolicy on, the policy would be refused.
    const broad = statementsOf(doc).flatMap((s) => rangesTooBroadForS3(sourceIpLimit(s) ?? []));
    if (broad.length > 0) problems.push(`${where}: aws:SourceIp ${broad.join(", ")} is broader than S3 accepts as non-public (/8 IPv4, /32 IPv6)`);
    return problems;
}

function s3BucketIssues(bucket: ResourceRecord, all: ResourceRecord[], cdnRanges: readonly string[]): BucketIssue[] {
    const name: string = bucket.props.bucket;
    const related = (types: readonly string[]) => all.filter((r) => (types as readonly string[]).includes(r.type) && r.props.bucket === name);
    const issues: BucketIssue[] = [];
    const add = (aspect: BucketAspect, ...messages: string[]) => issues.push(...messages.map((message) => ({ aspect, message })));

    if (PUBLIC_CANNED_ACLS.includes(bucket.props.acl)) add("access", `the bucket's acl ${bucket.props.acl} makes it public`);
    if (bucket.props.policy !== undefined) add("access", ...policyProblems(bucket.props.policy, "the bucket's inline policy", cdnRanges));

    const blocks = related(S3_TYPES.publicAccessBlock);
    if (blocks.length === 0) add("access", "no BucketPublicAccessBlock: public ACLs and policies are not blocked");
    for (const b of blocks) {
        const off = PUBLIC_ACCESS_BLOCK_FLAGS.filter((f) => b.props[f] !== true);
        if (off.length > 0) add("access", `BucketPublicAccessBlock leaves ${off.join(", ")} off`);
    }
    for (const p of related(S3_TYPES.policy)) add("access", ...policyProblems(p.props.policy, "BucketPolicy", cdnRanges));
    for (const a of related(S3_TYPES.acl)) {
        const grants: any[] = a.props.accessControlPolicy?.grants ?? [];
        if (PUBLIC_CANNED_ACLS.includes(a.props.acl) || grants.some((g) => PUBLIC_GRANTEE.test(g?.grantee?.uri ?? ""))) {
            add("access", "a BucketAcl grants access to everyone");
        }
    }
    if (!related(S3_TYPES.ownership).some((o) => o.props.rule?.objectOwnership === "BucketOwnerEnforced")) {
        add("access", "ACLs are not disabled (BucketOwnershipControls with objectOwnership BucketOwnerEnforced)");
    }
    const encrypted = related(S3_TYPES.encryption).some((e) =>
        (e.props.rules ?? []).some((r: any) => typeof r?.applyServerSideEncryptionByDefault?.sseAlgorithm === "string"),
    );
    if (!encrypted) add("encryption", "no default encryption (BucketServerSideEncryptionConfiguration with an sseAlgorithm)");
    if (!related(S3_TYPES.versioning).some((v) => v.props.versioningConfiguration?.status === "Enabled")) {
        add("versioning", "versioning is not Enabled (BucketVersioning)");
    }
    const rules: any[] = related(S3_TYPES.lifecycle).flatMap((l) => l.props.rules ?? []);
    const enabled = rules.filter((r) => r?.status === "Enabled" && isWholeBucket(r));
    if (!enabled.some((r) => r.noncurrentVersionExpiration?.noncurrentDays > 0)) {
        add("lifecycle", "no lifecycle rule expires noncurrent versions across the whole bucket");
    }
    if (!enabled.some((r) => r.abortIncompleteMultipartUpload?.daysAfterInitiation > 0)) {
        add("lifecycle", "no lifecycle rule aborts incomplete multipart uploads across the whole bucket");
    }
    return issues;
}

const STORAGE_CLASS_TYPE = "kubernetes:storage.k8s.io/v1:StorageClass";
const OBJECT_STORE_TYPE = "kubernetes:ceph.rook.io/v1:CephObjectStore";
const CEPH_CLUSTER_TYPE = "kubernetes:ceph.rook.io/v1:CephCluster";
const HELM_RELEASE_TYPE = "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease";

/** Whole-bucket enabled rules of an S3-JSON lifecycle (Rook's bucketLifecycle), or undefined when it is not JSON. */
function rgwLifecycleRules(text: unknown): any[] | undefined {
    if (typeof text !== "string") return undefined;
    try {
        const doc = JSON.parse(text);
        const rules: any[] = Array.isArray(doc?.Rules) ? doc.Rules : [];
        const whole = (r: any) => (r.Prefix === undefined || r.Prefix === "") && (r.Filter === undefined || (Object.keys(r.Filter).length === 1 && r.Filter.Prefix === ""));
        return rules.filter((r) => r?.Status === "Enabled" && whole(r));
    } catch {
        return undefined;
    }
}

/**
 * What a Ceph RGW bucket claim lacks that an S3 media bucket has: encryption at rest (a KMS on its object store, or
 * dm-crypt on the cluster's OSDs), lifecycle rules (the claim's bucketLifecycle, which the operator must allow),
 * and versioning, which no claim field can turn on (said every time: it never passes silently).
 */
function claimIssues(claim: ResourceRecord, all: ResourceRecord[], isUnknown: (v: unknown) => boolean): BucketIssue[] {
    const issues: BucketIssue[] = [];
    const add = (aspect: BucketAspect, message: string) => issues.push({ aspect, message });
    const spec = claim.props.spec ?? {};
    const named = (type: string, name: unknown, namespace?: unknown) =>
        all.find((r) => r.type === type && r.props.metadata?.name === name && (namespace === undefined || r.props.metadata?.namespace === namespace));

    const sc = named(STORAGE_CLASS_TYPE, spec.storageClassName);
    const store = sc ? named(OBJECT_STORE_TYPE, sc.props.parameters?.objectStoreName, sc.props.parameters?.objectStoreNamespace) : undefined;
    const cluster = store ? all.find((r) => r.type === CEPH_CLUSTER_TYPE && r.props.metadata?.namespace === store.props.metadata?.namespace) : undefined;
    if (!store || !cluster) {
        add("encryption", `its object store is not in the stack (StorageClass ${spec.storageClassName ?? "(none)"}), so whether it is encrypted at rest cannot be told`);
    } else {
        const security = store.props.spec?.security ?? {};
        const sse = [security.s3, security.kms].some((k) => k && Object.keys(k.connectionDetails ?? {}).length > 0);
        const config = cluster.props.spec?.storage?.config ?? {};
        const nodes: any[] = cluster.props.spec?.storage?.nodes ?? [];
        const encrypted = (c: any) => c?.encryptedDevice === "true";
        const osdsEncrypted =
            (encrypted(config) && nodes.every((n) => n?.config?.encryptedDevice === undefined || encrypted(n.config))) ||
            (nodes.length > 0 && nodes.every((n) => encrypted(n?.config)));
        if (isUnknown(config) || isUnknown(security)) add("encryption", "its encryption settings are not known at preview");
        else if (!sse && !osdsEncrypted) {
            add(
                "encryption",
                "it is stored unencrypted: Ceph RGW encrypts objects by default only with a KMS on the CephObjectStore (security.s3, e.g. Vault), and the CephCluster does not encrypt its OSDs (storage.config.encryptedDevice: config storage.encryptedDevices)",
            );
        }
    }

    const lifecycle = spec.additionalConfig?.bucketLifecycle;
    const rules = rgwLifecycleRules(lifecycle);
    if (lifecycle !== undefined && rules === undefined) add("lifecycle", "additionalConfig.bucketLifecycle is not S3 lifecycle JSON");
    if (!(rules ?? []).some((r) => r.NoncurrentVersionExpiration?.NoncurrentDays > 0)) add("lifecycle", "no lifecycle rule expires noncurrent versions across the whole bucket (additionalConfig.bucketLifecycle)");
    if (!(rules ?? []).some((r) => r.AbortIncompleteMultipartUpload?.DaysAfterInitiation > 0)) add("lifecycle", "no lifecycle rule aborts incomplete multipart uploads across the whole bucket (additionalConfig.bucketLifecycle)");
    const rook = all.find((r) => r.type === HELM_RELEASE_TYPE && r.props.spec?.chart?.spec?.chart === "rook-ceph");
    const allowed = rook?.props.spec?.values?.obcAllowAdditionalConfigFields;
    // Rook's default allows maxObjects and maxSize only: it refuses a claim carrying any other field.
    for (const key of Object.keys(spec.additionalConfig ?? {})) {
        const fields = typeof allowed === "string" ? allowed.split(",").map((f) => f.trim()) : ["maxObjects", "maxSize"];
        if (rook && !fields.includes(key)) add("lifecycle", `additionalConfig.${key} is a field the Rook operator does not allow (obcAllowAdditionalConfigFields), so it refuses the claim`);
    }

    add("rgw-limits", "it is not versioned: Rook's ObjectBucketClaim has no setting that turns S3 versioning on, so an overwrite or delete of tenant media cannot be undone");
    return issues;
}

export interface FindingOptions {
    /** Recognises a value unknown at preview. Default: the contract's marker (contract/resource isUnknown). */
    isUnknown?: (v: unknown) => boolean;
}

/**
 * Every media bucket among the resources with what is wrong with it. S3 buckets are matched to their
 * settings by the explicit bucket name (known at preview); `cdnRanges` are the only sources that may read.
 * ObjectBucketClaims (Ceph RGW) may carry no public grant at all: the CDN never reaches RGW directly.
 */
export function mediaBucketFindings(resources: ResourceRecord[], cdnRanges: readonly string[], opts: FindingOptions = {}): BucketFinding[] {
    const isUnknownValue = opts.isUnknown ?? isUnknown;
    const findings: BucketFinding[] = [];
    const finding = (bucket: string, issues: BucketIssue[]) => findings.push({ bucket, issues, problems: issues.map((i) => i.message) });
    for (const r of resources) {
        if ((S3_TYPES.bucket as readonly string[]).includes(r.type)) {
            if (typeof r.props.bucket !== "string" || isUnknownValue(r.props.bucket)) {
                finding(r.type, [{ aspect: "access", message: "the bucket has no explicit name, so its settings cannot be matched to it at preview" }]);
            } else {
                finding(r.props.bucket, s3BucketIssues(r, resources, cdnRanges));
            }
        } else if (r.type === OBJECT_BUCKET_CLAIM_TYPE) {
            const spec = r.props.spec ?? {};
            const policy = spec.additionalConfig?.bucketPolicy;
            const issues = policy === undefined ? [] : policyProblems(policy, "additionalConfig.bucketPolicy", []).map((message) => ({ aspect: "access" as const, message }));
            finding(spec.bucketName ?? r.props.metadata?.name ?? r.type, [...issues, ...claimIssues(r, resources, isUnknown)]);
        }
    }
    return findings;
}
