// `shards plan` and `tenants render` as an operator runs them: output, the lock workflow, exit codes.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { main } from "../../cli/main";
import { PROJECT_ROOT } from "../../config/load";
import { stackConfig, writeStackFile } from "../harness";

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const log = jest.spyOn(console, "log").mockImplementation((...a) => void (out += `${a.join(" ")}\n`));
    const write = jest.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
    try {
        return { code: await main(argv), out, err };
    } finally {
        log.mockRestore();
        write.mockRestore();
    }
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "shards-cli-"));
const devRegistry = path.join(PROJECT_ROOT, "tenants/registries/dev.yaml");

describe("shards plan", () => {
    it("prints per-shard tenants, releases, rollout and a bar, then moves, makespan, lower bound, A–Z and the window", async () => {
        const { code, out } = await run("shards", "plan", "--stack", "dev");
        expect(code).toBe(0);
        expect(out).toMatch(/^shard-1 +\d+ +\d+ +\d+s +█+/m);
        expect(out).toMatch(/^Moves: +0 of 10 tenants \(0\.0 %\); 0 new, 0 removed$/m);
        expect(out).toMatch(/^Makespan: +\d+s \(busiest: shard-\d\); lower bound \d+s; ratio 1\.\d{3}$/m);
        expect(out).toMatch(/^A–Z scheme: .*1 tenant starting with a digit would get no shard$/m);
        expect(out).toMatch(/^Window: +1h: fits; smallest shard count that fits: 1$/m);
        expect(out).toMatch(/^Rollout CPU: +3 shards × 0.6 cores \(controller limits\) = 1.8 cores may be busy at once in the window; requests 0\.75 cores$/m);
        // Checked against the general VM they run on, beside the app tiers' requests (the stack run offline).
        expect(out).toMatch(/^ +\+ 3\.02 cores requested by other pods there = 4\.82 cores of 7\.91 cores allocatable on general nodes \(1\): fits \(61 %\)$/m);
    });

    it("--json carries the whole assignment; growing through the lock moves tenants only onto the new shard", async () => {
        const { code, out } = await run("shards", "plan", "--stack", "dev", "--shards", "4", "--json");
        expect(code).toBe(0);
        const plan = JSON.parse(out);
        expect(Object.keys(plan.assignment)).toHaveLength(10);
        expect(plan.lock.found).toBe(true);
        expect(plan.moves.length).toBeGreaterThan(0);
        expect(plan.moves.every((m: { to: string }) => m.to === "shard-4")).toBe(true);
        expect(plan).toMatchObject({ shards: 4, fitsWindow: true, recommendedShards: 1 });
        expect(plan.rolloutCpu).toMatchObject({ id: "flux.rollout.cpu", controllersCores: 2.4, othersCores: 3.02, limit: 7.91, fits: true });
    });

    it("a shard count whose controllers' CPU the nodes do not have: the rollout is not claimed", async () => {
        const plan = JSON.parse((await run("shards", "plan", "--stack", "dev", "--shards", "10", "--json")).out);
        // 10 × 0.6 cores + 3.02 requested by the app tiers and Flux's main controllers on one 8-core VM.
        expect(plan.makespanSeconds).toBeLessThan(plan.windowSeconds);
        expect(plan.rolloutCpu).toMatchObject({ used: 9.02, limit: 7.91, fits: false });
        expect(plan.fitsWindow).toBe(false);
        const text = (await run("shards", "plan", "--stack", "dev", "--shards", "10")).out;
        expect(text).toMatch(/^Window: +1h: NOT PREDICTED: the rollouts above count on CPU the nodes do not have/m);
        expect(text).toMatch(/= 9\.02 cores of 7\.91 cores allocatable on general nodes \(1\): DOES NOT FIT \(114 %\)$/m);
        // Without a stack the nodes are unknown: the plan says so instead of a verdict on them.
        const bare = (await run("shards", "plan", "--tenants", devRegistry, "--shards", "10")).out;
        expect(bare).toMatch(/^Window: +1h: fits;/m);
        expect(bare).toMatch(/^ +not checked against nodes without a stack/m);
    });

    it("the lock workflow: --write records the plan, new tenants join without moves, n → n+1 moves onto the new shard", async () => {
        const dir = tmp();
        const registry = path.join(dir, "reg.yaml");
        const names = Array.from({ length: 60 }, (_, i) => `user-${i}`);
        fs.writeFileSync(registry, YAML.stringify({ tenants: names.map((name, i) => ({ name, apps: Array.from({ length: i % 7 }, (_, j) => `app-${j}`) })) }));
        expect((await run("shards", "plan", "--tenants", registry, "--shards", "5", "--write")).code).toBe(0);
        const lockFile = path.join(dir, "reg.lock.yaml");
        const first = fs.readFileSync(lockFile, "utf8");
        expect(first).toMatch(/^shards: 5$/m);

        fs.appendFileSync(registry, "  - name: newcomer\n    apps: [plex]\n");
        const joined = JSON.parse((await run("shards", "plan", "--tenants", registry, "--json")).out);
        expect(joined).toMatchObject({ shards: 5, moves: [], added: 1 });

        const grown = await run("shards", "plan", "--tenants", registry, "--shards", "6", "--write");
        expect(grown.out).toMatch(/^Moves: +\d+ of 61 tenants \(.*\), onto shard-6; 1 new, 0 removed$/m);
        const second = fs.readFileSync(lockFile, "utf8");
        const before = new Map(first.split("\n").filter((l) => l.startsWith("  ")).map((l) => l.trim().split(": ") as [string, string]));
        for (const line of second.split("\n").filter((l) => l.startsWith("  "))) {
            const [t, s] = line.trim().split(": ");
            if (before.has(t) && before.get(t) !== s) expect(s).toBe("shard-6");
        }
    });

    it("without stack or lock, starts from the smallest shard count that fits the window", async () => {
        const dir = tmp();
        const registry = path.join(dir, "reg.yaml");
        fs.copyFileSync(devRegistry, registry);
        const plan = JSON.parse((await run("shards", "plan", "--tenants", registry, "--window", "5s", "--json")).out);
        expect(plan.lock.found).toBe(false);
        expect(plan.shards).toBe(plan.recommendedShards);
        expect(plan.shards).toBeGreaterThan(1);
        expect(plan.makespanSeconds).toBeLessThanOrEqual(5);
    });

    it("bad arguments exit 2 with the usage; a bad registry exits 2 with its line", async () => {
        const none = await run("shards", "plan");
        expect(none.code).toBe(2);
        expect(none.err).toMatch(/give exactly one of --tenants <registry>, --stack <name> or --stack-file <path>\n\nUsage: platform shards plan/);
        expect((await run("shards", "plan", "--stack", "dev", "--shards", "0")).err).toMatch(/--shards: expected a whole number from 1 to 256, got "0"/);
        expect((await run("shards", "plan", "--stack", "dev", "--window", "soon")).err).toMatch(/--window: expected a duration such as 1h or 45m, got "soon"/);
        const dir = tmp();
        const registry = path.join(dir, "reg.yaml");
        fs.writeFileSync(registry, "tenants:\n  - name: ok\n  - name: Not-OK\n");
        const bad = await run("shards", "plan", "--tenants", registry);
        expect(bad.code).toBe(2);
        expect(bad.err).toMatch(/reg\.yaml:3 tenants\[1\]\.name: expected a DNS label/);
    });
});

