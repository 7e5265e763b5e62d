// The shard lock: which shard reconciles each tenant, committed beside the registry so that an assignment
// survives every later change (new tenants, more shards, a lost machine). One line per tenant, sorted by
// name, so a move shows in review as exactly one changed line.
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, type ConfigProblem } from "../config/errors";
import { shardIndex, shardName } from "../contract/gitops";
import { cachedRead } from "../config/parseCache";
import { readYaml } from "../config/yaml";
import { yamlScalar } from "./yaml";

export interface ShardLock {
    /** Shard count the lock was written for. */
    shards: number;
    /** Tenant name → shard index (0-based; shard-1 is 0). */
    tenants: Map<string, number>;
}


/** The conventional lock file beside a registry: tenants/registries/dev.yaml → tenants/registries/dev.lock.yaml. */
export function defaultLockPath(registry: string): string {
    const ext = path.extname(registry);
    return path.join(path.dirname(registry), `${path.basename(registry, ext)}.lock.yaml`);
}

/** Code-unit order: the same on every machine and locale. */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function formatLock(lock: ShardLock, registryName: string): string {
    const lines = [
        `# Shard lock for ${registryName}: the Flux shard that reconciles each tenant.`,
        "# Written by `platform shards plan --write` and `platform tenants render`; edit the registry, not this file.",
        "# A tenant's line changes only when it moves to another shard.",
        `shards: ${lock.shards}`,
    ];
    const names = [...lock.tenants.keys()].sort(byCodeUnit);
    if (names.length === 0) lines.push("tenants: {}");
    else {
        lines.push("tenants:");
        // Quoted where YAML would read a name as a number (00, 1e3).
        for (const n of names) lines.push(`  ${yamlScalar(n)}: ${shardName(lock.tenants.get(n)!)}`);
    }
    return lines.join("\n") + "\n";
}

export function parseLock(text: string, file: string): ShardLock {
    const raw = readYaml(text, file).value;
    const problems: ConfigProblem[] = [];
    const doc = (raw ?? {}) as Record<string, unknown>;
    if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError([{ path: file, message: "expected a mapping with shards: and tenants:" }], file);
    const shards = doc.shards;
    if (typeof shards !== "number" || !Number.isInteger(shards) || shards < 1) problems.push({ path: `${file} shards`, message: `expected a whole number ≥ 1, got ${JSON.stringify(shards)}` });
    const tenants = new Map<string, number>();
    const entries = doc.tenants ?? {};
    if (typeof entries !== "object" || entries === null || Array.isArray(entries)) problems.push({ path: `${file} tenants`, message: "expected a map of tenant → shard" });
    else {
        for (const [name, shard] of Object.entries(entries)) {
            const i = typeof shard === "string" ? shardIndex(shard) : undefined;
            if (i === undefined) problems.push({ path: `${file} tenants.${name}`, message: `expected a shard name such as shard-1, got ${JSON.stringify(shard)}` });
            else tenants.set(name, i);
        }
    }
    for (const k of Object.keys(doc)) if (k !== "shards" && k !== "tenants") problems.push({ path: `${file} ${k}`, message: "unknown key; expected one of: shards, tenants" });
    // A lock names only shards it was written for.
    if (problems.length === 0) {
        for (const [name, i] of tenants) {
            if (i >= (shards as number)) problems.push({ path: `${file} tenants.${name}`, message: `expected one of the lock's ${shards} shards (shard-1 … ${shardName((shards as number) - 1)}), got ${shardName(i)}` });
        }
    }
    if (problems.length > 0) throw new ConfigError(problems, file);
    return { shards: shards as number, tenants };
}

/** Reads a lock file; undefined when there is none yet. */
export function readLock(file: string, displayName = file): ShardLock | undefined {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new ConfigError([{ path: displayName, message: `expected a readable lock file, got ${(e as NodeJS.ErrnoException).code ?? e}` }], displayName);
    }
    return cachedRead("lock", text, { displayName }, () => parseLock(text, displayName));
}
