// Field builders shared by every config section. Each one records, in plain words, what it expects, so
// that a config error reads `path: expected <that>, got <value>` instead of a validator's jargon.
import { z } from "zod";

/** What each field expects, in an operator's words; read by the error map in ./errors.ts. */
export const expectations = z.registry<{ expected: string }>();

/** Attaches the phrase used after "expected" when this field is wrong. */
export function expecting<T extends z.ZodType>(schema: T, expected: string): T {
    expectations.add(schema, { expected });
    return schema;
}

export function num(opts: { min?: number; max?: number; gt?: number; int?: boolean } = {}): z.ZodNumber {
    let s = opts.int ? z.number().int() : z.number();
    const words: string[] = [opts.int ? "a whole number" : "a number"];
    if (opts.gt !== undefined) {
        s = s.gt(opts.gt);
        words.push(`> ${opts.gt}`);
    }
    if (opts.min !== undefined) {
        s = s.min(opts.min);
        words.push(`≥ ${opts.min}`);
    }
    if (opts.max !== undefined) {
        s = s.max(opts.max);
        words.push(opts.min !== undefined || opts.gt !== undefined ? `and ≤ ${opts.max}` : `≤ ${opts.max}`);
    }
    return expecting(s, words.join(" "));
}

export const int = (opts: { min?: number; max?: number } = {}) => num({ ...opts, int: true });

// Upper bounds of physical quantities: above any real machine, so that a slip (1e308, a dozen extra zeros) is a
// config error instead of a capacity the model would budget with.
/** Gbps of one NIC: 800 Gb/s Ethernet (IEEE 802.3df, 2024) is the fastest standard. */
export const MAX_NIC_GBPS = 800;
/** MB/s over one such NIC (800 Gb/s ÷ 8): the most any per-node traffic figure can be. */
export const MAX_LINK_MBPS = 100_000;
/** Cores of one machine: above the largest EC2 instance, u7in-32tb.224xlarge (896 vCPUs). */
export const MAX_NODE_CPU = 1024;
/** GiB of memory of one machine: the largest EC2 instance, u7in-32tb.224xlarge (32 TiB). */
export const MAX_NODE_MEMORY_GIB = 32_768;
/** GiB of one disk: above the largest shipping SSDs (122.88 TB, 2024). */
export const MAX_DEVICE_GIB = 131_072;
/** GiB of one volume (1 PiB): far above what one Postgres or tenant volume holds. */
export const MAX_VOLUME_GIB = 1_048_576;

/** A fraction in (0, 1], e.g. a headroom or utilisation ceiling. */
export const fraction = () => expecting(z.number().gt(0).max(1), "a fraction > 0 and ≤ 1");

export const bool = () => expecting(z.boolean(), "true or false");

export function str(opts: { min?: number; max?: number } = {}): z.ZodString {
    let s = z.string();
    if (opts.min !== undefined) s = s.min(opts.min);
    if (opts.max !== undefined) s = s.max(opts.max);
    const len =
        opts.min !== undefined && opts.max !== undefined
            ? ` of ${opts.min}–${opts.max} characters`
            : opts.min !== undefined
              ? opts.min === 1
                  ? " that is not empty"
                  : ` of at least ${opts.min} characters`
              : opts.max !== undefined
                ? ` of at most ${opts.max} characters`
                : "";
    return expecting(s, `a string${len}`);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
    return expecting(z.enum(values), `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`) as never;
}

// RFC 1123 label, as Kubernetes requires for namespace and node-pool names.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const dnsLabel = () =>
    expecting(
        z.string().max(63).regex(DNS_LABEL),
        "a DNS label: 1–63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit",
    );

// RFC 1123 subdomain, as Kubernetes requires for most object names and for hostnames.
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const dnsName = () =>
    expecting(z.string().max(253).regex(DNS_NAME), "a DNS name such as media.example.com (lower case, dots between labels)");

/** A path relative to the project root (no leading '/', no '..'), so a stack file works from any checkout. */
export const relPath = () =>
    expecting(
        z
            .string()
            .min(1)
            .refine((p) => !p.startsWith("/") && !p.split(/[\\/]/).includes("..")),
        "a path relative to the project root (no leading '/', no '..')",
    );

export const url = () => expecting(z.string().regex(/^(https?|ssh|oci):\/\/[^\s]+$/), "a URL (https://, ssh:// or oci://)");

/** A Go-style duration as Flux and Pulumi config use it: "90s", "15m", "1h", "1h30m". */
export const DURATION = /^(\d+h)?(\d+m)?(\d+s)?$/;
export const duration = () =>
    expecting(
        z.string().regex(DURATION).refine((s) => !DURATION.test(s) || durationSeconds(s) > 0),
        'a duration such as "90s", "15m", "1h" or "1h30m"',
    );

export function durationSeconds(d: string): number {
    const m = DURATION.exec(d);
    if (!m || d === "") throw new Error(`not a duration: ${JSON.stringify(d)}`);
    const [, h, mi, s] = m;
    return (h ? parseInt(h, 10) * 3600 : 0) + (mi ? parseInt(mi, 10) * 60 : 0) + (s ? parseInt(s, 10) : 0);
}

/** Kubernetes node architectures the platform schedules on. */
export const arch = () => oneOf(["amd64", "arm64"] as const);

/** A list that must not be empty. */
export function listOf<T extends z.ZodType>(item: T, min = 1) {
    return expecting(z.array(item).min(min), min === 1 ? "a list with at least one entry" : `a list with at least ${min} entries`);
}

/** A container image reference without a digest: repository and tag are kept apart so tags can be checked. */
export const image = () =>
    z.strictObject({
        /** Registry and repository, e.g. ghcr.io/mastodon/mastodon. */
        repository: expecting(z.string().regex(/^[a-z0-9][a-z0-9._\-/:]*[a-z0-9]$/), "an image repository such as ghcr.io/mastodon/mastodon"),
        /** Image tag; `latest` is refused because a rollout could not say what changed. */
        tag: expecting(
            z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/).refine((t) => t !== "latest"),
            "an image tag naming a version (not latest)",
        ),
        /** True when the tag is a manifest list covering amd64 and arm64; only then may it run on arm64 nodes. */
        multiArch: bool().default(false),
    });