describe("tenants render", () => {
    it("renders a stack's tree and lock; --check then passes, and fails with a summary once the registry changes", async () => {
        const dir = tmp();
        const registry = path.join(dir, "reg.yaml");
        fs.copyFileSync(devRegistry, registry);
        const config = stackConfig("dev");
        config["media-platform:tenants"].registry = registry;
        config["media-platform:tenants"].renderDirectory = path.join(dir, "tree");
        const stack = writeStackFile("dev", config);

        const first = await run("tenants", "render", "--stack-file", stack);
        expect(first.code).toBe(0);
        expect(first.out).toMatch(/Rendered 10 tenants on 3 shards to .*tree: 16 files added, 0 changed, 0 removed, 0 unchanged; lock .*reg\.lock\.yaml updated \(10 added, 0 removed, 0 moved\)/);
        expect(fs.existsSync(path.join(dir, "tree/tenants/alice/tenant.yaml"))).toBe(true);
        expect((await run("tenants", "render", "--stack-file", stack, "--check")).code).toBe(0);

        fs.appendFileSync(registry, "  - name: zoe\n    apps: [plex]\n");
        const stale = await run("tenants", "render", "--stack-file", stack, "--check");
        expect(stale.code).toBe(1);
        expect(stale.err).toMatch(/tree: 1 missing, 1 changed file\(s\) \(tenants: zoe\)/);
        expect(stale.err).toMatch(/reg\.lock\.yaml: out of date \(1 added, 0 removed, 0 moved\)/);
        expect(stale.err).toMatch(/Run: npm run --silent platform -- tenants render --stack-file /);
        expect((await run("tenants", "render", "--stack-file", stack)).code).toBe(0);
        expect((await run("tenants", "render", "--stack-file", stack, "--check")).code).toBe(0);
    });
});
