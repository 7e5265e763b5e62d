// Cloudflare's published edge IP ranges: the only addresses the media bucket serves reads to. Cloudflare
// connects to origins from these ranges, so a bucket policy limited to them admits the CDN and no one else.
//
// Source: https://www.cloudflare.com/ips-v4 and https://www.cloudflare.com/ips-v6 (the same lists as
// https://api.cloudflare.com/client/v4/ips). Taken 2026-11-22 from stored copies of those lists (no live
// fetch was possible); they have been unchanged since 2023, when 104.16.0.0/12 became 104.16.0.0/13 and
// 104.24.0.0/14. Cloudflare announces changes ahead of time; when they change, edit these lists, and the
// bucket policy follows on the next `pulumi up`.

/** Where the lists come from. */
export const CLOUDFLARE_RANGES_SOURCE = ["https://www.cloudflare.com/ips-v4", "https://www.cloudflare.com/ips-v6"] as const;
/** When they were taken. */
export const CLOUDFLARE_RANGES_TAKEN = "2026-11-22";

export const CLOUDFLARE_IPV4: readonly string[] = [
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
];

export const CLOUDFLARE_IPV6: readonly string[] = [
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
];

/** Every published range, IPv4 then IPv6. */
export const CLOUDFLARE_RANGES: readonly string[] = [...CLOUDFLARE_IPV4, ...CLOUDFLARE_IPV6];
