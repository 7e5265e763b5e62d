// A small block-style YAML writer for JSON-like data (maps, lists, strings, numbers, booleans, null).
// The renderer writes tens of thousands of manifests; the general-purpose `yaml` stringifier takes ~0.3 ms
// per object, this one a few microseconds, and its output is deterministic (key order as given).
// A string is written plain only when every YAML 1.1 and 1.2 reader (Kubernetes reads YAML 1.1) gets the
// same string back; anything else is double-quoted with JSON escapes, which YAML accepts.

// Plain-safe: starts with a letter, '/' or '_'; letters, digits and `_ . / - :` after (no ": " possible).
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:-]*$/;
// Plain-safe values starting with a digit that cannot be numbers, e.g. 24h, 500Mi, 2h30m.
const PLAIN_DIGIT = /^[0-9][0-9A-Za-z]*[A-Za-z][0-9A-Za-z]*$/;
// Words YAML 1.1 or 1.2 reads as booleans or null.
const KEYWORDS = new Set(["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"]);

function plainOk(s: string): boolean {
    // Exponent forms (1e3, and e0 for some YAML 1.1 readers) and 0x/0o/0b prefixes read as numbers.
    if (/^[0-9_]*\.?[0-9_]*[eE][-+]?[0-9]*$/.test(s) || /^0[xXoObB]/.test(s)) return false;
    if (PLAIN.test(s)) return !KEYWORDS.has(s.toLowerCase()) && !s.endsWith(":");
    return PLAIN_DIGIT.test(s);
}

/** A scalar as YAML text. */
export function yamlScalar(v: string | number | boolean | null): string {
    if (v === null) return "null";
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") {
        if (!Number.isFinite(v)) throw new TypeError(`cannot write ${v} as YAML`);
        return Object.is(v, -0) ? "0" : String(v);
    }
    if (plainOk(v)) return v;
    // JSON's escapes are YAML's; U+2028/U+2029 are line breaks to YAML, so escape them too.
    return JSON.stringify(v).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json | undefined };

function isEmptyCollection(v: Json): boolean {
    return typeof v === "object" && v !== null && (Array.isArray(v) ? v.length === 0 : Object.keys(v).every((k) => v[k] === undefined));
}

function write(v: Json, indent: string, out: string[]): void {
    if (Array.isArray(v)) {
        for (const item of v) {
            if (item !== null && typeof item === "object" && !isEmptyCollection(item)) {
                // "- " then the first line of the nested block on the same line.
                const nested: string[] = [];
                write(item, indent + "  ", nested);
                out.push(`${indent}- ${nested[0].slice(indent.length + 2)}`, ...nested.slice(1));
            } else out.push(`${indent}- ${inline(item)}`);
        }
        return;
    }
    if (v !== null && typeof v === "object") {
        for (const [k, val] of Object.entries(v)) {
            if (val === undefined) continue;
            const key = yamlScalar(k);
            if (val !== null && typeof val === "object" && !isEmptyCollection(val)) {
                out.push(`${indent}${key}:`);
                write(val, indent + "  ", out);
            } else out.push(`${indent}${key}: ${inline(val)}`);
        }
        return;
    }
    out.push(indent + inline(v));
}

function inline(v: Json): string {
    if (Array.isArray(v)) return "[]";
    if (v !== null && typeof v === "object") return "{}";
    return yamlScalar(v);
}

/** One YAML document (no leading `---`), ending in a newline. Keys whose value is undefined are left out. */
export function toYaml(value: unknown): string {
    const out: string[] = [];
    if (value !== null && typeof value === "object" && !isEmptyCollection(value as Json)) write(value as Json, "", out);
    else out.push(inline(value as Json));
    return out.join("\n") + "\n";
}

/** Several documents separated by `---`. */
export function toYamlDocuments(values: readonly unknown[]): string {
    return values.map(toYaml).join("---\n");
}
