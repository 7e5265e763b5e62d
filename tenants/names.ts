// Realistic generated tenants for the prod registry and the benchmarks: usernames people pick (given
// names, surnames, handles, a few starting with a digit), the first-letter skew real name sets have, and a
// media-app catalogue with a long-tailed number of apps per tenant. Seeded, so every machine generates the
// same registry.
import type { Tenant, TenantApp } from "./registry";
import { TENANT_NAME_MAX } from "./registry";
import { yamlScalar } from "./yaml";

/** mulberry32: a small, well-mixed 32-bit PRNG; integer arithmetic only, so identical everywhere. */
export function seededRandom(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

// Relative frequency of a username's first character. Approximates English given-name and username
// initials; matches the facts outage 2 rests on (docs/outages.md): s ≈ 10 %, q, x, y, z under 1 % each, and
// some names start with a digit.
const FIRST_CHAR: Record<string, number> = {
    a: 6, b: 5.5, c: 6.5, d: 6, e: 2.5, f: 2.5, g: 3.5, h: 3, i: 1.2, j: 5.5, k: 4.5, l: 4, m: 7.5,
    n: 2.5, o: 1.2, p: 4.5, q: 0.3, r: 4.5, s: 10, t: 5.5, u: 0.4, v: 1.5, w: 2.5, x: 0.3, y: 0.6, z: 0.7,
    digit: 1.3,
};

const GIVEN = `aaron abby adam adrian aisha alex alice amir ana andre angela anna ava ben bella blake brandon
brian bruno caleb camila carlos carmen chloe chris claire connor daisy dan daniel david diana diego dylan
eli elena emily emma eric ethan eva felix fiona frank freya gabriel george gina grace greg hannah harry
hector helen henry holly ian ingrid irene isaac isla ivan ivy jack jacob jade james jane jason jenna jess
joel john jordan jose josh julia justin kai karen kate keith kevin kim kyle laura leah leo liam lily lucas
lucy luis luke maria mark marta mason matt maya megan mia michael mike mila molly nadia nathan nick nina
noah nora oliver olivia omar oscar owen paul pedro penny peter priya quentin quinn rachel rafael raj rebecca
ricardo rita rob rosa ruby ryan sam samuel sandra sara sarah scott sean selena seth shane sharon simon sofia
sophie stacy stella steve steven stuart susan sven tara ted theo thomas tim tina tom tony tyler uma ursula
valentina victor vince violet walter wendy will wyatt xander xavier ximena yara yasmin yuki yusuf zach zane
zara zoe`.split(/\s+/);

const SURNAMES = `adams allen baker bell brooks brown campbell carter chen clark collins cook cooper cruz davis
diaz edwards evans fischer flores foster garcia gomez gonzalez gray green hall harris hayes hill hughes jackson
james jensen johnson jones kelly kim king lee lewis lopez martin miller mitchell moore morgan murphy nguyen
nelson novak olsen ortiz parker patel perez peterson phillips price quinn ramos reed reyes rivera roberts
robinson rogers ross russell sanchez santos schmidt scott shaw silva smith stewart sullivan taylor thomas
torres turner walker ward watson white williams wilson wright young zhang`.split(/\s+/);

const WORDS = `amber arctic astro atomic autumn bandit binge bluebird bold brave breeze cinema cosmic cozy crimson
crystal cyber dark dawn delta digital dragon dream drift dusk echo ember epic falcon film flick fox frost
galaxy ghost giant golden hawk hidden indie iron jazzy jolly jungle kernel kiwi lazy lemon lucky lunar magic
maple media midnight misty mighty movie neon night nimble noir nova ocean omega onyx orbit panda pixel plasma
polar popcorn quantum quasar quiet quick rapid raven retro river rocket rogue rusty sable saga salty scarlet
screen shadow silent silver sky solar sonic spark spooky stellar storm stream sunny swift tango tiger turbo
ultra umbra urban vapor velvet vintage violet vivid wild willow wizard wolf xenon yellow yonder zany zen
zephyr zesty`.split(/\s+/);

const HANDLE_TAILS = `fan buff geek head lover owl watcher cat dog bear fox wolf rider runner hunter fox kid nerd
junkie collector hound byte bot box cave den hub nest vault`.split(/\s+/);

const DIGIT_STARTS = ["4k", "8bit", "90s", "2fast", "3d", "1up", "24fps", "360", "7th", "99", "1080p", "2049"];

/** Media apps a tenant picks, most popular first (an ElfHosted-style catalogue). */
export const APP_CATALOGUE = `plex jellyfin sonarr radarr prowlarr bazarr overseerr tautulli emby lidarr readarr
jellyseerr sabnzbd qbittorrent zurg rclone filebrowser audiobookshelf navidrome calibre-web komga kavita mylar
tdarr homepage uptime-kuma syncthing nextcloud photoprism miniflux wallabag linkding`.split(/\s+/);

function byFirstChar(words: readonly string[]): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const w of words) m.set(w[0], [...(m.get(w[0]) ?? []), w]);
    return m;
}
const GIVEN_BY = byFirstChar(GIVEN);
const WORDS_BY = byFirstChar(WORDS);

/** Picks by relative weight. */
function weighted<T>(random: () => number, items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((a, [, w]) => a + w, 0);
    let r = random() * total;
    for (const [item, w] of items) {
        r -= w;
        if (r < 0) return item;
    }
    return items[items.length - 1][0];
}

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)];
const FIRST = Object.entries(FIRST_CHAR) as [string, number][];

