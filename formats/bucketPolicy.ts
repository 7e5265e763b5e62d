// The media bucket's access rules as data: the policy documents the component attaches, and the analysis
// that proves a policy document lets no one outside the CDN read the bucket. Pure (no Pulumi imports): the
// policy pack runs the same analysis on the documents it reads from registered resources.
import { contains, formatCidr, parseCidr, splitToPrefix, type Cidr } from "./cidr";

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: "*" | Record<string, string | string[]>;
    NotPrincipal?: "*" | Record<string, string | string[]>;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: string;
    Statement: PolicyStatement | PolicyStatement[];
}

/** Every tenant's media lives under this prefix: one bucket per environment, not one per tenant. */
export const TENANT_PREFIX_ROOT = "tenants/";

const TENANT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The key prefix of one tenant's media, e.g. tenants/alice/. Tenant names are DNS labels. */
export function tenantKeyPrefix(tenant: string): string {
    if (tenant.length > 63 || !TENANT_NAME.test(tenant)) throw new Error(`tenant name ${JSON.stringify(tenant)} is not a DNS label`);
    return `${TENANT_PREFIX_ROOT}${tenant}/`;
}

export const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

/**
 * S3 treats an aws:SourceIp range broader than /8 (IPv4) or /32 (IPv6) as public ("The meaning of public",
 * Amazon S3 user guide), and BlockPublicPolicy then rejects the policy. Cloudflare publishes 2a06:98c0::/29,
 * so ranges are split to these prefixes before they go into the policy: same addresses, never "public".
 */
export const S3_NONPUBLIC_MAX_BREADTH = { 4: 8, 6: 32 } as const;

function parseAll(ranges: readonly string[]): Cidr[] {
    return ranges.map((r) => {
        const c = parseCidr(r);
        if (!c) throw new Error(`not an IP range: ${JSON.stringify(r)}`);
        return c;
    });
}

/** The CDN's ranges as the bucket policy lists them: split so S3 never counts one as public. */
export function policySourceRanges(ranges: readonly string[]): string[] {
    return parseAll(ranges)
        .flatMap((c) => splitToPrefix(c, S3_NONPUBLIC_MAX_BREADTH[c.family]))
        .map(formatCidr);
}

/** The aws:SourceIp values S3 would count as public (too broad), or that are not IP ranges at all. */
export function rangesTooBroadForS3(ranges: readonly string[]): string[] {
    return ranges.filter((r) => {
        const c = parseCidr(r);
        return !c || c.prefix < S3_NONPUBLIC_MAX_BREADTH[c.family];
    });
}

export interface MediaBucketPolicyOptions {
    /** IP ranges of the CDN that may read tenant media; none means nobody reads anonymously. */
    cdnRanges?: readonly string[];
}

/**
 * The bucket policy: requests without TLS are refused, and anonymous reads of tenant media (GetObject only,
 * under tenants/) are allowed from the CDN's ranges and nowhere else. Listing, versions and writes are never public.
 */
