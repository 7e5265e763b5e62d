// A small, independent model of how S3 judges an anonymous request against a bucket policy: the oracle the
// property tests hold the policy analysis to. It is deliberately generous to the caller: any condition on a
// key the caller controls (TLS, Referer, …) is assumed met in an Allow and avoided in a Deny.
import { contains, parseCidr, type Cidr } from "../../formats/cidr";
import { statementsOf, type PolicyDocument, type PolicyStatement } from "../../formats/bucketPolicy";

export interface AnonymousRequest {
    action: string;
    resource: string;
    /** The caller's address; undefined for a request that carries none (e.g. through a VPC endpoint). */
    sourceIp?: string;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const compiled = new Map<string, RegExp>();

function wildcard(pattern: string, value: string, caseInsensitive: boolean): boolean {
    const key = `${caseInsensitive ? "i" : "s"}${pattern}`;
    let re = compiled.get(key);
    if (!re) {
        re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, caseInsensitive ? "i" : "");
        compiled.set(key, re);
    }
    return re.test(value);
}

function anonymousIn(principal: PolicyStatement["Principal"]): boolean {
    if (principal === undefined) return false;
    if (principal === "*") return true;
    return list(principal.AWS).includes("*");
}

function principalMatches(s: PolicyStatement): boolean {
    if (s.NotPrincipal !== undefined) return !anonymousIn(s.NotPrincipal);
    return anonymousIn(s.Principal);
}

const parsed = new Map<string, Cidr | undefined>();
const cidrOf = (r: string) => (parsed.has(r) ? parsed.get(r) : parsed.set(r, parseCidr(r)).get(r));

function inAny(ip: Cidr, ranges: string[]): boolean {
    return ranges.some((r) => {
        const c = cidrOf(r);
        return c !== undefined && contains(c, ip);
    });
}

function conditionsMet(s: PolicyStatement, req: AnonymousRequest, callerControlled: boolean): boolean {
    const ip = req.sourceIp === undefined ? undefined : cidrOf(req.sourceIp);
    for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
        for (const [key, values] of Object.entries(keys)) {
            const base = operator.replace(/IfExists$/, "");
            const ipOperator = key.toLowerCase() === "aws:sourceip" && (base === "IpAddress" || base === "NotIpAddress");
            if (!ipOperator) {
                if (!callerControlled) return false;
                continue;
            }
            let met: boolean;
            if (ip === undefined) met = operator.endsWith("IfExists") || base === "NotIpAddress";
            else met = base === "IpAddress" ? inAny(ip, list(values)) : !inAny(ip, list(values));
            if (!met) return false;
        }
    }
    return true;
}

function matches(s: PolicyStatement, req: AnonymousRequest, callerControlled: boolean): boolean {
    if (!principalMatches(s)) return false;
    const actionHit = (patterns: string | string[] | undefined) => list(patterns).some((p) => wildcard(p, req.action, true));
    if (s.NotAction !== undefined ? actionHit(s.NotAction) : !actionHit(s.Action)) return false;
    const resourceHit = (patterns: string | string[] | undefined) => list(patterns).some((p) => wildcard(p, req.resource, false));
    if (s.NotResource !== undefined ? resourceHit(s.NotResource) : s.Resource !== undefined && !resourceHit(s.Resource)) return false;
    return conditionsMet(s, req, callerControlled);
}

/** True when the policy lets an anonymous caller make this request (explicit Deny wins over Allow). */
export function anonymousAllowed(policy: PolicyDocument, req: AnonymousRequest): boolean {
    const statements = statementsOf(policy);
    if (statements.some((s) => s.Effect === "Deny" && matches(s, req, false))) return false;
    return statements.some((s) => s.Effect === "Allow" && matches(s, req, true));
}
