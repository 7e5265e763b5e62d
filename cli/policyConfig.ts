// Per-stack policy config, read and reconciled the way the Pulumi CLI does for `--policy-pack-config`
// (pkg/resource/analyzer/config.go): a file maps policy name → enforcement level string, or an object of
// properties with an optional enforcementLevel; "all" sets every policy's level. The CLI fills in each
// property's schema default, applies the pack's initial config, then the file, and validates the result
// against each policy's config schema. Invalid config is a config error (exit 2), nothing is analysed.
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { ConfigError, renderValue, type ConfigProblem as Problem } from "../config/errors";
import type { Rule } from "../policies/framework";
import { RULES } from "../policies/rules";

export const LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
export type EnforcementLevel = (typeof LEVELS)[number];

/** One policy's reconciled config. */
export interface PolicyConfigEntry {
    enforcementLevel?: EnforcementLevel;
    properties: Record<string, unknown>;
}
export type PackConfig = Record<string, PolicyConfigEntry>;

/** What the analyzer says about one policy (GetAnalyzerInfo). */
export interface PolicyInfo {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    severity?: string;
    remediationSteps?: string;
    configSchema?: { properties: Record<string, any>; required?: string[] };
}

/** The folder of per-stack policy config files. */
export const POLICY_CONFIG_DIR = path.resolve(__dirname, "..", "policies", "config");

/**
 * The policy config file of a stack's environment: policies/config/<environment>.json. Never chosen by the stack
 * file's name, so a stack file named after a laxer environment cannot pick up that environment's thresholds.
 */
export function policyConfigFileFor(environment: string): string | undefined {
    const file = path.join(POLICY_CONFIG_DIR, `${environment}.json`);
    return fs.existsSync(file) ? file : undefined;
}

/**
 * Rules the shipped config of an environment makes mandatory that `config` (reconciled) leaves below
 * mandatory: "name (advisory)", "name (disabled)". The caller warns; the engine would run them at that level.
 */
export function downgradedRules(config: PackConfig, shipped: PackConfig): string[] {
    return Object.entries(shipped)
        .filter(([name, s]) => s.enforcementLevel === "mandatory" && config[name] !== undefined && config[name].enforcementLevel !== "mandatory")
        .map(([name]) => `${name} (${config[name].enforcementLevel})`);
}

/** Parses a policy config file; throws a ConfigError naming the file and every bad entry. */
export function readPolicyConfigFile(file: string): PackConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new ConfigError([{ path: file, message: `cannot read the policy config file (${(e as NodeJS.ErrnoException).code ?? e})` }]);
    }
    if (text.trim() === "") return {};
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (e) {
        throw new ConfigError([{ path: file, message: `expected JSON, got a parse error: ${(e as Error).message}` }]);
    }
    return parsePolicyConfig(json, path.basename(file));
}

export function parsePolicyConfig(json: unknown, source = "policy config"): PackConfig {
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
        throw new ConfigError([{ path: source, message: "expected an object mapping policy names to an enforcement level or {properties}" }]);
    }
    const problems: Problem[] = [];
    const out: PackConfig = {};
    for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
        if (typeof value === "string") {
            if (!(LEVELS as readonly string[]).includes(value)) problems.push({ path: name, message: `expected one of ${LEVELS.join(", ")}, got "${value}"` });
            else out[name] = { enforcementLevel: value as EnforcementLevel, properties: {} };
        } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
            const { enforcementLevel, ...properties } = value as Record<string, unknown>;
            if (enforcementLevel !== undefined && !(LEVELS as readonly string[]).includes(enforcementLevel as string)) {
                problems.push({ path: `${name}.enforcementLevel`, message: `expected one of ${LEVELS.join(", ")}, got ${JSON.stringify(enforcementLevel)}` });
            } else {
                out[name] = { enforcementLevel: enforcementLevel as EnforcementLevel | undefined, properties };
            }
        } else {
            problems.push({ path: name, message: `expected an enforcement level or an object, got ${JSON.stringify(value)}` });
        }
    }
    if (problems.length > 0) throw new ConfigError(problems, source);
    return out;
}

/**
 * Defaults from each policy's schema, then the pack's initial config, then the given config; validated.
 * Throws a ConfigError listing every invalid value. Also returns the policy names and properties the given
 * config mentions that the pack does not know (the CLI ignores them; `check` warns about them).
 */
export function reconcilePolicyConfig(policies: PolicyInfo[], initial: PackConfig, given: PackConfig, source = "policy config"): { config: PackConfig; unknown: string[] } {
    const result: PackConfig = {};
    for (const p of policies) {
        const properties: Record<string, unknown> = {};
        for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) if ("default" in schema) properties[k] = schema.default;
        result[p.name] = { enforcementLevel: p.enforcementLevel, properties };
    }
    const apply = (cfg: PackConfig) => {
        const all = cfg.all?.enforcementLevel;
        if (all) for (const v of Object.values(result)) v.enforcementLevel = all;
        for (const [name, entry] of Object.entries(cfg)) {
            if (name === "all") continue;
            const cur = result[name] ?? { properties: {} };
            result[name] = { enforcementLevel: entry.enforcementLevel ?? cur.enforcementLevel, properties: { ...cur.properties, ...entry.properties } };
        }
    };
    apply(initial);
    apply(given);

    const ajv = new Ajv({ allErrors: true, strict: false });
    const problems: Problem[] = [];
    const unknown: string[] = [];
    const known = new Map(policies.map((p) => [p.name, p]));
    for (const [name, entry] of Object.entries(given)) {
        if (name === "all") continue;
        const p = known.get(name);
        if (!p) unknown.push(name);
        else for (const k of Object.keys(entry.properties)) if (!(k in (p.configSchema?.properties ?? {}))) unknown.push(`${name}.${k}`);
    }
    for (const p of policies) {
        if (!p.configSchema) continue;
        const schema = { type: "object", properties: p.configSchema.properties, ...(p.configSchema.required?.length ? { required: p.configSchema.required } : {}) };
        const validate = ajv.compile(schema);
        if (!validate(result[p.name].properties)) {
            for (const err of validate.errors ?? []) {
                const where = err.instancePath ? `${p.name}${err.instancePath.replace(/\//g, ".")}` : p.name;
                problems.push({ path: where, message: `expected a value that ${err.message}, got ${renderValue(valueAt(result[p.name].properties, err.instancePath))}` });
            }
        }
    }
    if (problems.length > 0) throw new ConfigError(problems, source);
    return { config: result, unknown };
}

function valueAt(obj: unknown, pointer: string): unknown {
    let cur: any = obj;
    for (const part of pointer.split("/").filter(Boolean)) cur = cur?.[part];
    return cur;
}

/** The rules as GetAnalyzerInfo describes them, for reconciling a policy config without starting the pack. */
export function rulesAsPolicyInfo(rules: Rule[] = RULES): PolicyInfo[] {
    return rules.map((r) => ({
        name: r.name,
        description: r.description,
        enforcementLevel: r.enforcementLevel,
        severity: r.severity,
        remediationSteps: r.remediationSteps,
        configSchema: { properties: r.config as Record<string, any> },
    }));
}
