// The connection budget (outage 3: Sidekiq threads against PgBouncer) held against Debian's PostgreSQL 15
// and PgBouncer 1.18 on loopback: each stack's Cluster and Pooler figures and its app tiers' connections,
// divided by one factor (cases.ts SCALE), driven by pgbench. Where the model accepts, no client sees an
// error; where it rejects, the real refusal comes at the client count (or server connection count) the
// model names, ±5 %.
import * as fs from "node:fs";
import { pgbouncerKeepsPreparedStatements } from "../../capacity/connections";
import {
    budgetOf,
    DB_CASES,
    dbModel,
    deviation,
    over,
    PREPARED_MISSING,
    preparePostgres,
    runDbCase,
    runPreparedStatements,
    SCALE,
    TOLERANCE,
    total,
    verdicts,
    type DbModel,
} from "./cases";
import { CLIENT_REFUSAL, describeWithServers, findDatabaseServers, pgbouncerVersion, SLOT_REFUSAL, stopAllServers } from "./servers";

const found = findDatabaseServers();

describeWithServers("connection budget against PostgreSQL and PgBouncer", found.missing, () => {
    const bins = found.bins!;
    const models: Record<string, DbModel> = {};
    let pgDir: string;

    beforeAll(async () => {
        for (const c of DB_CASES) models[c.name] = await dbModel(c);
        pgDir = await preparePostgres(bins, models.dev);
    });
    afterAll(async () => {
        await stopAllServers();
        if (pgDir) fs.rmSync(pgDir, { recursive: true, force: true });
    });

    it(`keeps every verdict of the model when figures and load are divided by ${SCALE}`, () => {
        for (const m of Object.values(models)) expect({ [m.case.name]: verdicts(m.test) }).toEqual({ [m.case.name]: verdicts(m.full) });
        // The cases cover both sides of both budgets: the pack accepts the shipped stacks and rejects the replays.
        const v = (name: string) => verdicts(models[name].full);
        for (const s of ["dev", "homelab", "prod"]) expect(v(s)).toEqual({ "data.connections.clients": "within", "data.connections.server": "within" });
        expect(v("db-connections")["data.connections.clients"]).toBe("over");
        expect(v("db-connections, pooler raised")).toEqual({ "data.connections.clients": "within", "data.connections.server": "over" });
    });

    it.each(DB_CASES.map((c) => [c.name, c.about]))("%s (%s): the real servers do what the model says", async (name) => {
        const m = models[name];
        const r = await runDbCase(bins, pgDir, m);
        const clients = budgetOf(m.test, "data.connections.clients");
        const server = budgetOf(m.test, "data.connections.server");
        const figures = `${name}: ${total(m.test.groups)} clients (1/${SCALE} of ${total(m.full.groups)}), max_client_conn ${m.test.parameters.max_client_conn} × ${m.instances}, pool ${m.test.parameters.default_pool_size}, Postgres ${m.test.postgres.maxConnections} − ${m.test.postgres.reservedConnections}`;

        if (over(clients)) {
            expect(r.clientRefusal).toContain(CLIENT_REFUSAL);
            expect(Math.abs(deviation(r.clientsLetIn, clients.limit))).toBeLessThanOrEqual(TOLERANCE.limit);
            console.log(`${figures} → PgBouncer refused client ${r.clientsLetIn + 1}: "${CLIENT_REFUSAL}" (model limit ${clients.limit})`);
        } else {
            expect({ refusal: r.clientRefusal, letIn: r.clientsLetIn, failed: r.failedTransactions, aborted: r.aborted }).toEqual({
                refusal: undefined,
                letIn: total(m.test.groups),
                failed: 0,
                aborted: false,
            });
            expect(r.transactions).toBeGreaterThan(0);
            console.log(`${figures} → 0 connection errors, ${r.transactions} transactions, p99 latency with the wait for a server connection ${r.p99Ms.toFixed(1)} ms (p50 ${r.p50Ms.toFixed(1)} ms)`);
        }

        if (over(server)) {
            expect(r.slotRefusal?.message).toMatch(SLOT_REFUSAL);
            expect(Math.abs(deviation(r.slotRefusal!.openBackends, server.limit))).toBeLessThanOrEqual(TOLERANCE.limit);
            expect(r.serverLoginFailures).toBeGreaterThan(0);
            console.log(`${name} → Postgres refused PgBouncer's server connection ${r.slotRefusal!.openBackends + 1}: "${r.slotRefusal!.message}" (model limit ${server.limit})`);
        } else {
            expect({ slotRefusal: r.slotRefusal, serverLoginFailures: r.serverLoginFailures }).toEqual({ slotRefusal: undefined, serverLoginFailures: 0 });
        }
    });

    it("named prepared statements through transaction pooling: what the model says of this PgBouncer happens", async () => {
        const m = models.dev;
        expect(m.poolMode).toBe("transaction");
        const version = pgbouncerVersion(bins);
        const maxPrepared = m.test.parameters.max_prepared_statements;
        const keeps = pgbouncerKeepsPreparedStatements(version, maxPrepared === undefined ? undefined : Number(maxPrepared));
        const named = await runPreparedStatements(bins, pgDir, m, "prepared");
        const output = named.pgbench.map((p) => p.output).join("\n");
        if (keeps) {
            expect({ failed: named.failedTransactions, aborted: named.aborted }).toEqual({ failed: 0, aborted: false });
        } else {
            expect(output).toMatch(PREPARED_MISSING);
            console.log(`PgBouncer ${version}, transaction pooling, pgbench -M prepared → ${PREPARED_MISSING.exec(output)![0]}`);
        }
        // PREPARED_STATEMENTS=false (unnamed statements): the same load runs clean.
        const unnamed = await runPreparedStatements(bins, pgDir, m, "extended");
        expect({ failed: unnamed.failedTransactions, aborted: unnamed.aborted }).toEqual({ failed: 0, aborted: false });
        expect(unnamed.transactions).toBeGreaterThan(0);
    });
});
