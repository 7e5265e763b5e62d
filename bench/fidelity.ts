// The capacity models held against real servers, in one table: model vs measured for the connection budget
// (PostgreSQL 15 + PgBouncer 1.18, every shipped stack and the outage 3 replays, figures and load divided by
// test/fidelity/cases.ts SCALE), prepared statements through transaction pooling, the Redis tiers (dev's
// redis.conf on Redis 7.0), and the edge proxy on nginx (test/edge/nginxHarness.ts). Each run repeats every
// measurement; the measured column shows the spread over runs (min–max).
// Run: npx tsx bench/fidelity.ts [--runs 3]   (needs postgresql, pgbouncer, redis-server, nginx-light)
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { pgbouncerKeepsPreparedStatements } from "../capacity/connections";
import { nginxSizing, proxyClientCapacity, type NginxSizing } from "../capacity/proxy";
import { findNginx, proxyLoadRun } from "../test/edge/nginxHarness";
import {
    budgetOf,
    cacheFill,
    DB_CASES,
    dbModel,
    deviation,
    over,
    PREPARED_MISSING,
    preparePostgres,
    queueCrash,
    queueOom,
    redisModel,
    runDbCase,
    runPreparedStatements,
    SCALE,
    TOLERANCE,
    total,
    type DbModel,
} from "../test/fidelity/cases";
import { findDatabaseServers, findRedis, pgbouncerVersion, stopAllServers } from "../test/fidelity/servers";

interface Row {
    figure: string;
    model: string;
    tolerance: string;
    /** One measured value per run. */
    values: number[];
    /** How a measured value prints. */
    show: (v: number) => string;
    /** Is one run's value within the tolerance. */
    ok: (v: number) => boolean;
    /** What was seen, in words (an error text), from the last run. */
    note?: string;
}

const rows = new Map<string, Row>();
function record(key: Omit<Row, "values" | "note">, value: number, note?: string): void {
    const row = rows.get(key.figure) ?? { ...key, values: [] };
    row.values.push(value);
    if (note !== undefined) row.note = note;
    rows.set(key.figure, row);
}

const pct = (tol: number) => `±${tol * 100} %`;
const withinLimit = (model: number) => (v: number) => Math.abs(deviation(v, model)) <= TOLERANCE.limit;
const fixed = (digits: number, unit = "") => (v: number) => `${v.toFixed(digits)}${unit}`;
const spread = (r: Row) => {
    const lo = Math.min(...r.values);
    const hi = Math.max(...r.values);
    return r.show(lo) === r.show(hi) ? r.show(lo) : `${r.show(lo)}–${r.show(hi)}`;
};

async function database(models: DbModel[], pgDir: string): Promise<void> {
    const bins = findDatabaseServers().bins!;
    for (const m of models) {
        const r = await runDbCase(bins, pgDir, m);
        const clients = budgetOf(m.test, "data.connections.clients");
        const server = budgetOf(m.test, "data.connections.server");
        const name = m.case.name;
        if (over(clients)) {
            record(
                { figure: `${name}: clients PgBouncer lets in`, model: `${clients.limit} (max_client_conn × ${m.instances}; full size ${budgetOf(m.full, "data.connections.clients").limit})`, tolerance: pct(TOLERANCE.limit), show: String, ok: withinLimit(clients.limit) },
                r.clientsLetIn,
                r.clientRefusal,
            );
        } else {
            const errors = r.failedTransactions + (r.aborted ? 1 : 0) + (r.clientRefusal ? 1 : 0);
            record({ figure: `${name}: connection errors (${total(m.test.groups)} clients)`, model: `0 (${clients.used} ≤ ${clients.limit})`, tolerance: "0", show: String, ok: (v) => v === 0 }, errors);
            record({ figure: `${name}: p99 transaction latency incl. wait`, model: "—", tolerance: "printed", show: fixed(1, " ms"), ok: () => true }, r.p99Ms);
        }
        if (over(server)) {
            record(
                { figure: `${name}: server connections Postgres grants`, model: `${server.limit} (max_connections − reserved; full size ${budgetOf(m.full, "data.connections.server").limit})`, tolerance: pct(TOLERANCE.limit), show: String, ok: withinLimit(server.limit) },
                r.slotRefusal?.openBackends ?? NaN,
                r.slotRefusal?.message,
            );
        }
    }
    const dev = models.find((m) => m.case.name === "dev")!;
    const version = pgbouncerVersion(bins);
    const keeps = pgbouncerKeepsPreparedStatements(version);
    const named = await runPreparedStatements(bins, pgDir, dev, "prepared");
    const seen = named.pgbench.map((p) => PREPARED_MISSING.exec(p.output)?.[0]).find((x) => x);
    record(
        { figure: `named prepared statements, transaction pooling (PgBouncer ${version})`, model: keeps ? "kept" : "lost", tolerance: "same", show: (v) => (v ? "lost" : "kept"), ok: (v) => Boolean(v) !== keeps },
        seen ? 1 : 0,
        seen,
    );
    const unnamed = await runPreparedStatements(bins, pgDir, dev, "extended");
    record({ figure: "unnamed statements (PREPARED_STATEMENTS=false): errors", model: "0", tolerance: "0", show: String, ok: (v) => v === 0 }, unnamed.failedTransactions + (unnamed.aborted ? 1 : 0));
}

