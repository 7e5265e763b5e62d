// The pack as `pulumi policy publish` ships it: `npm pack` in policies/ (its prepack bundles dist/index.js), the
// tarball installed alone in a temporary folder, the pack started from there as the Pulumi CLI starts one, and
// every incident replay checked against it through `check`. One install and one pack process serve every replay.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { PolicyPackProcess } from "../../cli/analyzer";
import { runCheck, type CheckResult } from "../../cli/commands/check";
import { PACK_DIR } from "../../cli/packBuild";
import { PROJECT_ROOT, stackFile } from "../../config/load";
import { RULES } from "../../policies/rules";
import { REPLAYS, replayFile } from "../replays/outages";
import { expectRejectedBy } from "./helpers";

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));
const manifest = readJson(path.join(PACK_DIR, "package.json"));
const pins = readJson(path.join(PROJECT_ROOT, "package.json")).dependencies;

/** npm as an operator's shell runs it: without what an npm script running jest passes to its children. */
async function npm(args: string[], cwd: string): Promise<string> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package_|lifecycle_|command$|config_local_prefix$)/.test(k)));
    const { stdout } = await promisify(execFile)("npm", args, { cwd, env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    return stdout;
}

let tmp: string;
/** What `npm pack` printed on stdout. */
let packed: string;
/** The pack's folder in the consumer's node_modules. */
let installed: string;
let pack: PolicyPackProcess;

beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pack-tarball-"));
    // As `pulumi policy publish` runs it in the pack's folder (which reads the tarball's name from stdout).
    packed = await npm(["pack", "--loglevel=error", "--pack-destination", tmp], PACK_DIR);
    const consumer = path.join(tmp, "consumer");
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "pack-consumer", version: "0.0.0", private: true }));
    await npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", path.join(tmp, packed.trim())], consumer);
    installed = path.join(consumer, "node_modules", manifest.name);
    pack = await PolicyPackProcess.start({ dir: installed, runner: "pulumi" });
}, 600_000);

afterAll(async () => {
    await pack?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the published pack", () => {
    it("is packed by npm pack, which prints nothing but the tarball's name", () => {
        expect(packed).toBe(`${manifest.name}-${manifest.version}.tgz\n`);
    });

    it("carries its bundle, PulumiPolicy.yaml, the policy config of every environment and package.json, nothing else", () => {
        const configs = fs.readdirSync(path.join(PACK_DIR, "config")).map((f) => `config/${f}`);
        const files = fs.readdirSync(installed, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
        expect(files.map((e) => path.relative(installed, path.join(e.parentPath, e.name))).sort()).toEqual(
            ["PulumiPolicy.yaml", "dist/index.js", "package.json", ...configs].sort(),
        );
        for (const f of configs) expect(fs.readFileSync(path.join(installed, f), "utf8")).toBe(fs.readFileSync(path.join(PACK_DIR, f), "utf8"));
    });

    it("depends on the SDKs the project pins, and runs on the ones installed beside it", () => {
        const sdks = ["@pulumi/policy", "@pulumi/pulumi"];
        expect(manifest.dependencies).toEqual(Object.fromEntries(sdks.map((s) => [s, pins[s]])));
        // @pulumi/policy's package.json spells its version with a leading v.
        for (const s of sdks) expect(readJson(require.resolve(`${s}/package.json`, { paths: [installed] })).version.replace(/^v/, "")).toBe(pins[s]);
        expect(require.resolve("@pulumi/policy", { paths: [installed] }).startsWith(tmp)).toBe(true);
    });

    it("is named as its package, at its version, with every rule", async () => {
        const info = await pack.info();
        expect({ name: info.name, version: info.version }).toEqual({ name: manifest.name, version: manifest.version });
        expect(info.policies.map((p) => p.name).sort()).toEqual(RULES.map((r) => r.name).sort());
    });

    it("passes the shipped dev stack", async () => {
        const result = await runCheck({ stackFile: stackFile("dev"), pack });
        expect(result.mandatory).toBe(0);
    });
});

describe.each(REPLAYS.map((r) => [r.name, r.rules] as const))("replay %s against the installed pack", (name, rules) => {
    let result: CheckResult;
    beforeAll(async () => {
        result = await runCheck({ stackFile: replayFile(name), pack });
    });

    it(`is rejected by ${rules.join(" and ")} (mandatory)`, () => {
        expect(result.policyPack).toEqual({ name: manifest.name, version: manifest.version });
        expectRejectedBy(result, rules);
    });
});
