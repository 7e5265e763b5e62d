// Media storage: one S3 bucket behind Cloudflare (cloud), or a Ceph RGW bucket (embedded default, homelab).
import { z } from "zod";
import { dnsName, expecting, int, oneOf, url } from "./fields";

export const mediaSchema = z.strictObject({
    /** s3 (AWS + Cloudflare) or rgw (Ceph object store). */
    provider: oneOf(["s3", "rgw"] as const),
    /** Hostname media is served from (the CDN host, e.g. Mastodon's S3_ALIAS_HOST). */
    hostname: dnsName(),
    /** Origins allowed by CORS. Default: https://<hostname>. */
    corsOrigins: expecting(z.array(url()), "a list of URLs").optional(),
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
    /** Days before noncurrent object versions expire. Default 30. */
    noncurrentVersionDays: int({ min: 1 }).default(30),
});
export type MediaConfig = z.output<typeof mediaSchema>;
