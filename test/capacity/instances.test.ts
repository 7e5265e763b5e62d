// The instance catalog: every type the stacks name is listed with its figures, only the baseline counts,
// and an unknown type is a config error naming the type and its path before anything is registered.
import { findInstanceType, gbToGiB, INSTANCE_CATALOG, instanceType, instanceTypeNames } from "../../capacity/instances";
import { ConfigError } from "../../config/errors";
import { loadStackFile, stackFile } from "../../config/load";
import { runStack, SHIPPED_STACKS, stackConfig, writeStackFile, type RegisteredResource } from "../harness";

describe("the instance catalog", () => {
    it("lists every instance type the shipped stacks name", () => {
        for (const stack of SHIPPED_STACKS) {
            const cfg = loadStackFile(stackFile(stack));
            const named = [...cfg.nodePools.flatMap((p) => (p.kind === "aws" ? p.instanceTypes : [])), ...cfg.storage.nodes.flatMap((n) => (n.instanceType ? [n.instanceType] : []))];
            for (const t of named) expect(findInstanceType(t)).toBeDefined();
        }
    });

    it("lists the types facts.md gives bandwidth for, with those baselines", () => {
        const baselines: Record<string, number> = {
            "im4gn.large": 3.125, "im4gn.xlarge": 6.25, "im4gn.2xlarge": 12.5, "im4gn.4xlarge": 25,
            "is4gen.xlarge": 6.25, "is4gen.2xlarge": 12.5, "is4gen.4xlarge": 25,
            "c6gn.xlarge": 6.3, "c6gn.2xlarge": 12.5,
            "i4g.4xlarge": 9.375, "i4i.4xlarge": 9.375, "i4g.8xlarge": 18.75, "i4i.8xlarge": 18.75,
            "m6in.xlarge": 6.25, "m6in.2xlarge": 12.5, "m6in.4xlarge": 25,
            "i3en.2xlarge": 8.4, "i3en.3xlarge": 12.5, "i3en.6xlarge": 25,
            "m6i.large": 0.781, "m6g.large": 0.75, "m7g.large": 0.937,
        };
        for (const [name, gbps] of Object.entries(baselines)) expect(instanceType(name).baselineGbps).toBe(gbps);
    });

    it("keeps the baseline at or below the burst and names a source for every figure", () => {
        for (const t of Object.values(INSTANCE_CATALOG)) {
            expect(t.baselineGbps).toBeLessThanOrEqual(t.burstGbps);
            expect(t.vcpu).toBeGreaterThan(0);
            expect(t.memoryGiB).toBeGreaterThan(0);
            expect(t.source.cpuMemory).toBeTruthy();
            expect(t.source.bandwidth).toBeTruthy();
            if (t.nvme.count > 0) expect(t.source.nvme).toBeTruthy();
        }
    });

    it("has both architectures, and arm64 storage types with local NVMe", () => {
        expect(instanceType("m6in.2xlarge").arch).toBe("amd64");
        expect(instanceType("c6gn.2xlarge").arch).toBe("arm64");
        expect(instanceType("im4gn.4xlarge")).toMatchObject({ arch: "arm64", vcpu: 16, memoryGiB: 64, nvme: { count: 1, sizeGB: 7500 } });
        // 7500 GB is the 6984 GiB the prod stack gives each storage node's disk.
        expect(Math.floor(gbToGiB(instanceType("im4gn.4xlarge").nvme.sizeGB))).toBe(6984);
        expect(instanceType("m6in.xlarge").nvme.count).toBe(0);
    });

    it("refuses an unknown type with the catalog in the message", () => {
        expect(findInstanceType("m9x.huge")).toBeUndefined();
        expect(findInstanceType("constructor")).toBeUndefined();
        expect(() => instanceType("m9x.huge")).toThrow(/unknown instance type "m9x\.huge": expected one of .*im4gn\.4xlarge/);
        expect(instanceTypeNames()).toEqual([...instanceTypeNames()].sort());
    });
});

/** Runs prod with one change; returns the config problems, having checked nothing was registered. */
async function prodProblems(mutate: (c: Record<string, any>) => void): Promise<string[]> {
    const config = stackConfig("prod");
    mutate(config);
    const registered: RegisteredResource[] = [];
    let caught: unknown;
    try {
        await runStack(writeStackFile("prod", config), { registered });
    } catch (e) {
        caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(registered).toHaveLength(0);
    return (caught as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
}

describe("instance types in config", () => {
    const P = "media-platform:";

    it("names the path and the unknown type, with the catalog", async () => {
        const problems = await prodProblems((c) => {
            c[`${P}storage`].nodes[2].instanceType = "m9x.huge";
            c[`${P}nodePools`][1].instanceTypes = ["m6in.4xlarge", "r7z.mega"];
        });
        const storage = problems.find((p) => p.startsWith("storage.nodes[2].instanceType: "));
        expect(storage).toMatch(/^storage\.nodes\[2\]\.instanceType: expected an instance type from the catalog \(.*im4gn\.4xlarge.*\), got "m9x\.huge"$/);
        expect(problems.some((p) => /^nodePools\[1\]\.instanceTypes\[1\]: expected an instance type from the catalog \(.*\), got "r7z\.mega"$/.test(p))).toBe(true);
    });

    it("refuses a pool that mixes architectures", async () => {
        const problems = await prodProblems((c) => (c[`${P}nodePools`][3].instanceTypes = ["m6in.2xlarge", "c6gn.2xlarge"]));
        expect(problems).toContain("nodePools[3].instanceTypes[1]: expected amd64 like m6in.2xlarge (one arch per pool), got c6gn.2xlarge (arm64)");
    });

    it("refuses devices the instance type does not have", async () => {
        const problems = await prodProblems((c) => {
            c[`${P}storage`].nodes[0].devices.push({ name: "nvme2n1", sizeGiB: 100 });
            c[`${P}storage`].nodes[1].devices[0].sizeGiB = 8000;
        });
        expect(problems).toContain("storage.nodes[0].devices: expected the 1 local NVMe disk(s) of im4gn.4xlarge, got 2");
        expect(problems).toContain("storage.nodes[1].devices[0].sizeGiB: expected at most 6984 (the im4gn.4xlarge NVMe disk), got 8000");
    });

    it("refuses more replicas than storage nodes", async () => {
        const problems = await prodProblems((c) => (c[`${P}storage`].blockPool.replicas = 7));
        expect(problems).toContain("storage.blockPool.replicas: expected at most 6 (one copy per storage node, failure domain host), got 7");
    });
});
