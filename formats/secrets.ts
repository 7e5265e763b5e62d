// Secret material recognised by its shape or by the name it is stored under, wherever plain config can carry it:
// resource inputs (the policy pack's no-plain-secrets) and tenant chart values in the registry. Pure.

/** A PEM private key. */
export const PRIVATE_KEY = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/;
/** An AWS access key id (long-term AKIA…, temporary ASIA…). */
export const AWS_ACCESS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;

// user:password@ in a URL's authority; a password that is a placeholder ($VAR, ${VAR}, $(VAR), {{ … }}) is not one.
const URL_USERINFO = /\b[a-z][a-z0-9+.-]*:\/\/([^\s/?#@:]*):([^\s/?#@]+)@/gi;
// Query parameters that carry a credential: tokens, keys, passwords and request signatures (S3 presigned URLs).
const QUERY_SECRET = /[?&](access_token|auth|auth_token|token|api_?key|apikey|key|secret|client_secret|password|passwd|pwd|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)=([^&\s#"']+)/gi;
const PLACEHOLDER = /^(\$[A-Za-z_][A-Za-z0-9_]*|\$\{[^}]+\}|\$\([^)]+\)|\{\{.*\}\})$/;

/** What kind of credential a URL inside `text` carries, or undefined when none. */
export function urlCredential(text: string): string | undefined {
    if (!text.includes("://") && !/[?&][a-z_-]+=/i.test(text)) return undefined;
    for (const m of text.matchAll(URL_USERINFO)) if (m[2] !== "" && !PLACEHOLDER.test(decodeSafely(m[2]))) return "a password in a URL (user:password@host)";
    for (const m of text.matchAll(QUERY_SECRET)) if (!PLACEHOLDER.test(decodeSafely(m[2]))) return `a credential in a URL's query string (${m[1]}=…)`;
    return undefined;
}

function decodeSafely(s: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}

/** Secret material a string value is by its shape alone (a private key, an AWS key, a credential in a URL). */
export function secretShape(value: string): string | undefined {
    if (PRIVATE_KEY.test(value)) return "a private key";
    if (AWS_ACCESS_KEY_ID.test(value)) return "an AWS access key";
    return urlCredential(value);
}

/** Chart value keys whose value is a credential: password, token, secret, apiKey, privateKey, claimToken, … */
export const SECRET_VALUE_KEY = /(^|[a-z0-9_-])(pass(word)?|passwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credentials?)$/i;

/** Plain-text secrets in a tree of chart values: [path below `base`, what it is], empty when none. */
export function secretsInValues(values: unknown, base: (string | number)[] = []): { path: (string | number)[]; what: string }[] {
    const found: { path: (string | number)[]; what: string }[] = [];
    const walk = (v: unknown, at: (string | number)[], key: string | undefined) => {
        if (typeof v === "string" || typeof v === "number") {
            const text = String(v);
            const shape = typeof v === "string" ? secretShape(v) : undefined;
            if (shape) found.push({ path: at, what: shape });
            else if (key !== undefined && SECRET_VALUE_KEY.test(key) && text !== "") found.push({ path: at, what: `a value under the credential key ${JSON.stringify(key)}` });
        } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i], key));
        else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...at, k], k);
    };
    walk(values, base, undefined);
    return found;
}
