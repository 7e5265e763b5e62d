// Reading the real engine's events (fixtures recorded with `platform … --json` on pulumi v3.259.0 and the
// Kubernetes provider v4.25.0, gzipped, with resource outputs and stdout events left out to keep them small; the
// unchanged update keeps only its update's events; the replacement — dev's stack file with
// data.redis.queue.storageGiB 2 → 4 and data.redis.cache.memoryMiB 256 → 384, previewed after an up of dev —
// also drops debug diagnostics, the old state of unchanged steps and CRDs' inputs): each resource's step, each
// policy violation, the change summary; what the operator reads (terminal and PR comment) and the exit code;
// the engine script's failure; the pinned versions.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { changes, EventLog, type EngineRun } from "../../cli/engine";
import { parseEngineFailure } from "../../cli/engineScript";
import { exitCodeOf, formatChanges, formatFailure, formatSteps } from "../../cli/commands/deploy";
import { summaryOfResources } from "../../cli/commands/capacity";
import { runMarkdown } from "../../cli/report/markdown";
import { explain, fromEngine } from "../../cli/report/violations";
import { loadStackFile, stackFile } from "../../config/load";
import { replayFile } from "../replays/outages";

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
const replaceRedis = replay("events-preview-dev-replace-redis.jsonl.gz", "preview", false);

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

    it("give a replacement the engine refuses for a protected resource, with the error", () => {
        const changed = replaceRedis.steps.filter(changes);
        expect(changed.map((s) => [s.name, s.op, s.resource?.protect])).toEqual([
            ["redis-cache-config", "create-replacement", false],
            ["redis-queue", "create-replacement", true],
            ["redis-cache", "create-replacement", false],
        ]);
        expect(replaceRedis.errors.join("\n")).toMatch(/unable to replace resource .*StatefulSet::redis-queue"\s+as it is currently marked for protection/);
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

    it("lists each change, what holds data first, and each violation by rule with its resource and remediation", () => {
        expect(formatSteps(unchanged)).toEqual([]);
        expect(formatSteps(devPreview)[0]).toMatch(/^ {2}\+ create \S+ \S+$/);
        expect(formatSteps(replaceRedis)[0]).toMatch(/^ {2}\+\+ create-replacement kubernetes:apps\/v1:StatefulSet redis-queue .*— holds data: it goes with it$/);
        // Replacing the cache empties it (its Deployment says so): flagged with the queue, before the rest.
        expect(formatSteps(replaceRedis)[1]).toMatch(/^ {2}\+\+ create-replacement kubernetes:apps\/v1:Deployment redis-cache .*— holds data: it goes with it$/);
        expect(formatSteps(replaceRedis).slice(2).join("\n")).not.toContain("holds data");
        const failure = formatFailure(saturation, false, { width: 100 }).join("\n");
        expect(failure).toMatch(/^MANDATORY storage-network-headroom \(3\)$/m);
        // The rule's description once, not in front of every message as the engine sends it.
        expect(failure).toMatch(/^ {2}- storage-cluster \(kubernetes:ceph\.rook\.io\/v1:CephCluster\): Ceph traffic at peak/m);
        expect(failure).toMatch(/^ {2}How to fix: Give the storage nodes more baseline bandwidth/m);
        expect(formatFailure(replaceRedis).join("\n")).toMatch(/^ {2}error: unable to replace resource/m);
    });

    it("exits 3 on a mandatory violation, 4 on changes under --expect-no-changes, 0 otherwise", () => {
        expect(exitCodeOf(saturation)).toBe(3);
        expect(exitCodeOf(devPreview)).toBe(0);
        expect(exitCodeOf(devPreview, true)).toBe(4);
        expect(exitCodeOf(unchanged, true)).toBe(0);
        expect(exitCodeOf({ ...devPreview, ok: false })).toBe(1);
    });

});

/** The PR comment section of a recorded run, as `preview --markdown` writes it. */
function comment(run: EngineRun, stack: string, file: string, opts: { expectNoChanges?: boolean } = {}, keepAs?: string): string {
    const capacity = summaryOfResources(run.steps.filter((s) => s.op !== "delete").flatMap((s) => (s.resource ? [s.resource] : [])));
    const violations = explain(run.violations.map(fromEngine), { summary: capacity, config: loadStackFile(file) });
    const md = runMarkdown({ ...run, stack }, { violations, capacity, ...opts });
    // Kept for review beside the other outputs of the tests.
    fs.mkdirSync(OUTPUT, { recursive: true });
    if (keepAs) fs.writeFileSync(path.join(OUTPUT, `comment-${keepAs}.md`), md);
    return md;
}
const OUTPUT = path.resolve(__dirname, "../../test-output");

/** The rows of the Markdown table that follows `header`. */
const tableAfter = (md: string, header: string) => md.slice(md.indexOf(header)).split("\n").slice(2).filter((l) => l.startsWith("|"));

describe("the PR comment", () => {
    const passed = comment(devPreview, "dev", stackFile("dev"), {}, "dev-passing");
    const failed = comment(saturation, "storage-saturation", replayFile("storage-saturation"), {}, "storage-saturation-failing");
    const replaced = comment(replaceRedis, "dev", stackFile("dev"), {}, "dev-replacing-redis");

    it("opens with the verdict", () => {
        const mandatory = saturation.violations.filter((v) => v.enforcementLevel === "mandatory").length;
        expect(passed.split("\n")[0]).toBe("### `dev` — ✅ preview passed");
        expect(failed.split("\n")[0]).toBe(`### \`storage-saturation\` — ❌ preview failed: ${mandatory} mandatory policy violations`);
        expect(replaced.split("\n")[0]).toBe("### `dev` — ❌ preview failed");
        expect(comment(unchanged, "dev", stackFile("dev"), { expectNoChanges: true }).split("\n")[0]).toBe("### `dev` — ✅ update passed: no changes");
        expect(comment(devPreview, "dev", stackFile("dev"), { expectNoChanges: true }).split("\n")[0]).toBe(`### \`dev\` — ⚠️ ${devPreview.steps.length} changes where none were expected`);
    });

    it("puts replacing what holds data first and in bold, the other changes collapsed, then the engine's error", () => {
        const lines = replaced.split("\n");
        expect(lines[2]).toBe("3 to replace, 132 unchanged · policy config `none (rule defaults)`");
        expect(lines[4]).toBe("**⚠️ 2 resources that hold data are replaced or deleted: their data goes with them.**");
        // The engine stops at the protected resource before it says which properties forced the replacement.
        expect(lines[6]).toBe("- **replace `redis-queue`** (`kubernetes:apps/v1:StatefulSet`, protected)");
        expect(lines[7]).toBe("- **replace `redis-cache`** (`kubernetes:apps/v1:Deployment`)");
        const others = replaced.slice(replaced.indexOf("<details><summary>Other changes: 1 to replace</summary>"), replaced.indexOf("</details>"));
        expect(tableAfter(others, "| | resource |").map((l) => l.split(" | ")[1])).toEqual(["`redis-cache-config`"]);
        expect(replaced).toMatch(/\*\*Engine errors:\*\*\n\n> unable to replace resource .*redis-queue" as it is currently marked for protection/);
        // A first preview creates everything: nothing holds data yet, so all of it is collapsed.
        expect(passed).not.toContain("holds data");
        expect(passed).toContain(`<details><summary>Changes: ${devPreview.steps.length} to create</summary>`);
    });

    it("gives each violation its rule, resource, message, fix and remediation steps", () => {
        expect(failed).toContain("#### Policy violations: 6 mandatory, 0 advisory");
        expect(failed).toContain("**❌ mandatory · `storage-node-baseline-bandwidth`** — Every storage node has at least 10 Gbps of baseline");
        expect(failed).toContain(
            "- `storage-cluster` (`kubernetes:ceph.rook.io/v1:CephCluster`): storage node ceph-1 has a baseline of 1 Gbps, below the 10 Gbps floor (Ceph: provision at least 10 Gb/s).<br>**Smallest fix:** `storage.nodes[ceph-1].nicGbps 1 → 10`",
        );
        expect(failed).toMatch(/^\*\*How to fix:\*\* Use storage nodes whose sustained NIC rate/m);
        expect(failed).toMatch(/^\*\*How to fix:\*\* Give the storage nodes more baseline bandwidth/m);
        expect(passed).not.toContain("Policy violations");
    });

    it("gives capacity as a table of budget, used, limit, % and status, fullest first within each rule, with no code block", () => {
        const rows = tableAfter(failed, "| budget | used | limit | % | status |");
        expect(rows.every((r) => r.split(/(?<!\\)\|/).length === 7)).toBe(true);
        // Every column but the title stays narrow, so the table wraps titles instead of scrolling sideways.
        for (const r of rows) for (const c of r.split(/(?<!\\)\|/).slice(2, 6)) expect(c.trim().length).toBeLessThanOrEqual(24);
        expect(failed).not.toContain("```");
        const floor = rows.find((r) => r.includes("floor against the baseline of ceph-1"))!;
        expect(floor).toMatch(/\| needs ≥ 10 Gbps \| has 1 Gbps \| {2}\| ❌ \*\*OVER\*\* \|$/);
        const headroom = rows.slice(rows.findIndex((r) => r.includes("**storage-network-headroom**")) + 1, rows.findIndex((r) => r.includes("**storage-node-memory**")));
        expect(headroom.map((r) => r.split(" | ")[4].replace(/ \|$/, ""))).toEqual(["❌ **OVER**", "❌ **OVER**", "❌ **OVER**", "ok", "ok", "ok"]);
        expect(failed).toMatch(/<details open><summary>Capacity: \d+ budgets — \d+ OVER, \d+ near, \d+ ok<\/summary>/);
        // dev passes: its capacity is collapsed, with nothing near or over.
        expect(passed).toMatch(/<details><summary>Capacity: \d+ budgets — 0 OVER, 0 near, \d+ ok<\/summary>/);
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

    it("runs without the CLI's automatic log in its own plugin home, removing an old one; MEDIA_PLATFORM_ENGINE_LOGS=1 keeps it", () => {
        // A stand-in engine of the pinned version (step 2 of build.sh), in a cache of the test's own.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-logs-"));
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\n[ "$1" = version ] && echo v${pins.PULUMI_VERSION}\nexit 0\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "pulumi-resource-kubernetes"), "#!/bin/sh\n", { mode: 0o755 });
        const home = path.join(dir, "cache", `${pins.PULUMI_VERSION}-k8s${pins.PULUMI_KUBERNETES_VERSION}`, "home");
        const logs = path.join(home, "logs");
        const resolve = (env: Record<string, string> = {}) => {
            const r = spawnSync("bash", [path.join(root, "scripts/engine/build.sh")], {
                encoding: "utf8",
                env: { PATH: process.env.PATH!, HOME: dir, MEDIA_PLATFORM_ENGINE_CACHE: path.join(dir, "cache"), MEDIA_PLATFORM_ENGINE_BIN: bin, MEDIA_PLATFORM_ENGINE_FORCE_BUILD: "1", ...env },
            });
            expect([r.status, r.stderr]).toEqual([0, expect.any(String)]);
            expect(r.stdout).toContain(`MEDIA_PLATFORM_PULUMI_HOME=${home}`);
            return r.stderr;
        };
        try {
            fs.mkdirSync(logs, { recursive: true });
            fs.writeFileSync(path.join(logs, "organization+media-platform+dev-20261201T224258.log"), "PLOG");
            expect(resolve()).toContain(`turning the engine's automatic logs off in ${home}`);
            // A file where the CLI would make its folder: it carries on without the log.
            expect(fs.statSync(logs).isFile()).toBe(true);
            expect(resolve()).not.toContain("turning");
            expect(fs.statSync(logs).isFile()).toBe(true);
            resolve({ MEDIA_PLATFORM_ENGINE_LOGS: "1" });
            expect(fs.existsSync(logs)).toBe(false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is stated in one place: the workflows read versions.env and name no version of their own", () => {
        const files = [".github/workflows/pr.yml", ".github/workflows/deploy.yml", ".github/workflows/drift.yml", ".github/actions/pulumi-engine/action.yml"];
        for (const f of files) {
            const text = fs.readFileSync(path.join(root, f), "utf8");
            expect(text).not.toContain(pins.PULUMI_VERSION);
            expect(text).not.toContain(pins.PULUMI_KUBERNETES_VERSION);
        }
        expect(fs.readFileSync(path.join(root, files[3]), "utf8")).toContain("source scripts/engine/versions.env");
    });
});