async function redis(): Promise<void> {
    const bins = findRedis().bins!;
    const m = await redisModel("dev");
    const cache = await cacheFill(bins, m);
    record(
        {
            figure: "cache: peak RSS / maxmemory (2× fill, mixed sizes)",
            model: `${m.rssPerMaxmemory}`,
            tolerance: `−${TOLERANCE.rssBelow * 100} %/+${TOLERANCE.rssAbove * 100} %`,
            show: fixed(2),
            ok: (v) => deviation(v, m.rssPerMaxmemory) <= TOLERANCE.rssAbove && deviation(v, m.rssPerMaxmemory) >= -TOLERANCE.rssBelow,
        },
        cache.ratio,
    );
    record({ figure: "cache: failed writes (keys evicted)", model: "0", tolerance: "0", show: String, ok: (v) => v === 0 }, cache.errorReplies + cache.benchmarkFailures, `${cache.evictedKeys} keys evicted`);
    const oom = await queueOom(bins, m);
    const mib = (b: number) => b / 2 ** 20;
    record(
        { figure: "queue: used memory at the first OOM", model: `${mib(m.queue.maxmemory).toFixed(2)} MiB (maxmemory)`, tolerance: pct(TOLERANCE.limit), show: fixed(2, " MiB"), ok: withinLimit(mib(m.queue.maxmemory)) },
        mib(oom.usedAtRefusal),
        `${oom.error} after ${oom.acceptedJobs} jobs of ${oom.jobBytes} B`,
    );
    const crash = await queueCrash(bins, m);
    record(
        { figure: "queue: acknowledged writes lost to kill -9", model: `≤ ${m.aofLossBoundSeconds} s (appendfsync everysec)`, tolerance: "≤ model", show: fixed(3, " s"), ok: (v) => v <= m.aofLossBoundSeconds },
        crash.lostSeconds,
        `${crash.lostWrites} of ${crash.acked} writes (${Math.round(crash.writesPerSecond)}/s)`,
    );
}

async function proxy(nginx: string): Promise<void> {
    // The proxy test's peak: 2000 clients on one pod with 2 workers; computed and 25 % below.
    const computed = nginxSizing({ peakClients: 2000, replicas: 1, headroom: 1.25, workerProcesses: 2 });
    const wc = Math.floor(computed.workerConnections * 0.75);
    const below: NginxSizing = { ...computed, workerConnections: wc, workerRlimitNofile: 2 * wc };
    const ok = await proxyLoadRun(nginx, computed, 2000);
    record({ figure: "nginx as computed: failed of 2000 clients", model: `0 (capacity ${proxyClientCapacity(1, computed)})`, tolerance: "0", show: String, ok: (v) => v === 0 }, ok.failed + ok.notEnoughLines);
    const short = await proxyLoadRun(nginx, below, 2000);
    const capacity = proxyClientCapacity(1, below);
    record(
        { figure: `nginx 25 % below: "worker_connections are not enough"`, model: `logged (2000 > ${capacity})`, tolerance: "logged", show: (v) => (v > 0 ? `logged × ${v}` : "not logged"), ok: (v) => v > 0 },
        short.notEnoughLines,
    );
    // An upper bound: a client takes its worker connection on accept, before its upstream one, so a burst
    // of arrivals (the harness connects 200 at a time) runs out a little before capacity.
    record(
        { figure: "nginx 25 % below: clients held at once", model: `≤ ${capacity}`, tolerance: "≤ model", show: String, ok: (v) => v <= capacity },
        short.heldAtOnce,
        `${short.failed} of 2000 failed`,
    );
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
    const runs = Number(values.runs);
    const db = findDatabaseServers();
    const rd = findRedis();
    const nginx = findNginx();
    const missing = [...db.missing, ...rd.missing, ...(nginx ? [] : ["nginx"])];
    if (missing.length > 0) {
        console.error(`missing: ${missing.join(", ")} (apt-get install postgresql pgbouncer redis-server nginx-light)`);
        process.exit(2);
    }
    const started = Date.now();
    const models: DbModel[] = [];
    for (const c of DB_CASES) models.push(await dbModel(c));
    const pgDir = await preparePostgres(db.bins!, models[0]);
    try {
        for (let i = 0; i < runs; i++) {
            await database(models, pgDir);
            await redis();
            await proxy(nginx!);
        }
    } finally {
        await stopAllServers();
        fs.rmSync(pgDir, { recursive: true, force: true });
    }
    const header = ["figure", "model", "measured", "tolerance", "ok"];
    const body = [...rows.values()].map((r) => [r.figure, r.model, spread(r), r.tolerance, r.values.every(r.ok) ? "yes" : "NO"]);
    const widths = header.map((_, i) => Math.max(header[i].length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    console.log(`Fidelity: ${runs} run(s), connection figures and load divided by ${SCALE}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n"));
    for (const r of rows.values()) if (r.note) console.log(`  ${r.figure}: ${r.note}`);
    if (body.some((b) => b[4] !== "yes")) process.exitCode = 1;
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