export function mediaBucketPolicy(bucket: string, opts: MediaBucketPolicyOptions = {}): PolicyDocument {
    const arn = bucketArn(bucket);
    const statements: PolicyStatement[] = [
        {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
    ];
    if (opts.cdnRanges && opts.cdnRanges.length > 0) {
        statements.push({
            Sid: "CdnReadsTenantMedia",
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: `${arn}/${TENANT_PREFIX_ROOT}*`,
            Condition: { IpAddress: { "aws:SourceIp": policySourceRanges(opts.cdnRanges) } },
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * What the platform's writers may do: read, write and delete current objects under tenants/, abort their
 * multipart uploads, and list keys under tenants/. Not: object versions (so versioning still protects against
 * a writer's mistake), bucket settings, or anything outside tenants/.
 */
export function mediaWriterPolicy(bucket: string): PolicyDocument {
    const arn = bucketArn(bucket);
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "TenantObjects",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                Resource: `${arn}/${TENANT_PREFIX_ROOT}*`,
            },
            {
                Sid: "ListTenantKeys",
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: arn,
                Condition: { StringLike: { "s3:prefix": [`${TENANT_PREFIX_ROOT}*`] } },
            },
        ],
    };
}

// ---- analysis ---------------------------------------------------------------------------------------

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A policy given as JSON text or as an object; undefined when it is neither (e.g. unknown at preview). */
export function parsePolicy(policy: unknown): PolicyDocument | undefined {
    if (typeof policy === "string") {
        try {
            return parsePolicy(JSON.parse(policy));
        } catch {
            return undefined;
        }
    }
    if (policy !== null && typeof policy === "object" && "Statement" in policy) return policy as PolicyDocument;
    return undefined;
}

export function statementsOf(doc: PolicyDocument): PolicyStatement[] {
    return asList(doc.Statement);
}

/** True when a statement's principal takes in anonymous callers: "*", a "*" inside it, or any NotPrincipal. */
export function isPublicPrincipal(s: PolicyStatement): boolean {
    if (s.NotPrincipal !== undefined) return true;
    if (s.Principal === undefined) return false;
    if (s.Principal === "*") return true;
    return Object.values(s.Principal).some((v) => asList(v).some((p) => p.includes("*")));
}

/** The Allow statements that grant something to everyone (before any condition is considered). */
export function publicStatements(policy: PolicyDocument): PolicyStatement[] {
    return statementsOf(policy).filter((s) => s.Effect === "Allow" && isPublicPrincipal(s));
}

/** The principals (other than everyone) that Allow statements name, e.g. for a cross-account check. */
export function grantedPrincipals(policy: PolicyDocument): string[] {
    return statementsOf(policy)
        .filter((s) => s.Effect === "Allow" && s.Principal !== undefined && s.Principal !== "*")
        .flatMap((s) => Object.values(s.Principal as Record<string, string | string[]>).flatMap((v) => asList(v)))
        .filter((p) => !p.includes("*"));
}

/**
 * The aws:SourceIp ranges a statement is limited to by a plain `IpAddress` condition, or undefined when it
 * has none. `…IfExists` and set operators do not count: they let a request without the key through.
 */
export function sourceIpLimit(s: PolicyStatement): string[] | undefined {
    const ip = s.Condition?.IpAddress;
    if (!ip) return undefined;
    const key = Object.keys(ip).find((k) => k.toLowerCase() === "aws:sourceip");
    return key === undefined ? undefined : asList(ip[key]);
}

/** The only action the CDN needs; anything broader (versions, listing, wildcards) is never public. */
export const CDN_READ_ACTION = "s3:GetObject";

const label = (s: PolicyStatement, i: number) => (s.Sid ? `statement ${s.Sid}` : `statement ${i + 1}`);

/**
 * Everything in a policy that lets someone outside `allowedRanges` read (or do anything else to) the bucket
 * anonymously; empty when the only public grant is GetObject limited to ranges inside `allowedRanges`.
 * Conservative: a restriction it cannot prove (a Deny elsewhere, an unusual operator) counts as none.
 */
export function publicAccessProblems(policy: PolicyDocument, allowedRanges: readonly string[]): string[] {
    const allowed = parseAll(allowedRanges);
    const problems: string[] = [];
    statementsOf(policy).forEach((s, i) => {
        if (s.Effect !== "Allow" || !isPublicPrincipal(s)) return;
        const who = s.NotPrincipal !== undefined ? "everyone but the listed principals" : "everyone";
        if (s.NotAction !== undefined) {
            problems.push(`${label(s, i)} grants every action except ${asList(s.NotAction).join(", ")} to ${who}`);
            return;
        }
        const extra = asList(s.Action).filter((a) => a.toLowerCase() !== CDN_READ_ACTION.toLowerCase());
        if (extra.length > 0) problems.push(`${label(s, i)} grants ${extra.join(", ")} to ${who} (only ${CDN_READ_ACTION} may be public)`);
        const limit = sourceIpLimit(s);
        if (allowed.length === 0) {
            problems.push(`${label(s, i)} grants reads to ${who}, and no CDN ranges are allowed`);
        } else if (limit === undefined || limit.length === 0) {
            problems.push(`${label(s, i)} grants reads to ${who} without limiting aws:SourceIp to the CDN's ranges`);
        } else {
            const outside = limit.filter((r) => {
                const c = parseCidr(r);
                return !c || !allowed.some((a) => contains(a, c));
            });
            if (outside.length > 0) problems.push(`${label(s, i)} lets ${outside.join(", ")} read, outside the CDN's ranges`);
        }
    });
    return problems;
}

/** True when no one outside `ranges` can read the bucket anonymously through this policy. */
export function isReadRestrictedToCidrs(policy: PolicyDocument, ranges: readonly string[]): boolean {
    return publicAccessProblems(policy, ranges).length === 0;
}
