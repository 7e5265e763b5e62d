// Reading the real engine's output (fixtures captured from pulumi v3.259.0 and from scripts/engine/build.sh on
// this project's build machine): change counts, the policy section, the PR comment, the engine's failure.
import * as fs from "node:fs";
import * as path from "node:path";
import { changeCounts, diagnosticsSection, parseEngineFailure, policySection, type PulumiRun } from "../../cli/engine";
import { formatChanges, previewMarkdown } from "../../cli/commands/deploy";

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8");
const saturation = fixture("preview-storage-saturation.txt");
const unchanged = fixture("up-dev-unchanged.txt");
const run = (output: string, code: number): PulumiRun => ({ args: [], code, output, stdout: output, seconds: 12 });

describe("change counts", () => {
    it("reads a preview's and an update's Resources block, keyed as stack history keys them", () => {
        expect(changeCounts("Resources:\n    + 85 to create\n\n")).toEqual({ create: 85 });
        expect(changeCounts("Resources:\n    + 2 created\n    ~ 1 updated\n    +-1 replaced\n    - 3 deleted\n    79 unchanged\n\nDuration: 9s\n")).toEqual({
            create: 2,
            update: 1,
            replace: 1,
            delete: 3,
            same: 79,
        });
        expect(changeCounts(unchanged)).toEqual({ same: 85 });
    });

    it("finds none in a failed preview, which prints no Resources block", () => {
        expect(changeCounts(saturation)).toEqual({});
        expect(formatChanges({}, "future")).toMatch(/^no resource counts/);
    });

    it("words them in the tense of the command", () => {
        expect(formatChanges({ create: 3, same: 82 }, "past")).toBe("3 created, 82 unchanged");
        expect(formatChanges({ create: 3, delete: 1 }, "future")).toBe("3 to create, 1 to delete");
    });
});

describe("policy and diagnostics sections", () => {
    it("takes the Policies block with every violation and stops at the next heading", () => {
        const p = policySection(saturation);
        expect(p.split("\n")[0]).toBe("Policies:");
        expect(p).toContain("❌ media-platform@v0.1.0");
        expect(p.match(/\[mandatory\] \[severity: critical\] {2}storage-network-headroom/g)).toHaveLength(3);
        expect(p.match(/storage-node-baseline-bandwidth {2}\(kubernetes:ceph\.rook\.io\/v1:CephCluster: storage-cluster\)/g)).toHaveLength(3);
        expect(p).not.toContain("Diagnostics:");
        expect(policySection("Previewing update (dev):\n\nResources:\n    + 1 to create\n")).toBe("");
    });

    it("keeps the errors of the Diagnostics block and drops the warning every run on an engine from PATH prints", () => {
        const d = diagnosticsSection(saturation);
        expect(d).toContain("error: preview failed");
        expect(d).not.toContain("using pulumi-resource-kubernetes from $PATH");
        expect(d).not.toContain("Outputs:");
    });
});

describe("the PR comment section", () => {
    it("gives a failed preview's verdict with its count of mandatory violations, the violations and the capacity summary", () => {
        const md = previewMarkdown("storage-saturation", undefined, run(saturation, 1), "Capacity summary (used / limit):\n  Ceph traffic …");
        expect(md.split("\n")[0]).toBe("### `storage-saturation` — ❌ preview failed: 6 mandatory policy violations");
        expect(md).toContain("```text\nPolicies:\n    ❌ media-platform@v0.1.0");
        expect(md).toContain("<details><summary>Diagnostics</summary>");
        expect(md).toContain("<details open><summary>Capacity summary</summary>\n\n```text\nCapacity summary (used / limit):\n  Ceph traffic …\n```");
    });

    it("gives a passing preview's counts and no diagnostics", () => {
        const md = previewMarkdown("dev", undefined, run("Policies:\n    ✅ media-platform@v0.1.0 (local: policies)\n\nResources:\n    + 85 to create\n", 0), "Capacity summary (used / limit):");
        expect(md.split("\n")[0]).toBe("### `dev` — ✅ preview passed");
        expect(md).toContain("Resources: 85 to create.");
        expect(md).not.toContain("Diagnostics");
    });
});

describe("the engine script's failure", () => {
    it("names each binary it could not get with the proxy's answer, once, and keeps its advice", () => {
        const { missing, advice } = parseEngineFailure(fixture("engine-unavailable.txt"));
        expect(missing.map((m) => m.binary)).toEqual(["pulumi-language-nodejs", "pulumi-resource-kubernetes"]);
        expect(missing[0].reason).toBe(
            'the Go module proxy https://proxy.golang.org answered "403 Forbidden: This module version is not available." for github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@0ac56e876614aedf12771d73ef7e80959b8a6fd4',
        );
        expect(advice).toMatch(/^Install the official Pulumi CLI v3\.259\.0 .*\n[\s\S]*pulumi plugin install resource kubernetes v4\.32\.0/);
        expect(advice).not.toContain("ERROR");
    });

    it("falls back to the script's last error when it names no binary", () => {
        const { missing } = parseEngineFailure("[engine] using x\n[engine] ERROR: MEDIA_PLATFORM_ENGINE_BIN=/opt/p has no executable pulumi\n");
        expect(missing).toEqual([{ binary: "engine", reason: "MEDIA_PLATFORM_ENGINE_BIN=/opt/p has no executable pulumi" }]);
    });
});

describe("the pinned engine", () => {
    const root = path.resolve(__dirname, "../..");
    const pins = Object.fromEntries(
        fs
            .readFileSync(path.join(root, "scripts/engine/versions.env"), "utf8")
            .split("\n")
            .filter((l) => /^[A-Z_]+=/.test(l))
            .map((l) => l.split("=") as [string, string]),
    );
    const deps = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).dependencies;

    it("is the Kubernetes provider of the @pulumi/kubernetes SDK the lockfile pins, and a CLI no older than the @pulumi/pulumi SDK", () => {
        expect(pins.PULUMI_KUBERNETES_VERSION).toBe(deps["@pulumi/kubernetes"]);
        const semver = (v: string) => v.split(".").map(Number);
        const [cli, sdk] = [semver(pins.PULUMI_VERSION), semver(deps["@pulumi/pulumi"])];
        const cmp = cli[0] - sdk[0] || cli[1] - sdk[1] || cli[2] - sdk[2];
        expect(cmp).toBeGreaterThanOrEqual(0);
    });

    it("is stated in one place: the workflows read versions.env and name no version of their own", () => {
        const files = [".github/workflows/pr.yml", ".github/workflows/deploy.yml", ".github/actions/pulumi-engine/action.yml"];
        for (const f of files) {
            const text = fs.readFileSync(path.join(root, f), "utf8");
            expect(text).not.toContain(pins.PULUMI_VERSION);
            expect(text).not.toContain(pins.PULUMI_KUBERNETES_VERSION);
        }
        expect(fs.readFileSync(path.join(root, files[2]), "utf8")).toContain("source scripts/engine/versions.env");
    });
});
