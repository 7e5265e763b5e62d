// Cloudflare in front of the media bucket: a proxied DNS record, a cache rule, and the origin TLS mode S3 needs.
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

export interface CloudflareCdnArgs {
    /** Public media hostname, e.g. media.example.com. */
    hostname: string;
    /** Cloudflare zone the hostname lives in, e.g. example.com. */
    zone: string;
    /** Host Cloudflare connects to, e.g. media.example.com.s3.eu-west-1.amazonaws.com. */
    originHost: string;
    /** Edge cache TTL in seconds. */
    edgeTtlSeconds: number;
}

/** Seconds a 4xx answer stays cached at the edge: a missing object is asked for again soon, but not per request. */
export const NOT_FOUND_EDGE_TTL_SECONDS = 60;

/** Cloudflare's filter expression matching requests for the media hostname. */
export const hostExpression = (hostname: string) => `(http.host eq "${hostname}")`;

export function createCloudflareCdn(name: string, args: CloudflareCdnArgs, parent: pulumi.Resource) {
    const zone = cloudflare.getZoneOutput({ filter: { name: args.zone } }, { parent });
    const zoneId = zone.id;
    const expression = hostExpression(args.hostname);

    // Proxied: clients reach Cloudflare, and only Cloudflare's addresses reach S3 (the bucket policy admits
    // no others). Cloudflare forwards the client's Host header (media.example.com); S3 reads a Host outside
    // amazonaws.com as the bucket name, which is why the bucket is named after the hostname. The alternative,
    // rewriting Host in an origin rule, needs an Enterprise plan.
    const record = new cloudflare.DnsRecord(
        `${name}-dns`,
        { zoneId, name: args.hostname, type: "CNAME", content: args.originHost, proxied: true, ttl: 1, comment: "media bucket (managed by media-platform)" },
        { parent },
    );

    // One zone ruleset per phase, each with one rule for the media hostname.
    const hostRuleset = (part: string, phase: string, purpose: string, rule: cloudflare.types.input.RulesetRule) =>
        new cloudflare.Ruleset(
            `${name}-${part}`,
            { zoneId, kind: "zone", phase, name: `media ${purpose} for ${args.hostname}`, description: `${purpose} (managed by media-platform)`, rules: [rule] },
            { parent },
        );

    // Media objects never change under a key, so the edge keeps them for the configured TTL whatever S3 says.
    // Errors: 4xx briefly (an upload may land a moment later), 5xx never.
    const cache = hostRuleset("cache-rules", "http_request_cache_settings", "edge cache", {
        ref: "media_cache",
        description: `cache ${args.hostname}`,
        expression,
        action: "set_cache_settings",
        actionParameters: {
            cache: true,
            edgeTtl: {
                mode: "override_origin",
                default: args.edgeTtlSeconds,
                statusCodeTtls: [
                    { statusCodeRange: { from: 400, to: 499 }, value: NOT_FOUND_EDGE_TTL_SECONDS },
                    { statusCodeRange: { from: 500, to: 599 }, value: 0 },
                ],
            },
            browserTtl: { mode: "respect_origin" },
        },
        enabled: true,
    });

    // S3's certificate names *.s3.<region>.amazonaws.com, not the media hostname, so a zone in Full (strict)
    // mode would answer 526. "full" keeps the origin connection encrypted (the bucket policy refuses plain
    // HTTP) without asking the certificate to name the media hostname.
    const originTls = hostRuleset("origin-tls", "http_config_settings", "origin TLS", {
        ref: "media_origin_tls",
        description: `TLS to S3 for ${args.hostname}`,
        expression,
        action: "set_config",
        actionParameters: { ssl: "full" },
        enabled: true,
    });
    return { zoneId, record, cache, originTls };
}
