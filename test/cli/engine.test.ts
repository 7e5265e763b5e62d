// Reading the real engine's events (fixtures recorded with `platform … --json` on pulumi v3.259.0 and the
// Kubernetes provider v4.25.0, gzipped, with resource outputs and stdout events left out to keep them small; the
// unchanged update keeps only its update's events): each resource's step, each policy violation, the change summary; what the
// operator reads and the exit code; the engine script's failure; the pinned versions.
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { changes, EventLog, type EngineRun } from "../../cli/engine";
import { parseEngineFailure } from "../../cli/engineScript";
import { exitCodeOf, formatChanges, formatFailure, formatSteps, previewMarkdown } from "../../cli/commands/deploy";

const fixture = (name: string) => {
    const data = fs.readFileSync(path.join(__dirname, "fixtures", name));
    return (name.endsWith(".gz") ? zlib.gunzipSync(data) : data).toString("utf8");
};

/** Folds a recorded event stream as the CLI does. */
function replay(name: string, kind: EngineRun["kind"], ok: boolean): EngineRun {
    const log = new EventLog();
    for (const line of fixture(name).split("\n")) if (line.startsWith("{")) log.onEvent(JSON.parse(line) as EngineEvent);
    return log.result(kind, "test", ok, 9);
}

const devPreview = replay("events-preview-dev.jsonl.gz", "preview", true);
const saturation = replay("events-preview-storage-saturation.jsonl.gz", "preview", false);
const unchanged = replay("events-up-dev-unchanged.jsonl.gz", "update", true);

describe("the engine's events, folded", () => {
    it("give one step per resource with its operation, type and registered inputs", () => {
        expect(devPreview.steps.length).toBeGreaterThan(80);
        expect(devPreview.steps.every((s) => s.op === "create")).toBe(true);
        const ceph = devPreview.steps.find((s) => s.type === "kubernetes:ceph.rook.io/v1:CephCluster")!;
        expect(ceph.name).toBe("storage-cluster");
        expect(ceph.resource?.protect).toBe(true);
        expect(ceph.resource?.props.spec.storage.nodes.map((n: { name: string }) => n.name)).toEqual(["dev-storage-1", "dev-storage-2", "dev-storage-3"]);
        expect(devPreview.changes).toEqual({ create: devPreview.steps.length });
    });

    it("give every policy violation with Pulumi's names, and counts when the failed preview has no summary", () => {
        const mandatory = saturation.violations.filter((v) => v.enforcementLevel === "mandatory");
        expect(new Set(mandatory.map((v) => v.policyName))).toEqual(new Set(["storage-network-headroom", "storage-node-baseline-bandwidth"]));
        expect(mandatory.every((v) => v.policyPackName === "media-platform" && v.resourceUrn?.includes("CephCluster"))).toBe(true);
        expect(saturation.changes.create).toBe(saturation.steps.length);
    });

    it("tell an unchanged update from a changing one", () => {
        expect(unchanged.steps.filter(changes)).toEqual([]);
        expect(Object.keys(unchanged.changes)).toEqual(["same"]);
    });
});

