// The application tiers (a Mastodon-shaped app): web, streaming, queue workers and the one scheduler.
import { z } from "zod";
import { arch, dnsLabel, expecting, fraction, image, int, listOf, MAX_NODE_CPU, MAX_NODE_MEMORY_GIB, num } from "./fields";

const resources = {
    /** Memory request and limit per pod in MiB. */
    memoryMiB: int({ min: 32, max: MAX_NODE_MEMORY_GIB * 1024 }),
    /** CPU request per pod in cores. */
    cpu: num({ gt: 0, max: MAX_NODE_CPU }),
};

export const queueSchema = z.strictObject({
    /** Queue name, e.g. default, push, ingress, mailers, pull, scheduler. */
    name: dnsLabel(),
    /** Jobs arriving per second at peak. */
    jobsPerSecond: num({ min: 0 }),
    /** Mean job duration in seconds. */
    meanJobSeconds: num({ gt: 0 }),
});

export const workerSchema = z.strictObject({
    /** Worker group name. */
    name: dnsLabel(),
    /** Pods. */
    replicas: int({ min: 1 }),
    /** Threads of its one process per pod (Sidekiq -c); each needs a database connection. */
    threads: int({ min: 1 }),
    /** Queues this group serves, in priority order; must not include the scheduler queue. */
    queues: listOf(dnsLabel()),
    /** Node architectures the group may run on. Default [amd64]. */
    archs: expecting(z.array(arch()).min(1), 'a list of architectures from "amd64", "arm64"').default(["amd64"]),
    ...resources,
});

export const workloadsSchema = z.strictObject({
    /** The app image; multiArch must be true for anything allowed on arm64. */
    image: image(),
    /** Web (Puma) tier. */
    web: z.strictObject({
        replicas: int({ min: 1 }),
        /** WEB_CONCURRENCY: processes per pod. Default 2 (Mastodon default). */
        processes: int({ min: 1 }).default(2),
        /** MAX_THREADS per process. Default 5 (Mastodon default). */
        threads: int({ min: 1 }).default(5),
        ...resources,
    }),
    /** Streaming tier. */
    streaming: z.strictObject({
        replicas: int({ min: 1 }),
        /** Streaming image, when it is not the app image (Mastodon ≥ 4.3 ships ghcr.io/mastodon/mastodon-streaming). Default: the app image. */
        image: image().optional(),
        /** Processes per pod, each its own container and port (Mastodon's streaming server runs one process). Default 1. */
        processes: int({ min: 1 }).default(1),
        /** DB_POOL per process. Default 10 (Mastodon default). */
        dbPool: int({ min: 1 }).default(10),
        ...resources,
    }),
    /** Queue worker groups. */
    workers: listOf(workerSchema),
    /** The scheduler: exactly one process, one pod. */
    scheduler: z.strictObject({
        /** Threads of the single scheduler process. Default 5. */
        threads: int({ min: 1 }).default(5),
        ...resources,
    }),
    /** Queue load at peak, for sizing workers. */
    queues: listOf(queueSchema),
    /** Busy fraction a worker thread may reach before a queue falls behind. Default 0.7. */
    utilisationCeiling: fraction().default(0.7),
});
export type WorkloadsConfig = z.output<typeof workloadsSchema>;
