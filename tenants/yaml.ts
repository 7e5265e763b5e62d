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
    if (/^[0-9_]*\.?[0-9_]*[eE][-+]?[0-9]+$/.test(s) || /^0[xXoObB]/.test(s)) return false;
    if (PLAIN.test(s)) return !KEYWORDS.has(s.toLowerCase()) && !s.endsWith(":");
    return PLAIN_DIGIT.test(s);
}

// Keys and most values repeat from object to object (kinds, label keys, namespaces): remember their text.
const scalarText = new Map<string, string>();

/** A scalar as YAML text. */
export function yamlScalar(v: string | number | boolean | null): string {
    if (v === null) return "null";
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") {
        if (!Number.isFinite(v)) throw new TypeError(`cannot write ${v} as YAML`);
        return Object.is(v, -0) ? "0" : String(v);
    }
    const known = scalarText.get(v);
    if (known !== undefined) return known;
    // JSON's escapes are YAML's; U+2028/U+2029 are line breaks to YAML, so escape them too.
    const text = plainOk(v) ? v : JSON.stringify(v).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
    if (scalarText.size > 100_000) scalarText.clear();
    scalarText.set(v, text);
    return text;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json | undefined };

function isCollection(v: unknown): v is Json[] | { [k: string]: Json | undefined } {
    if (v === null || typeof v !== "object") return false;
    if (Array.isArray(v)) return v.length > 0;
    for (const k in v) if ((v as Record<string, unknown>)[k] !== undefined) return true;
    return false;
}

function inline(v: Json): string {
    if (Array.isArray(v)) return "[]";
    if (v !== null && typeof v === "object") return "{}";
    return yamlScalar(v);
}

/**
 * Appends the lines of a non-empty collection at `indent`; its first line starts with `lead` instead
 * (a list item's "- " goes there, so a map in a list reads "- key: value").
 */
function write(v: Json[] | { [k: string]: Json | undefined }, indent: string, lead: string, out: string[]): void {
    let first = true;
    if (Array.isArray(v)) {
        for (const item of v) {
            const dash = `${first ? lead : indent}- `;
            first = false;
            if (isCollection(item)) write(item, indent + "  ", dash, out);
            else out.push(dash + inline(item));
        }
        return;
    }
    for (const k in v) {
        const val = v[k];
        if (val === undefined) continue;
        const key = `${first ? lead : indent}${yamlScalar(k)}:`;
        first = false;
        if (isCollection(val)) {
            out.push(key);
            const inner = indent + "  ";
            write(val, inner, inner, out);
        } else out.push(`${key} ${inline(val)}`);
    }
}

/** One YAML document (no leading `---`), ending in a newline. Keys whose value is undefined are left out. */
export function toYaml(value: unknown): string {
    if (!isCollection(value)) return inline(value as Json) + "\n";
    const out: string[] = [];
    write(value, "", "", out);
    return out.join("\n") + "\n";
}

/** Several documents separated by `---`. */
export function toYamlDocuments(values: readonly unknown[]): string {
    return values.map(toYaml).join("---\n");
}