describe("what the operator reads", () => {
    it("words the counts in the tense of the command", () => {
        expect(formatChanges({ create: 3, same: 82 }, "past")).toBe("3 created, 82 unchanged");
        expect(formatChanges({ create: 3, delete: 1 }, "future")).toBe("3 to create, 1 to delete");
        expect(formatChanges(unchanged.changes, "past")).toBe(`${unchanged.changes.same} unchanged`);
        expect(formatChanges({}, "future")).toBe("no resources");
    });

    it("lists each change, and each violation with its level, rule and resource", () => {
        expect(formatSteps(unchanged)).toEqual([]);
        expect(formatSteps(devPreview)[0]).toMatch(/^ {2}\+ create \S+ \S+$/);
        const failure = formatFailure(saturation);
        expect(failure.filter((l) => l.startsWith("  [mandatory] storage-network-headroom (storage-cluster): "))).not.toHaveLength(0);
    });

    it("exits 3 on a mandatory violation, 4 on changes under --expect-no-changes, 0 otherwise", () => {
        expect(exitCodeOf(saturation)).toBe(3);
        expect(exitCodeOf(devPreview)).toBe(0);
        expect(exitCodeOf(devPreview, true)).toBe(4);
        expect(exitCodeOf(unchanged, true)).toBe(0);
        expect(exitCodeOf({ ...devPreview, ok: false })).toBe(1);
    });

    it("writes the PR comment section: verdict, counts, violations and capacity", () => {
        const md = previewMarkdown({ ...saturation, stack: "storage-saturation" }, undefined, "Capacity summary (used / limit):\n  Ceph traffic …");
        const mandatory = saturation.violations.filter((v) => v.enforcementLevel === "mandatory").length;
        expect(md.split("\n")[0]).toBe(`### \`storage-saturation\` — ❌ preview failed: ${mandatory} mandatory policy violations`);
        expect(md).toContain("[mandatory] storage-network-headroom");
        expect(md).toContain("<details open><summary>Capacity summary</summary>\n\n```text\nCapacity summary (used / limit):\n  Ceph traffic …\n```");
        const passed = previewMarkdown({ ...devPreview, stack: "dev" }, undefined, "Capacity summary (used / limit):");
        expect(passed.split("\n")[0]).toBe("### `dev` — ✅ preview passed");
        expect(passed).toContain(`Resources: ${devPreview.steps.length} to create.`);
    });
});

describe("the engine script's failure", () => {
    it("names each binary it could not get with the proxy's answer, once, and keeps its advice", () => {
        const { missing, advice } = parseEngineFailure(fixture("engine-unavailable.txt"));
        expect(missing.map((m) => m.binary)).toEqual(["pulumi", "pulumi-resource-kubernetes"]);
        expect(missing[1].reason).toBe(
            "go mod download github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199: github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199: module lookup disabled by GOPROXY=off",
        );
        expect(advice).toMatch(/^Install the official Pulumi CLI v3\.259\.0 .*\n[\s\S]*pulumi plugin install resource kubernetes v4\.25\.0/);
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
    const pkg = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), "utf8"));
    const installed = (name: string) => pkg(`node_modules/${name}/package.json`).version as string;
    const deps = pkg("package.json").dependencies;

    it("is the Kubernetes provider of the @pulumi/kubernetes SDK pinned and installed, and a CLI no older than the @pulumi/pulumi SDK", () => {
        expect(deps["@pulumi/kubernetes"]).toBe(pins.PULUMI_KUBERNETES_VERSION);
        expect(installed("@pulumi/kubernetes")).toBe(pins.PULUMI_KUBERNETES_VERSION);
        expect(installed("@pulumi/pulumi")).toBe(deps["@pulumi/pulumi"]);
        const semver = (v: string) => v.split(".").map(Number);
        const [cli, sdk] = [semver(pins.PULUMI_VERSION), semver(deps["@pulumi/pulumi"])];
        expect(cli[0] - sdk[0] || cli[1] - sdk[1] || cli[2] - sdk[2]).toBeGreaterThanOrEqual(0);
    });

    it("builds the provider from the pseudo-version of its release, never labelled otherwise", () => {
        expect(pins.PULUMI_KUBERNETES_MODULE_VERSION).toMatch(/^v4\.0\.0-\d{14}-[0-9a-f]{12}$/);
        const build = fs.readFileSync(path.join(root, "scripts/engine/build.sh"), "utf8");
        expect(build).toContain('K8S_VERSION_LDFLAG="-X ${MOD_K8S}/pkg/version.Version=${PULUMI_KUBERNETES_VERSION}"');
        expect(build).toContain('VERSION="$PULUMI_KUBERNETES_VERSION" go run generate.go');
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