/** One username (before uniqueness): first character by the skew above, then a common pattern. */
function username(random: () => number): string {
    const first = weighted(random, FIRST);
    if (first === "digit") return `${pick(random, DIGIT_STARTS)}${pick(random, [...WORDS, ...HANDLE_TAILS])}`;
    const given = GIVEN_BY.get(first);
    const word = WORDS_BY.get(first);
    const person = given && (!word || random() < 0.7);
    if (person) {
        const g = pick(random, given!);
        return weighted(random, [
            [() => `${g}-${pick(random, SURNAMES)}`, 30],
            [() => `${g}${pick(random, SURNAMES)}`, 15],
            [() => `${g}${Math.floor(random() * (random() < 0.5 ? 100 : 10000))}`, 20],
            [() => `${g}${pick(random, SURNAMES)[0]}`, 15],
            [() => `${g}-${pick(random, HANDLE_TAILS)}`, 10],
            [() => g, 10],
        ] as const)();
    }
    const w = pick(random, word!);
    return random() < 0.6 ? `${w}${pick(random, [...WORDS, ...HANDLE_TAILS])}` : `${w}-${pick(random, [...WORDS, ...HANDLE_TAILS])}`;
}

/** `count` distinct usernames. */
export function generateNames(count: number, seed: number): string[] {
    const random = seededRandom(seed);
    const seen = new Set<string>();
    const out: string[] = [];
    while (out.length < count) {
        let name = username(random).slice(0, TENANT_NAME_MAX - 4).replace(/-+$/, "");
        if (seen.has(name)) {
            let n = 2;
            while (seen.has(`${name}${n}`)) n++;
            name = `${name}${n}`;
        }
        seen.add(name);
        out.push(name);
    }
    return out;
}

/** Values an operator might set for an app, for a share of the generated apps. */
function appValues(random: () => number, app: string): Record<string, unknown> {
    if (random() >= 0.12) return {};
    return weighted<() => Record<string, unknown>>(random, [
        [() => ({ resources: { memoryMiB: pick(random, [512, 1024, 2048]) } }), 4],
        [() => ({ ingress: { hostname: `${app}.${pick(random, ["example.net", "media.example.org", "home.example.com"])}` } }), 3],
        [() => ({ timezone: pick(random, ["Europe/London", "America/New_York", "Australia/Sydney", "Europe/Berlin"]) }), 3],
    ] as const)();
}

export interface GenerateOptions {
    count: number;
    seed: number;
    /** Plan names with their relative share; larger plans get more apps. */
    plans: readonly (readonly [string, number])[];
    /** Share of suspended tenants. Default 0.03. */
    suspendedShare?: number;
}

/** Generated tenants: realistic names, plans by share, 1–20 apps with a long tail, a few suspended. */
export function generateTenants(opts: GenerateOptions): Tenant[] {
    const names = generateNames(opts.count, opts.seed);
    const random = seededRandom(opts.seed ^ 0x5eed);
    return names.map((name) => {
        const planIndex = weighted(random, opts.plans.map(([, w], i) => [i, w] as const));
        const plan = opts.plans[planIndex][0];
        // Long tail: most tenants run a handful of apps, a few run many (more on bigger plans).
        const bucket = weighted(random, [
            [[1, 3], 45 - 10 * planIndex],
            [[4, 7], 35],
            [[8, 12], 15 + 6 * planIndex],
            [[13, 20], 5 + 4 * planIndex],
        ] as const);
        const wanted = bucket[0] + Math.floor(random() * (bucket[1] - bucket[0] + 1));
        const apps: TenantApp[] = [];
        const taken = new Set<string>();
        while (apps.length < wanted) {
            // Popular apps first: index drawn with a bias to the front of the catalogue.
            const app = APP_CATALOGUE[Math.floor(Math.pow(random(), 1.6) * APP_CATALOGUE.length)];
            if (taken.has(app)) continue;
            taken.add(app);
            apps.push({ name: app, values: appValues(random, app) });
        }
        const status = random() < (opts.suspendedShare ?? 0.03) ? "suspended" : "active";
        return { name, plan, status, apps };
    });
}

/** A flow-style value on one line (registry lines stay one per tenant). */
function flow(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(flow).join(", ")}]`;
    if (v !== null && typeof v === "object") return `{ ${Object.entries(v).map(([k, x]) => `${yamlScalar(k)}: ${flow(x)}`).join(", ")} }`;
    return yamlScalar(v as string | number | boolean | null);
}

/** The registry file text: a header comment, then one line per tenant. */
export function formatRegistry(tenants: readonly Tenant[], header: readonly string[], defaultPlan?: string): string {
    const lines = [...header.map((h) => `# ${h}`.trimEnd()), "tenants:"];
    for (const t of tenants) {
        const fields: string[] = [`name: ${yamlScalar(t.name)}`];
        if (t.plan !== defaultPlan) fields.push(`plan: ${yamlScalar(t.plan)}`);
        if (t.status !== "active") fields.push(`status: ${t.status}`);
        if (t.apps.length > 0) fields.push(`apps: [${t.apps.map((a) => (Object.keys(a.values).length ? `{ name: ${yamlScalar(a.name)}, values: ${flow(a.values)} }` : yamlScalar(a.name))).join(", ")}]`);
        lines.push(`  - { ${fields.join(", ")} }`);
    }
    return lines.join("\n") + "\n";
}
