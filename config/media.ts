// Media storage: one S3 bucket behind Cloudflare (cloud), or a Ceph RGW bucket (embedded default, homelab).
import { z } from "zod";
import { dnsName, expecting, int, oneOf } from "./fields";

/** A browser origin: scheme, host and optional port, no path (what CORS compares against). */
const origin = () => expecting(z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/), "an origin such as https://social.example.com (no path)");

export const mediaSchema = z.strictObject({
    /** s3 (AWS + Cloudflare) or rgw (Ceph object store). */
    provider: oneOf(["s3", "rgw"] as const),
    /** Hostname media is served from (the CDN host, e.g. Mastodon's S3_ALIAS_HOST). */
    hostname: dnsName(),
    /** s3: origins allowed by CORS to read media (GET/HEAD). Default: https://<hostname>. */
    corsOrigins: expecting(z.array(origin()), "a list of origins").optional(),
    /** s3: AWS region of the bucket. */
    region: expecting(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/), "an AWS region such as eu-west-1").optional(),
    /** Cloudflare in front of the bucket. */
    cdn: z
        .strictObject({
            provider: oneOf(["cloudflare", "none"] as const).default("none"),
            /** Cloudflare zone name, e.g. example.com. */
            zone: dnsName().optional(),
            /** Edge cache TTL in seconds. Default 86400. */
            edgeTtlSeconds: int({ min: 60 }).default(86400),
        })
        .prefault({}),
    /** Days before noncurrent object versions expire (s3; rgw once versioning is on). Default 30. */
    noncurrentVersionDays: int({ min: 1 }).default(30),
    /** Days before incomplete multipart uploads are aborted (s3 and rgw). Default 7 (the S3 user guide's lifecycle example). */
    incompleteUploadDays: int({ min: 1 }).default(7),
}).superRefine((m, ctx) => {
    // The bucket is named after the hostname (so S3 serves the CDN's Host header), and bucket names stop at 63.
    if (m.hostname.length > 63) {
        ctx.addIssue({ code: "custom", path: ["hostname"], input: m.hostname, message: `expected at most 63 characters (the bucket is named after it; this one has ${m.hostname.length})` });
    }
});
export type MediaConfig = z.output<typeof mediaSchema>;
