// Config mistakes fail before any resource is registered, each named by its path, all at once.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config/errors";
import { runStack, stackConfig, writeStackFile, type RegisteredResource } from "../harness";

/** Runs the dev stack with one change and returns the config problems as "path: message" lines. */
async function problemsAfter(mutate: (c: Record<string, any>) => void, base = "dev"): Promise<string[]> {
    const config = stackConfig(base);
    mutate(config);
    const registered: RegisteredResource[] = [];
    const file = writeStackFile(base, config);
    let caught: unknown;
    try {
        await runStack(file, { registered });
    } catch (e) {
        caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(registered).toHaveLength(0);
    return (caught as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
}

const P = "media-platform:";

describe("config errors", () => {
    it.each<[string, (c: Record<string, any>) => void, string]>([
        ["a word where a number belongs", (c) => (c[`${P}storage`].nodes[1].nicGbps = "ten"), 'storage.nodes[1].nicGbps: expected a number ≥ 1 and ≤ 800, got "ten"'],
        ["a number below its minimum", (c) => (c[`${P}storage`].nodes[0].nicGbps = 0.5), "storage.nodes[0].nicGbps: expected a number ≥ 1 and ≤ 800, got 0.5"],
        ["a physical quantity past any real machine", (c) => (c[`${P}nodePools`][0].nodes[0].memoryGiB = 1e308), "nodePools[0].nodes[0].memoryGiB: expected a number > 0 and ≤ 32768, got 1e+308"],
        ["a NIC on a pool's node, which only storage nodes declare", (c) => (c[`${P}nodePools`][0].nodes[0].nicGbps = 10), "nodePools[0].nodes[0].nicGbps: unknown key"],
        ["a node with a petabyte of memory", (c) => (c[`${P}storage`].nodes[0].memoryGiB = 1048576), "storage.nodes[0].memoryGiB: expected a number > 0 and ≤ 32768, got 1048576"],
        ["a fraction where a whole number belongs", (c) => (c[`${P}flux`].shards = 2.5), "flux.shards: expected a whole number ≥ 1 and ≤ 256, got 2.5"],
        ["a value outside an enum", (c) => (c[`${P}storage`].nodes[0].devices[0].class = "floppy"), 'storage.nodes[0].devices[0].class: expected one of "nvme", "ssd", "hdd", got "floppy"'],
        ["an unknown cluster provider", (c) => (c[`${P}cluster`].provider = "gke"), 'cluster.provider: expected one of "render", "eks", "existing", got "gke"'],
        ["a misspelt nested key", (c) => (c[`${P}storage`].nodez = []), "storage.nodez: unknown key; expected one of: blockPool, cephImage, encryptedDevices, filesystem,"],
        ["a misspelt top-level key", (c) => (c[`${P}storge`] = {}), "storge: unknown key; expected one of: cluster, data,"],
        ["a missing required field", (c) => delete c[`${P}data`].postgres.maxConnections, "data.postgres.maxConnections: expected a whole number ≥ 10, got nothing"],
        ["a missing section", (c) => delete c[`${P}edge`], "edge: expected an object, got nothing"],
        ["a hostname that is not a DNS name", (c) => (c[`${P}media`].hostname = "Media_Host"), 'media.hostname: expected a DNS name such as media.example.com (lower case, dots between labels), got "Media_Host"'],
        ["a duration in words", (c) => (c[`${P}maintenanceWindow`] = "one hour"), 'maintenanceWindow: expected a duration such as "90s", "15m", "1h" or "1h30m", got "one hour"'],
        ["the latest image tag", (c) => (c[`${P}workloads`].image.tag = "latest"), 'workloads.image.tag: expected an image tag naming a version (not latest), got "latest"'],
        ["an empty list", (c) => (c[`${P}workloads`].workers = []), "workloads.workers: expected a list with at least one entry, got a list of 0"],
        ["a list where an object belongs", (c) => (c[`${P}data`].redis = []), "data.redis: expected an object, got a list of 0"],
        ["an unknown architecture", (c) => (c[`${P}workloads`].workers[0].archs = ["x86"]), 'workloads.workers[0].archs[0]: expected one of "amd64", "arm64", got "x86"'],
        ["a bare-metal storage node without hardware", (c) => (c[`${P}storage`].nodes[2] = { name: "dev-storage-3", devices: [{ name: "vdb", sizeGiB: 100 }] }), "storage.nodes[2].nicGbps: expected a value for a bare-metal storage node (or set instanceType), got nothing"],
        ["a worker on a queue nobody declared", (c) => c[`${P}workloads`].workers[0].queues.push("video"), 'workloads.workers[0].queues[5]: expected a queue listed in workloads.queues, got "video"'],
        ["two nodes with one name", (c) => (c[`${P}storage`].nodes[1].name = "dev-storage-1"), 'storage.nodes[1].name: expected a unique node name, got "dev-storage-1" (also storage.nodes[0].name)'],
        ["S3 media without AWS", (c) => (c[`${P}media`].provider = "s3"), 'media.provider: expected "rgw" unless cluster.provider is "eks", got "s3"'],
        ["a CDN zone that does not hold the hostname", (c) => (c[`${P}media`].cdn = { provider: "cloudflare", zone: "example.org" }), 'media.hostname: expected a hostname inside the zone example.org, got "media.dev.localhost"'],
        ["a negative CPU count", (c) => (c[`${P}nodePools`][1].nodes[0].cpu = -1), "nodePools[1].nodes[0].cpu: expected a number > 0 and ≤ 1024, got -1"],
        ["reconcile rates above flux-benchmark's without a source", (c) => (c[`${P}flux`].reconcile = { helmReleasesPerSecond: 10 }), "flux.reconcile.source: expected where these rates were measured: they credit more than flux-benchmark's (4 Kustomizations/s at --concurrent=20, 2 HelmReleases/s at 10, 2 CPU each), got nothing"],
        ["a rate measured on less CPU without a source", (c) => (c[`${P}flux`].reconcile = { measuredAt: { cpu: 0.5 } }), "flux.reconcile.source: expected where these rates were measured"],
        ["two storage nodes", (c) => c[`${P}storage`].nodes.splice(2), "storage.nodes: expected a list with at least 3 entries (one per copy; storage.singleNode: true for one node on purpose), got a list of 2"],
        ["a single storage node said of three", (c) => (c[`${P}storage`].singleNode = true), "storage.singleNode: expected false with 3 storage nodes (true means exactly one, on purpose), got true"],
    ])("%s", async (_kind, mutate, expected) => {
        const problems = await problemsAfter(mutate);
        expect(problems.some((p) => p.startsWith(expected))).toBe(true);
    });

    it("an AWS pool whose min is above its max (prod)", async () => {
        const problems = await problemsAfter((c) => (c[`${P}nodePools`][0].size = { min: 5, desired: 3, max: 4 }), "prod");
        expect(problems).toContain("nodePools[0].size: expected min ≤ desired ≤ max, got 5 / 3 / 4");
    });

    it("lists every problem at once", async () => {
        const problems = await problemsAfter((c) => {
            c[`${P}storage`].nodes[1].nicGbps = "ten";
            c[`${P}flux`].shards = 0;
            c[`${P}maintenanceWindow`] = "soon";
            c[`${P}storagee`] = {};
        });
        expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(["flux.shards", "maintenanceWindow", "storage.nodes[1].nicGbps", "storagee"]);
    });

    it("reports a YAML syntax error with its line", async () => {
        const file = writeStackFile("broken", {});
        fs.writeFileSync(file, "config:\n  media-platform:environment: dev\n  media-platform:cluster: {provider: render\n");
        await expect(runStack(file)).rejects.toThrow(/Pulumi\.broken\.yaml:\d+: expected valid YAML/);
    });

    it("leaves other namespaces (aws:, kubernetes:) to their providers", async () => {
        const run = await runStack(writeStackFile("dev", { ...stackConfig("dev"), "kubernetes:enableServerSideApply": true }));
        expect(run.resources.length).toBeGreaterThan(0);
    });

    it("ends the Pulumi program with a RunError, which Pulumi prints without a stack trace", async () => {
        const config = stackConfig("dev");
        config[`${P}flux`].shards = "many";
        let caught: unknown;
        try {
            await runStack(writeStackFile("dev", config));
        } catch (e) {
            caught = e;
        }
        expect(caught).toBeInstanceOf(ConfigError);
        // The entry point converts it: import it the way the language host does, with the same bad config.
        let exported: Promise<unknown> | undefined;
        jest.isolateModules(() => {
            exported = require(path.resolve(__dirname, "../../stacks/index"));
        });
        const fromEntry = await exported!.then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(pulumi.RunError.isInstance(fromEntry)).toBe(true);
        expect((fromEntry as Error).message).toContain('flux.shards: expected a whole number ≥ 1 and ≤ 256, got "many"');
    });
});
