// Capacity facts no resource field carries, one codec per domain: the component that owns the carrier encodes
// them into annotations, the rule that needs them decodes them back. Each codec is a set of zod codecs between
// an annotation's text and its typed value, so a value that does not read back is named with its key.
import { z } from "zod";
import {
    CPU_ANNOTATION,
    EMPTIES_ON_REPLACE_ANNOTATION,
    IMAGE_MULTI_ARCH_ANNOTATION,
    MAINTENANCE_WINDOW_SECONDS_ANNOTATION,
    MEASURED_CONCURRENCY_ANNOTATION,
    MEASURED_CPU_ANNOTATION,
    MEMORY_GIB_ANNOTATION,
    PEAK_CLIENTS_ANNOTATION,
    QUEUE_LOAD_ANNOTATION,
    RECONCILE_PER_SECOND_ANNOTATION,
    RECONCILE_RATE_SOURCE_ANNOTATION,
    SHARD_HELM_RELEASES_ANNOTATION,
    SHARD_TENANTS_ANNOTATION,
    SINGLE_STORAGE_NODE_ANNOTATION,
    STORAGE_CLIENT_NORMAL_ANNOTATION,
    STORAGE_CLIENT_PEAK_ANNOTATION,
    STORAGE_MAX_RECOVERY_HOURS_ANNOTATION,
    STORAGE_HEADROOM_ANNOTATION,
    STORAGE_MDS_MBPS_ANNOTATION,
    STORAGE_NODES_ANNOTATION,
    STORAGE_RECOVERY_MBPS_ANNOTATION,
    STORAGE_WRITE_FRACTION_ANNOTATION,
    USER_DATABASE_PAIRS_ANNOTATION,
    UTILISATION_CEILING_ANNOTATION,
} from "./labels";

// ── Value codecs: annotation text ⇄ value ─────────────────────────────────────────────────────────
const finite = z.number().refine(Number.isFinite, "expected a finite number");

/** A number as its decimal text. */
const numberText = z.codec(z.string().regex(/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i, "expected a number"), finite, {
    decode: (s) => Number(s),
    encode: (n) => String(n),
});

/** "true" or "false". */
const boolText = z.codec(z.enum(["true", "false"], "expected true or false"), z.boolean(), {
    decode: (s) => s === "true",
    encode: (b) => String(b) as "true" | "false",
});

/** A JSON document of the given shape. */
function jsonText<T extends z.ZodType>(schema: T) {
    return z.codec(z.string(), schema, {
        decode: (s, ctx) => {
            try {
                return JSON.parse(s);
            } catch {
                ctx.issues.push({ code: "custom", message: "expected JSON", input: s });
                return z.NEVER;
            }
        },
        encode: (v) => JSON.stringify(v),
    });
}

// ── Domain codecs ─────────────────────────────────────────────────────────────────────────────────
export type Field = readonly [key: string, text: z.ZodType<any, string | undefined>];
type Out<F extends Record<string, Field>, K extends keyof F> = z.output<F[K][1]>;
/** The typed facts: a fact whose codec accepts no annotation is optional. */
export type FactsOf<F extends Record<string, Field>> = { [K in keyof F as undefined extends Out<F, K> ? never : K]: Out<F, K> } & {
    [K in keyof F as undefined extends Out<F, K> ? K : never]?: Out<F, K>;
};

/** The facts one kind of resource carries for the pack: encode for the component, decode for the rule. */
export interface FactCodec<F extends Record<string, Field>> {
    /** The kind of resource that carries them (for messages and the contract's test). */
    carrier: string;
    /** Annotation keys, by fact. */
    keys: { [K in keyof F]: string };
    /** The annotations that state `facts` (facts left undefined are not written). */
    encode(facts: FactsOf<F>): Record<string, string>;
    /** Facts read back from annotations, or each key that is missing or does not read, with why. */
    decode(annotations: Record<string, unknown> | undefined): { facts: FactsOf<F> } | { problems: string[] };
}

function factCodec<F extends Record<string, Field>>(carrier: string, fields: F): FactCodec<F> {
    const entries = Object.entries(fields) as [keyof F & string, Field][];
    return {
        carrier,
        keys: Object.fromEntries(entries.map(([name, [key]]) => [name, key])) as { [K in keyof F]: string },
        encode(facts) {
            const out: Record<string, string> = {};
            for (const [name, [key, text]] of entries) {
                const v = (facts as Record<string, unknown>)[name];
                if (v !== undefined) out[key] = z.encode(text, v) as string;
            }
            return out;
        },
        decode(annotations) {
            const facts: Record<string, unknown> = {};
            const problems: string[] = [];
            for (const [name, [key, text]] of entries) {
                const raw = annotations?.[key];
                const r = text.safeDecode(raw as string | undefined);
                if (r.success) facts[name] = r.data;
                else problems.push(raw === undefined ? `no ${key} annotation` : `${key} ${JSON.stringify(raw)}: ${r.error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ")}`);
            }
            return problems.length > 0 ? { problems } : { facts: facts as FactsOf<F> };
        },
    };
}

