// The media bucket's policy documents and the analysis that proves no one outside the CDN can read.
import fc from "fast-check";
import {
    grantedPrincipals,
    isReadRestrictedToCidrs,
    mediaBucketPolicy,
    mediaWriterPolicy,
    parsePolicy,
    policySourceRanges,
    publicAccessProblems,
    rangesTooBroadForS3,
    sourceIpLimit,
    statementsOf,
    tenantKeyPrefix,
    type PolicyDocument,
    type PolicyStatement,
} from "../../formats/bucketPolicy";
import { contains, formatCidr, parseCidr, splitToPrefix } from "../../formats/cidr";
import { CLOUDFLARE_RANGES } from "../../formats/cloudflareRanges";
import { anonymousAllowed } from "./anonymousAccess";

const BUCKET = "media.example.com";
const ARN = `arn:aws:s3:::${BUCKET}`;
const policy = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });
const cdnRead = (ranges: string[], extra: Partial<PolicyStatement> = {}): PolicyStatement => ({
    Effect: "Allow",
    Principal: "*",
    Action: "s3:GetObject",
    Resource: `${ARN}/tenants/*`,
    Condition: { IpAddress: { "aws:SourceIp": ranges } },
    ...extra,
});

describe("the media bucket policy", () => {
    const doc = mediaBucketPolicy(BUCKET, { cdnRanges: CLOUDFLARE_RANGES });

    it("grants GetObject under tenants/ to Cloudflare's ranges only, and refuses plain HTTP", () => {
        const [deny, read] = statementsOf(doc);
        expect(deny).toMatchObject({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
        expect(read).toMatchObject({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${ARN}/tenants/*` });
        expect(isReadRestrictedToCidrs(doc, CLOUDFLARE_RANGES)).toBe(true);
    });

    it("splits Cloudflare's /29 so S3 does not count the grant as public", () => {
        expect(rangesTooBroadForS3(CLOUDFLARE_RANGES)).toEqual(["2a06:98c0::/29"]);
        const listed = sourceIpLimit(statementsOf(doc)[1])!;
        expect(rangesTooBroadForS3(listed)).toEqual([]);
        expect(listed).toHaveLength(15 + 6 + 8);
        expect(listed).toContain("2a06:98c7::/32");
        expect(listed).not.toContain("2a06:98c0::/29");
    });

    it("serves Cloudflare and nobody else (checked against the access model)", () => {
        const get = (sourceIp?: string, key = "tenants/alice/a.png") => anonymousAllowed(doc, { action: "s3:GetObject", resource: `${ARN}/${key}`, sourceIp });
        expect(get("104.16.0.1")).toBe(true);
        expect(get("2a06:98c7::1")).toBe(true);
        expect(get("104.24.0.0")).toBe(true);
        expect(get("104.15.255.255")).toBe(false);
        expect(get("2a06:98c8::1")).toBe(false);
        expect(get(undefined)).toBe(false);
        expect(get("104.16.0.1", "private/backup.sql")).toBe(false);
        expect(anonymousAllowed(doc, { action: "s3:ListBucket", resource: ARN, sourceIp: "104.16.0.1" })).toBe(false);
        expect(anonymousAllowed(doc, { action: "s3:PutObject", resource: `${ARN}/tenants/x`, sourceIp: "104.16.0.1" })).toBe(false);
    });

    it("has no public statement at all without a CDN", () => {
        const private_ = mediaBucketPolicy(BUCKET);
        expect(statementsOf(private_).map((s) => s.Effect)).toEqual(["Deny"]);
        expect(isReadRestrictedToCidrs(private_, [])).toBe(true);
    });

    it("is JSON that parses back to itself", () => {
        expect(parsePolicy(JSON.stringify(doc))).toEqual(doc);
        expect(parsePolicy("{not json")).toBeUndefined();
        expect(parsePolicy(undefined)).toBeUndefined();
    });
});

describe("the writers' policy", () => {
    const doc = mediaWriterPolicy(BUCKET);
    const statements = statementsOf(doc);

    it("is limited to current objects under tenants/ of this bucket", () => {
        const actions = statements.flatMap((s) => [s.Action].flat());
        expect(actions).toEqual(expect.arrayContaining(["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListBucket"]));
        for (const a of actions) expect(a).not.toMatch(/\*|Version|Policy|Acl|Bucket(?!$)/);
        for (const s of statements) for (const r of [s.Resource].flat()) expect(r === ARN || r === `${ARN}/tenants/*`).toBe(true);
        expect(statements.find((s) => s.Action === "s3:ListBucket")?.Condition).toEqual({ StringLike: { "s3:prefix": ["tenants/*"] } });
    });

    it("names no principal (it is attached to the writer, never to the bucket)", () => {
        expect(statements.every((s) => s.Principal === undefined)).toBe(true);
    });
});

describe("tenant key prefixes", () => {
    it("puts each tenant under tenants/<name>/", () => {
        expect(tenantKeyPrefix("alice")).toBe("tenants/alice/");
        expect(() => tenantKeyPrefix("../bob")).toThrow(/not a DNS label/);
        expect(() => tenantKeyPrefix("Alice")).toThrow(/not a DNS label/);
    });
});

describe("publicAccessProblems", () => {
    const cf = [...CLOUDFLARE_RANGES];
    const problems = (...s: PolicyStatement[]) => publicAccessProblems(policy(...s), cf);

    it("accepts CDN reads, sub-ranges of them, denies, and grants to named principals", () => {
        expect(problems(cdnRead(["104.16.0.0/16", "2a06:98c3::/32"]))).toEqual([]);
        expect(problems({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: `${ARN}/*` })).toEqual([]);
        const named = policy({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "s3:*", Resource: `${ARN}/*` });
        expect(publicAccessProblems(named, cf)).toEqual([]);
        expect(grantedPrincipals(named)).toEqual(["arn:aws:iam::111122223333:root"]);
    });

    it.each<[string, PolicyStatement, RegExp]>([
        ["an unconditioned public read", { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${ARN}/*` }, /without limiting aws:SourceIp/],
        ["the whole internet", cdnRead(["0.0.0.0/0"]), /0\.0\.0\.0\/0 read, outside/],
        ["a range wider than Cloudflare's", cdnRead(["104.16.0.0/12"]), /104\.16\.0\.0\/12 read/],
        ["an IPv6 range next to Cloudflare's", cdnRead(["2a06:98c8::/32"]), /2a06:98c8::\/32 read/],
        ["IfExists (no address, no check)", { ...cdnRead(cf), Condition: { IpAddressIfExists: { "aws:SourceIp": cf } } }, /without limiting/],
        ["a set operator", { ...cdnRead(cf), Condition: { "ForAnyValue:IpAddress": { "aws:SourceIp": cf } } }, /without limiting/],
        ["NotIpAddress", { ...cdnRead(cf), Condition: { NotIpAddress: { "aws:SourceIp": ["10.0.0.0/8"] } } }, /without limiting/],
        ["a wildcard action", cdnRead(cf, { Action: "s3:Get*" }), /grants s3:Get\* to everyone/],
        ["writes", cdnRead(cf, { Action: ["s3:GetObject", "s3:PutObject"] }), /grants s3:PutObject/],
        ["listing", cdnRead(cf, { Action: "s3:ListBucket", Resource: ARN }), /grants s3:ListBucket/],
        ["old versions", cdnRead(cf, { Action: "s3:GetObjectVersion" }), /grants s3:GetObjectVersion/],
        ["NotAction", { ...cdnRead(cf), Action: undefined, NotAction: "s3:PutObject" }, /every action except/],
        ["NotPrincipal", { ...cdnRead(cf), Principal: undefined, Condition: undefined, NotPrincipal: { AWS: "arn:aws:iam::111122223333:root" } }, /everyone but the listed principals without/],
        ["an AWS wildcard principal", cdnRead(["0.0.0.0/0"], { Principal: { AWS: ["arn:aws:iam::111122223333:root", "*"] } }), /outside/],
        ["a garbage range", cdnRead(["104.16.0.0/13", "cloudflare"]), /cloudflare read/],
    ])("flags %s", (_what, statement, expected) => {
        expect(problems(statement).join("\n")).toMatch(expected);
    });

    it("allows no public statement at all when no CDN ranges are given", () => {
        expect(publicAccessProblems(policy(cdnRead(cf)), []).join()).toMatch(/no CDN ranges are allowed/);
    });
});

// ---- property: whatever the analysis accepts, no anonymous caller outside the allowed ranges can read --------

const OUTSIDE_ANYTHING = ["0.0.0.0/0", "::/0", "104.16.0.0/12", "10.0.0.0/8", "2a06:98c0::/28", "198.41.0.0/16"];
const anyV4 = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((n) => formatCidr({ family: 4, network: n, prefix: 32 }).replace(/\/32$/, ""));
const anyV6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((n) => formatCidr({ family: 6, network: n, prefix: 128 }).replace(/\/128$/, ""));
const subRange = fc.tuple(fc.constantFrom(...CLOUDFLARE_RANGES), fc.integer({ min: 0, max: 3 }), fc.nat()).map(([r, extra, pick]) => {
    const c = parseCidr(r)!;
    const parts = splitToPrefix(c, Math.min(c.prefix + extra, c.family === 4 ? 32 : 128));
    return formatCidr(parts[pick % parts.length]);
});
// Mostly Cloudflare's ranges and pieces of them, so that many generated policies pass the analysis.
const range = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...CLOUDFLARE_RANGES) },
    { weight: 4, arbitrary: subRange },
    { weight: 1, arbitrary: fc.constantFrom(...OUTSIDE_ANYTHING) },
    { weight: 1, arbitrary: anyV4.map((a) => `${a}/24`) },
    { weight: 1, arbitrary: anyV6.map((a) => `${a}/48`) },
);
const ranges = fc.array(range, { minLength: 1, maxLength: 4 });

const statement: fc.Arbitrary<PolicyStatement> = fc.record(
    {
        Effect: fc.constantFrom<"Allow" | "Deny">("Allow", "Allow", "Allow", "Deny"),
        who: fc.constantFrom<any>(
            { Principal: "*" },
            { Principal: { AWS: "*" } },
            { Principal: { AWS: ["arn:aws:iam::111122223333:root", "*"] } },
            { Principal: { AWS: "arn:aws:iam::111122223333:root" } },
            { Principal: { Service: "logging.s3.amazonaws.com" } },
            { NotPrincipal: { AWS: "arn:aws:iam::111122223333:root" } },
        ),
        what: fc.constantFrom<any>(
            { Action: "s3:GetObject" },
            { Action: "S3:getobject" },
            { Action: "s3:Get*" },
            { Action: "s3:Get?bject" },
            { Action: "s3:*" },
            { Action: "*" },
            { Action: ["s3:GetObject", "s3:ListBucket"] },
            { Action: "s3:GetObjectVersion" },
            { Action: "s3:PutObject" },
            { NotAction: "s3:PutObject" },
        ),
        Resource: fc.constantFrom<any>(`${ARN}/*`, `${ARN}/tenants/*`, ARN, "*", [ARN, `${ARN}/*`]),
        Condition: fc.option(
            fc.dictionary(
                fc.constantFrom("IpAddress", "NotIpAddress", "IpAddressIfExists", "ForAnyValue:IpAddress", "Bool", "StringLike"),
                ranges,
                { maxKeys: 3 },
            ),
            { nil: undefined },
        ),
    },
    { requiredKeys: ["Effect", "who", "what", "Resource"] },
).map(({ who, what, Condition, ...rest }) => {
    const conditions: PolicyStatement["Condition"] = {};
    for (const [op, values] of Object.entries(Condition ?? {})) {
        if (op === "Bool") conditions[op] = { "aws:SecureTransport": "true" };
        else if (op === "StringLike") conditions[op] = { "aws:Referer": "https://social.example.com/*" };
        else conditions[op] = { "aws:SourceIp": values };
    }
    return { ...rest, ...who, ...what, ...(Condition ? { Condition: conditions } : {}) };
});

const ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:PutObject", "s3:DeleteObject"];
const RESOURCES = [`${ARN}/tenants/alice/a.png`, `${ARN}/private/db.sql`, ARN];

/** Addresses just inside and just outside every range the policy mentions, plus random ones. */
function probes(doc: PolicyDocument, random: string[]): (string | undefined)[] {
    const out: (string | undefined)[] = [undefined, ...random];
    for (const s of statementsOf(doc)) {
        for (const values of Object.values(s.Condition ?? {})) {
            for (const r of Object.values(values).flat()) {
                const c = parseCidr(r);
                if (!c) continue;
                const bits = c.family === 4 ? 32 : 128;
                const last = c.network + (1n << BigInt(bits - c.prefix)) - 1n;
                for (const n of [c.network - 1n, c.network, last, last + 1n]) {
                    if (n >= 0n && n < 1n << BigInt(bits)) out.push(formatCidr({ family: c.family, network: n, prefix: bits }).replace(/\/\d+$/, ""));
                }
            }
        }
    }
    return out;
}

describe("property: an accepted policy lets no one outside the CDN read", () => {
    it("holds for generated policies (oracle: the access model)", () => {
        let accepted = 0;
        fc.assert(
            fc.property(
                fc.array(statement, { minLength: 1, maxLength: 4 }),
                fc.oneof({ weight: 3, arbitrary: fc.constant([...CLOUDFLARE_RANGES]) }, { weight: 1, arbitrary: fc.subarray([...CLOUDFLARE_RANGES], { minLength: 1 }) }),
                fc.array(fc.oneof(anyV4, anyV6), { maxLength: 6 }),
                (statements, allowed, random) => {
                    const doc = policy(...statements);
                    if (!isReadRestrictedToCidrs(doc, allowed)) return true;
                    accepted++;
                    const allowedCidrs = allowed.map((r) => parseCidr(r)!);
                    for (const ip of probes(doc, random)) {
                        const inside = ip !== undefined && allowedCidrs.some((a) => contains(a, parseCidr(ip)!));
                        for (const action of ACTIONS) {
                            for (const resource of RESOURCES) {
                                const allowedNow = anonymousAllowed(doc, { action, resource, sourceIp: ip });
                                // Outside the CDN nothing; inside it, at most GetObject.
                                if (allowedNow && (!inside || action !== "s3:GetObject")) return false;
                            }
                        }
                    }
                    return true;
                },
            ),
            { numRuns: 300 },
        );
        // The generator must reach accepted policies, or the property says nothing.
        expect(accepted).toBeGreaterThan(30);
    });

    it("accepts the component's policy for any subset of Cloudflare's ranges, and that policy serves them", () => {
        fc.assert(
            fc.property(fc.subarray([...CLOUDFLARE_RANGES], { minLength: 1 }), fc.nat(), (subset, pick) => {
                const doc = mediaBucketPolicy(BUCKET, { cdnRanges: subset });
                const listed = policySourceRanges(subset);
                const inside = parseCidr(listed[pick % listed.length])!;
                const ip = formatCidr({ ...inside, prefix: inside.family === 4 ? 32 : 128 }).replace(/\/\d+$/, "");
                return (
                    isReadRestrictedToCidrs(doc, subset) &&
                    rangesTooBroadForS3(listed).length === 0 &&
                    anonymousAllowed(doc, { action: "s3:GetObject", resource: `${ARN}/tenants/t/x`, sourceIp: ip })
                );
            }),
        );
    });
});
