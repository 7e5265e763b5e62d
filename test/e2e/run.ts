// `npm run test:e2e`: the end-to-end tests on the real Pulumi engine (test/e2e/*.e2e.ts). The engine comes from
// scripts/engine (the official CLI, MEDIA_PLATFORM_ENGINE_BIN, or built from the Go module proxy into the
// version-keyed cache). Prints how long getting the engine took (cold: built from nothing; warm: found) and how
// long the tests took. Under CI=true, or with --require-engine, an engine that cannot be had is a failure;
// elsewhere the tests are NOT RUN, loudly, with each missing binary and why.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { EngineUnavailable, resolveEngine } from "../../cli/engine";
import { ensurePolicyPackBuilt } from "../../cli/packBuild";
import { PROJECT_ROOT } from "../../config/load";

async function main(argv: string[]): Promise<number> {
    const requireEngine = argv.includes("--require-engine") || process.env.CI === "true";
    const jestArgs = argv.filter((a) => a !== "--require-engine");
    const started = Date.now();
    let engineLog = "";
    try {
        const engine = await resolveEngine();
        engineLog = engine.bin;
    } catch (e) {
        if (!(e instanceof EngineUnavailable)) throw e;
        const bar = "!".repeat(100);
        const lines = [bar, ...e.missing.map((m) => `e2e ${requireEngine ? "FAILED" : "NOT RUN"}: ${m.binary} unavailable: ${m.reason}`)];
        if (e.advice) lines.push(`What to do: ${e.advice}`);
        lines.push(bar);
        console.error(lines.join("\n"));
        return requireEngine ? 1 : 0;
    }
    const engineSeconds = (Date.now() - started) / 1000;
    ensurePolicyPackBuilt();
    const testsStarted = Date.now();
    const jest = spawnSync(
        process.execPath,
        [require.resolve("jest/bin/jest"), "--config", path.join(PROJECT_ROOT, "test", "e2e", "jest.config.js"), ...jestArgs],
        { cwd: PROJECT_ROOT, stdio: "inherit" },
    );
    const testSeconds = (Date.now() - testsStarted) / 1000;
    // Over a minute means the engine was built here: the cold time; a few seconds, found in the cache: warm.
    const how = engineSeconds > 60 ? "cold: built from the Go module proxy" : "warm: found";
    console.error(
        `e2e: ${jest.status === 0 ? "passed" : "FAILED"}; engine ${engineSeconds.toFixed(0)} s (${how}, ${engineLog}), tests ${testSeconds.toFixed(0)} s, total ${(engineSeconds + testSeconds).toFixed(0)} s`,
    );
    return jest.status ?? 1;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
        process.exit(1);
    },
);
