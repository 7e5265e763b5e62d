// The policy pack as the engine loads it: policies/index.ts and everything it imports bundled into one
// JavaScript file, policies/dist/index.js (the pack's package.json `main`). The Pulumi SDK and CrossGuard stay
// outside the bundle (the pack's dependencies). Built once by `npm ci` (the `prepare` script), by
// `npm run build:pack`, by `npm pack` in policies/ (its `prepack`, so `pulumi policy publish` ships a fresh
// bundle), and again by `platform up`/`preview` and the end-to-end tests whenever a source is newer.
// Compiled once instead of on every run: the engine's runner would otherwise type-check the TypeScript each time.
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";

const ROOT = path.resolve(__dirname, "..");
/** The pack's folder (PulumiPolicy.yaml, package.json, index.ts, the bundle in dist/), as --policy-pack takes it. */
export const PACK_DIR = path.join(ROOT, "policies");
export const PACK_BUNDLE = path.join(PACK_DIR, "dist", "index.js");
/** Folders whose TypeScript the pack may import (the layers test/architecture/layers.test.ts allows it). */
const SOURCES = ["policies", "contract", "capacity", "formats"];

/**
 * Bundles the pack; returns the bundle's path. Written aside and renamed into place, so a pack starting while
 * `npm pack` (the pack's `prepack`) rebuilds never loads half a bundle.
 */
export function buildPolicyPack(outfile = PACK_BUNDLE): string {
    const partial = `${outfile}.${process.pid}.tmp`;
    buildSync({
        entryPoints: [path.join(PACK_DIR, "index.ts")],
        outfile: partial,
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        sourcemap: "inline",
        external: ["@pulumi/pulumi", "@pulumi/policy", "@pulumi/pulumi/*", "@pulumi/policy/*"],
        logLevel: "warning",
    });
    fs.renameSync(partial, outfile);
    return outfile;
}

function newestSource(): number {
    let newest = 0;
    for (const dir of SOURCES) {
        for (const entry of fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })) {
            if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.parentPath.includes("node_modules")) continue;
            newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
        }
    }
    return newest;
}

/** Rebuilds the bundle when it is missing or older than a source it may include. */
export function ensurePolicyPackBuilt(): string {
    if (!fs.existsSync(PACK_BUNDLE) || fs.statSync(PACK_BUNDLE).mtimeMs < newestSource()) buildPolicyPack();
    return PACK_BUNDLE;
}

if (require.main === module) {
    const t0 = Date.now();
    const out = buildPolicyPack();
    process.stderr.write(`policy pack bundled into ${path.relative(process.cwd(), out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KiB, ${Date.now() - t0} ms)\n`);
}