/** One storage node's hardware, as the storage model reads it. */
export const storageNodeFacts = z.object({
    name: z.string(),
    arch: z.enum(["amd64", "arm64"]),
    cpu: z.number(),
    memoryGiB: z.number(),
    /** Sustained (not burst) NIC bandwidth. */
    baselineGbps: z.number(),
    osds: z.number(),
    rawGiB: z.number(),
    instanceType: z.string().optional(),
});
export type StorageNodeFacts = z.infer<typeof storageNodeFacts>;

/** On the CephCluster: the storage nodes and the traffic they carry; a stack may only tighten the pack's limits. */
export const STORAGE_FACTS = factCodec("CephCluster", {
    nodes: [STORAGE_NODES_ANNOTATION, jsonText(z.array(storageNodeFacts))],
    normalClientMBps: [STORAGE_CLIENT_NORMAL_ANNOTATION, numberText],
    peakClientMBps: [STORAGE_CLIENT_PEAK_ANNOTATION, numberText],
    writeFraction: [STORAGE_WRITE_FRACTION_ANNOTATION, numberText],
    mdsMBpsPerActive: [STORAGE_MDS_MBPS_ANNOTATION, numberText],
    recoveryMBpsPerOsd: [STORAGE_RECOVERY_MBPS_ANNOTATION, numberText],
    /** The stack's own headroom: the rule uses the smaller of it and the pack's. */
    headroom: [STORAGE_HEADROOM_ANNOTATION, numberText.optional()],
    /** The stack's own longest recovery: the rule uses the smaller of it and the pack's. */
    maxRecoveryHours: [STORAGE_MAX_RECOVERY_HOURS_ANNOTATION, numberText.optional()],
    /** One storage node on purpose: every copy on one host is accepted. */
    singleNode: [SINGLE_STORAGE_NODE_ANNOTATION, boolText.optional()],
});

/** On a bare-metal node's patch: the hardware no instance catalog gives. */
export const NODE_FACTS = factCodec("NodePatch", {
    memoryGiB: [MEMORY_GIB_ANNOTATION, numberText],
    cpu: [CPU_ANNOTATION, numberText],
});

/** One queue's peak load. */
export const queueLoadFacts = z.object({ name: z.string(), jobsPerSecond: z.number(), meanJobSeconds: z.number() });

/** On the Sidekiq Deployment that carries them: every queue's peak load and how busy a thread may get. */
export const QUEUE_FACTS = factCodec("Deployment", {
    queues: [QUEUE_LOAD_ANNOTATION, jsonText(z.array(queueLoadFacts))],
    utilisationCeiling: [UTILISATION_CEILING_ANNOTATION, numberText],
});

/** On the CloudNativePG Pooler: user/database pairs, each with default_pool_size server connections. */
export const POOLER_FACTS = factCodec("Pooler", {
    userDatabasePairs: [USER_DATABASE_PAIRS_ANNOTATION, numberText],
});

/** On the nginx proxy Deployment: the expected peak of concurrent clients across its pods. */
export const PROXY_FACTS = factCodec("Deployment", {
    peakClients: [PEAK_CLIENTS_ANNOTATION, numberText],
});

/** On the Redis cache Deployment: replacing or restarting it empties the cache. */
export const CACHE_FACTS = factCodec("Deployment", {
    emptiesOnReplace: [EMPTIES_ON_REPLACE_ANNOTATION, boolText],
});

/** On a pod template of an image config declares: whether it runs on arm64 as well as amd64. */
export const IMAGE_FACTS = factCodec("pod template", {
    multiArch: [IMAGE_MULTI_ARCH_ANNOTATION, boolText],
});

/** On each shard's root Kustomization: its load and the window its rollout must fit. */
export const SHARD_FACTS = factCodec("Kustomization", {
    tenants: [SHARD_TENANTS_ANNOTATION, numberText],
    helmReleases: [SHARD_HELM_RELEASES_ANNOTATION, numberText],
    maintenanceWindowSeconds: [MAINTENANCE_WINDOW_SECONDS_ANNOTATION, numberText.optional()],
});

/** On a shard's kustomize- or helm-controller: the rate it is credited and how it was measured. */
export const CONTROLLER_RATE_FACTS = factCodec("Deployment", {
    perSecond: [RECONCILE_PER_SECOND_ANNOTATION, numberText],
    measuredConcurrency: [MEASURED_CONCURRENCY_ANNOTATION, numberText],
    measuredCpu: [MEASURED_CPU_ANNOTATION, numberText],
    /** Where a rate other than flux-benchmark's was measured. */
    source: [RECONCILE_RATE_SOURCE_ANNOTATION, z.string().optional()],
});

/** Every domain codec: the contract's test checks each key has a writer and a reader. */
export const FACT_CODECS = { STORAGE_FACTS, NODE_FACTS, QUEUE_FACTS, POOLER_FACTS, PROXY_FACTS, CACHE_FACTS, IMAGE_FACTS, SHARD_FACTS, CONTROLLER_RATE_FACTS } as const;
