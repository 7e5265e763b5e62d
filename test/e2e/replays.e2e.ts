// Incident replays on the real engine: design.md's outages, replayed as stack files (test/replays), make
// `pulumi preview --policy-pack policies` fail on the rules named for them — the same verdicts the offline
// `check` gives (test/policies/check.test.ts), here from Pulumi's own policy engine. Each replay is rendered
// to a scratch folder instead of its homelab cluster, and its state lives in a temp folder.
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../config/load";
import { configOf, expectExit, platform, scratch, type Scratch } from "./helpers";

const REPLAYS = path.resolve(__dirname, "../replays");

/** Replays and the mandatory rules each must fail on. */
const CASES: [replay: string, rules: string[]][] = [
    ["storage-saturation", ["storage-network-headroom", "storage-node-baseline-bandwidth"]],
    ["db-connections", ["database-connection-budget", "single-scheduler"]],
];

let s: Scratch;
beforeAll(() => {
    s = scratch();
});
afterAll(() => s?.remove());

it.each(CASES)("the %s replay fails pulumi preview on %p", async (replay, rules) => {
    const config = configOf(path.join(REPLAYS, `Pulumi.${replay}.yaml`));
    config["media-platform:cluster"] = { ...config["media-platform:cluster"], renderDirectory: path.join(s.renderRoot, replay) };
    const file = s.stackFile(replay, config);
    const md = path.join(s.dir, `preview-${replay}.md`);
    const state = path.join(s.dir, "state");
    const run = await platform(["preview", "--stack-file", file, "--state-dir", state, "--backend", `file://${state}/state`, "--markdown", md], {
        PULUMI_CONFIG_PASSPHRASE: "e2e",
    });
    expectExit(run, 1);
    expect(run.out).toMatch(/❌ media-platform@v?\d+\.\d+\.\d+/);
    for (const rule of rules) expect(run.out).toMatch(new RegExp(`\\[mandatory\\] \\[severity: \\w+\\]\\s+${rule}\\s+\\(kubernetes:`));
    expect(run.out).toMatch(new RegExp(`^${replay}: preview FAILED`, "m"));
    const comment = fs.readFileSync(md, "utf8");
    expect(comment).toMatch(new RegExp(`^### \`${replay}\` — ❌ preview failed: \\d+ mandatory policy violations?$`, "m"));
    for (const rule of rules) expect(comment).toContain(rule);
    expect(comment).toContain("policies/config/homelab.json");
    // A preview writes nothing.
    expect(fs.existsSync(path.join(PROJECT_ROOT, s.renderRoot, replay))).toBe(false);
});
