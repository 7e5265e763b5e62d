// Reading a stack's config: from a stack file (CLI, tests) or from the Pulumi runtime (the program).
// Both paths end in `parsePlatformConfig`, so they accept and reject exactly the same things.
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { ConfigError, parseOrThrow } from "./errors";
import { PROJECT, platformSchema, type PlatformConfig } from "./schema";
import { crossSectionProblems } from "./consistency";
import { documentValue, yamlSyntaxProblems } from "./yaml";

/** The project root: the folder holding Pulumi.yaml. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** Raw config of one stack: section name → value, for this project's namespace only. */
export type RawConfig = Record<string, unknown>;

/** Validates raw config; throws a ConfigError listing every problem. */
export function parsePlatformConfig(raw: RawConfig, source?: string): PlatformConfig {
    const cfg = parseOrThrow(platformSchema, raw, source);
    const problems = crossSectionProblems(cfg);
    if (problems.length > 0) throw new ConfigError(problems, source);
    return cfg;
}

/**
 * The stack name from a stack file's name: stacks/Pulumi.dev.yaml → dev; any other file name gives its stem
 * (review/big-homelab.yaml → big-homelab), characters Pulumi refuses in a stack name turned into '-'.
 */
export function stackNameOf(file: string): string {
    const base = path.basename(file);
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(base);
    const name = (m ? m[1] : base.replace(/\.ya?ml$/, "")).replace(/[^A-Za-z0-9_.-]/g, "-");
    return name === "" || /^\.+$/.test(name) ? "stack" : name;
}

/** Path of a shipped stack's file. */
export function stackFile(stack: string): string {
    return path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

/** The whole `config:` map of a stack file, every namespace, as YAML values. */
export function readStackFileConfig(file: string): Record<string, unknown> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new ConfigError([{ path: file, message: `cannot read the stack file (${(e as NodeJS.ErrnoException).code ?? e})` }]);
    }
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) throw new ConfigError(yamlSyntaxProblems(doc.errors, file), file);
    const read = documentValue(doc, file);
    if ("problem" in read) throw new ConfigError([read.problem], file);
    const top = read.value;
    if (top === null || top === undefined) return {};
    if (typeof top !== "object" || Array.isArray(top)) {
        throw new ConfigError([{ path: path.basename(file), message: "expected a mapping with a config: key" }], file);
    }
    const config = (top as Record<string, unknown>).config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new ConfigError([{ path: "config", message: "expected a mapping of config keys" }], file);
    }
    return config as Record<string, unknown>;
}

/** This project's sections out of a full config map (`media-platform:storage` → `storage`). */
export function projectSections(all: Record<string, unknown>): RawConfig {
    const raw: RawConfig = {};
    for (const [key, value] of Object.entries(all)) {
        const i = key.indexOf(":");
        const ns = i < 0 ? PROJECT : key.slice(0, i);
        if (ns === PROJECT) raw[i < 0 ? key : key.slice(i + 1)] = value;
    }
    return raw;
}

/** Loads and validates a stack file. */
export function loadStackFile(file: string): PlatformConfig {
    return parsePlatformConfig(projectSections(readStackFileConfig(file)), path.relative(process.cwd(), file) || file);
}

/**
 * Pulumi hands config to the program as strings, structured values as JSON; turn them back into values.
 * A plain string that is not JSON (e.g. `dev`, `1h`) stays a string.
 */
export function fromPulumiStrings(all: Record<string, string>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(all)) {
        try {
            out[k] = JSON.parse(v);
        } catch {
            out[k] = v;
        }
    }
    return out;
}

/** The inverse, used by the test harness to feed a stack file to the Pulumi runtime as the CLI would. */
export function toPulumiStrings(config: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        const key = k.includes(":") ? k : `${PROJECT}:${k}`;
        out[key] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}
