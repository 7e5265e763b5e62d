// CIDR arithmetic for bucket-policy checks: parse IPv4/IPv6 ranges, test containment, split broad ranges.
// Pure (no Pulumi imports): the policy pack uses it on the policy documents it reads from resources.

export interface Cidr {
    family: 4 | 6;
    /** Network address as an unsigned integer (host bits zero). */
    network: bigint;
    prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function parseIpv4(text: string): bigint | undefined {
    const parts = text.split(".");
    if (parts.length !== 4) return undefined;
    let value = 0n;
    for (const p of parts) {
        if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
        value = (value << 8n) | BigInt(Number(p));
    }
    return value;
}

function parseIpv6(text: string): bigint | undefined {
    // An embedded IPv4 tail (e.g. ::ffff:192.0.2.1) stands for the last two groups.
    const lastColon = text.lastIndexOf(":");
    if (text.includes(".", lastColon)) {
        const v4 = parseIpv4(text.slice(lastColon + 1));
        if (v4 === undefined) return undefined;
        return parseIpv6(`${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`);
    }
    const halves = text.split("::");
    if (halves.length > 2) return undefined;
    const groups = (s: string) => (s === "" ? [] : s.split(":"));
    const left = groups(halves[0]);
    const right = halves.length === 2 ? groups(halves[1]) : [];
    const explicit = left.length + right.length;
    if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
    let value = 0n;
    for (const g of [...left, ...Array(8 - explicit).fill("0"), ...right]) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        value = (value << 16n) | BigInt(parseInt(g, 16));
    }
    return value;
}

/** Parses "a.b.c.d/n", "x:y::/n" or a bare address (a /32 or /128); undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
    const [addr, len, extra] = text.trim().split("/");
    if (extra !== undefined) return undefined;
    const family: 4 | 6 = addr.includes(":") ? 6 : 4;
    const value = family === 4 ? parseIpv4(addr) : parseIpv6(addr);
    if (value === undefined) return undefined;
    const bits = BITS[family];
    if (len !== undefined && !/^\d{1,3}$/.test(len)) return undefined;
    const prefix = len === undefined ? bits : Number(len);
    if (prefix > bits) return undefined;
    // Host bits are ignored, as IAM's IpAddress operator does.
    return { family, network: value & mask(family, prefix), prefix };
}

function mask(family: 4 | 6, prefix: number): bigint {
    const bits = BigInt(BITS[family]);
    const all = (1n << bits) - 1n;
    return (all << (bits - BigInt(prefix))) & all;
}

/** Number of addresses in a range. */
export function size(c: Cidr): bigint {
    return 1n << BigInt(BITS[c.family] - c.prefix);
}

/** True when every address of `inner` is inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
    return outer.family === inner.family && inner.prefix >= outer.prefix && (inner.network & mask(outer.family, outer.prefix)) === outer.network;
}

export function formatCidr(c: Cidr): string {
    if (c.family === 4) {
        const octets = [24n, 16n, 8n, 0n].map((s) => Number((c.network >> s) & 255n));
        return `${octets.join(".")}/${c.prefix}`;
    }
    const groups = Array.from({ length: 8 }, (_, i) => Number((c.network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
    // Compress the longest run of zero groups (RFC 5952), so output matches how ranges are published.
    let best = { at: -1, len: 0 };
    for (let i = 0; i < 8; ) {
        if (groups[i] !== "0") {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === "0") j++;
        if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
        i = j;
    }
    const text = best.at < 0 ? groups.join(":") : `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
    return `${text}/${c.prefix}`;
}

/**
 * Splits a range into ranges no broader than `maxBreadth` (a prefix length): a /29 split to /32 gives eight
 * /32s covering exactly the same addresses. Ranges already narrow enough come back unchanged.
 */
export function splitToPrefix(c: Cidr, maxBreadth: number): Cidr[] {
    if (c.prefix >= maxBreadth) return [c];
    const count = 1 << (maxBreadth - c.prefix);
    const step = 1n << BigInt(BITS[c.family] - maxBreadth);
    return Array.from({ length: count }, (_, i) => ({ family: c.family, network: c.network + step * BigInt(i), prefix: maxBreadth }));
}
