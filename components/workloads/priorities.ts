// Scheduling priority of the app tiers: serving users (proxy, web, streaming) comes before background work,
// and the single scheduler before the worker fleet (outage 3 in docs/outages.md: workers starved the web tier).

export interface PriorityTier {
    /** PriorityClass name. */
    name: string;
    value: number;
    /** Never: pods of this class wait for room instead of evicting others. */
    preemptionPolicy: "PreemptLowerPriority" | "Never";
    description: string;
}

// Values well below system-cluster-critical (2000000000) and above the default 0.
export const PRIORITY = {
    web: { name: "media-platform-web", value: 100000, preemptionPolicy: "PreemptLowerPriority", description: "Proxy and web tier: serves users first." },
    streaming: { name: "media-platform-streaming", value: 100000, preemptionPolicy: "PreemptLowerPriority", description: "Streaming tier: long-lived user connections." },
    scheduler: {
        name: "media-platform-scheduler",
        value: 20000,
        preemptionPolicy: "PreemptLowerPriority",
        description: "The single Sidekiq scheduler: periodic jobs must keep running even when workers fill the nodes.",
    },
    workers: { name: "media-platform-workers", value: 10000, preemptionPolicy: "Never", description: "Queue workers: background work waits for room, never evicts." },
} as const satisfies Record<string, PriorityTier>;
