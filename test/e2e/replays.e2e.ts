// Incident replays on the real engine: the design's outages, replayed as stack files (test/replays), fail
// `pulumi preview` with the policy pack on the rules named for them — the verdicts the offline `check` gives
// (test/policies/check.test.ts), here from Pulumi's own policy engine — and write nothing. Each replay renders to
// a scratch folder instead of its cluster; its state lives in a temp folder. Replays of prod need the AWS and
// Cloudflare providers, which cannot run here: they are checked offline and previewed by the PR workflow.
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../config/load";
import { REPLAYS, replayFile } from "../replays/outages";
import { configOf, eventsOf, expectExit, platform, scratch, type Scratch } from "./helpers";

const ON_THIS_ENGINE = REPLAYS.filter((r) => r.base !== "prod");

let s: Scratch;
beforeAll(() => {
    s = scratch();
});
afterAll(() => s?.remove());

it.each(ON_THIS_ENGINE.map((r) => [r.name, r.rules] as const))("the %s replay fails pulumi preview on %p and writes nothing", async (replay, rules) => {
    const config = configOf(replayFile(replay));
    const cluster = config["media-platform:cluster"];
    const render = path.join(s.renderRoot, replay);
    config["media-platform:cluster"] = cluster.provider === "render" ? { ...cluster, directory: render } : { ...cluster, renderDirectory: render };
    const file = s.stackFile(replay, config);
    const md = path.join(s.dir, `preview-${replay}.md`);
    const state = path.join(s.dir, "state");
    const run = await platform(["preview", "--stack-file", file, "--state-dir", state, "--backend", `file://${state}/state`, "--markdown", md, "--json"], {
        PULUMI_CONFIG_PASSPHRASE: "e2e",
    });
    expectExit(run, 3);
    const mandatory = new Set(eventsOf(run).flatMap((e) => (e.policyEvent?.enforcementLevel === "mandatory" ? [e.policyEvent.policyName] : [])));
    for (const rule of rules) expect(mandatory).toContain(rule);
    expect(run.out).toMatch(new RegExp(`^${replay}: preview FAILED`, "m"));
    const comment = fs.readFileSync(md, "utf8");
    expect(comment).toMatch(new RegExp(`^### \`${replay}\` — ❌ preview failed: \\d+ mandatory policy violations?$`, "m"));
    for (const rule of rules) expect(comment).toContain(rule);
    // A preview writes nothing: no manifests, and the stack's state holds no resources.
    expect(fs.existsSync(path.join(PROJECT_ROOT, render))).toBe(false);
    const stacks = path.join(state, "state", ".pulumi", "stacks");
    const checkpoints = fs.existsSync(stacks) ? fs.readdirSync(stacks, { recursive: true }).map(String).filter((f) => f.includes(replay) && f.endsWith(".json")) : [];
    for (const c of checkpoints) expect(JSON.parse(fs.readFileSync(path.join(stacks, c), "utf8")).checkpoint?.latest?.resources ?? []).toEqual([]);
});
