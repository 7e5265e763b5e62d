// Turns validation issues into the lines an operator reads: `path: expected …, got …`, all at once.
import { z } from "zod";
import { expectations } from "./fields";

/** One problem in the config: where it is, and what was wrong. */
export interface ConfigProblem {
    /** Dotted path from the config key, e.g. `storage.nodes[1].nicGbps`. */
    path: string;
    /** Everything after the path, e.g. `expected a number ≥ 1, got "ten"`. */
    message: string;
}

const warned = new Set<string>();

/**
 * Tells the operator on stderr about input that is valid but probably not meant (an empty tenant registry);
 * once per message and process, however often the input is read.
 */
export function warn(message: string): void {
    if (warned.has(message)) return;
    warned.add(message);
    process.stderr.write(`warning: ${message}\n`);
}

/** Raised before any resource is registered; carries every problem found, never a stack trace for the operator. */
export class ConfigError extends Error {
    constructor(
        readonly problems: ConfigProblem[],
        readonly source?: string,
    ) {
        super(formatProblems(problems, source));
        this.name = "ConfigError";
    }
}

export function formatProblems(problems: ConfigProblem[], source?: string): string {
    const head = `${problems.length} config problem${problems.length === 1 ? "" : "s"}${source ? ` in ${source}` : ""}:`;
    return [head, ...problems.map((p) => `  ${p.path}: ${p.message}`)].join("\n");
}

export function renderPath(path: readonly PropertyKey[]): string {
    let out = "";
    for (const seg of path) {
        if (typeof seg === "number") out += `[${seg}]`;
        else if (!/^[A-Za-z_][\w-]*$/.test(String(seg))) out += `[${JSON.stringify(String(seg))}]`;
        else out += out === "" ? String(seg) : `.${String(seg)}`;
    }
    return out === "" ? "(config)" : out;
}

/** A short rendering of the offending value. */
export function renderValue(v: unknown): string {
    if (v === undefined) return "nothing";
    if (Array.isArray(v)) return `a list of ${v.length}`;
    if (v !== null && typeof v === "object") return "an object";
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

const TYPE_WORDS: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "a whole number",
    boolean: "true or false",
    object: "an object",
    array: "a list",
    record: "a map",
};

function registered(issue: z.core.$ZodRawIssue): string | undefined {
    for (const s of [issue.schema, issue.inst]) {
        if (s && "_zod" in s && (s as z.ZodType)._zod.def !== undefined) {
            const e = expectations.get(s as z.ZodType);
            if (e) return e.expected;
        }
    }
    return undefined;
}

/** Zod error map: every issue's message becomes `expected …` (the part after the path). */
export const errorMap: z.core.$ZodErrorMap = (issue) => {
    const known = registered(issue);
    switch (issue.code) {
        case "unrecognized_keys": {
            const shape = (issue.inst as z.ZodObject | undefined)?._zod.def.shape;
            const keys = shape ? Object.keys(shape).sort() : [];
            return `unknown key; expected one of: ${keys.join(", ")}`;
        }
        case "invalid_union": {
            const options = (issue as { options?: unknown[] }).options;
            if (issue.discriminator && options) {
                return `expected one of ${options.map((o) => JSON.stringify(o)).join(", ")}`;
            }
            return `expected ${known ?? "one of the allowed forms"}`;
        }
        case "custom":
            return known ? `expected ${known}` : (issue.message ?? "invalid value");
        case "too_small":
            if (!known && issue.origin === "array") return `expected at least ${issue.minimum} entries`;
            break;
        case "too_big":
            if (!known && issue.origin === "array") return `expected at most ${issue.maximum} entries`;
            break;
        case "invalid_value":
            if (!known) return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
            break;
        case "invalid_type":
            if (!known) return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
            break;
    }
    if (known) return `expected ${known}`;
    return undefined;
};

/** Converts zod issues to problems, with the offending value, one line per unknown key. */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    for (const issue of issues) {
        const path = [...prefix, ...issue.path];
        if (issue.code === "unrecognized_keys") {
            for (const key of issue.keys) out.push({ path: renderPath([...path, key]), message: issue.message });
            continue;
        }
        // A bad discriminator is reported on the object: show the discriminator's own value.
        const input =
            issue.code === "invalid_union" && issue.discriminator && issue.input !== null && typeof issue.input === "object"
                ? (issue.input as Record<string, unknown>)[issue.discriminator]
                : issue.input;
        const got = `, got ${renderValue(input)}`;
        out.push({ path: renderPath(path), message: `${issue.message}${got}` });
    }
    return out;
}

/** Parses `value` against `schema`; on failure throws a ConfigError listing every problem. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, source?: string, prefix: readonly PropertyKey[] = []): z.output<T> {
    const r = schema.safeParse(value, { error: errorMap, reportInput: true });
    if (r.success) return r.data;
    throw new ConfigError(problemsFromIssues(r.error.issues, prefix), source);
}
