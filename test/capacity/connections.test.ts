// The connection budget with real numbers: Mastodon's documented defaults, and the Free Radical outage
// (seed 001: 25 → 160 Sidekiq threads against a PgBouncer that was not changed).
import fc from "fast-check";
import { utilisation } from "../../contract/budget";
import {
    clientConnections,
    connectionBudgets,
    pgbouncerParameters,
    pgbouncerSizing,
    poolerClientCapacity,
    poolerServerConnections,
    postgresAvailableConnections,
    pgbouncerKeepsPreparedStatements,
    preparedStatementsAllowed,
    type AppConnectionTiers,
    type PoolerSize,
    type PostgresSize,
} from "../../capacity/connections";

// Mastodon admin docs: WEB_CONCURRENCY 2 × MAX_THREADS 5, one streaming process with DB_POOL 10.
const web = [{ replicas: 1, processes: 2, threads: 5 }];
const streaming = [{ replicas: 1, processes: 1, dbPool: 10 }];
// PgBouncer's starting values from the Mastodon docs (= PgBouncer's defaults); Postgres defaults.
const pooler: PoolerSize = { instances: 1, poolMode: "transaction", defaultPoolSize: 20, maxClientConn: 100, userDatabasePairs: 1 };
const postgres: PostgresSize = { maxConnections: 100, reservedConnections: 3 };

const byId = (tiers: AppConnectionTiers, p = pooler, pg = postgres) => Object.fromEntries(connectionBudgets(tiers, p, pg).map((b) => [b.id, b]));

describe("connection budget", () => {
    it("counts Mastodon's defaults as the docs do: 2×5 + 25 + 10 = 45", () => {
        const c = clientConnections({ web, streaming, workers: [{ name: "sidekiq", replicas: 1, threads: 25 }] });
        expect(c).toMatchObject({ web: 10, streaming: 10, workers: 25, total: 45 });
    });

    it("multiplies replicas, processes and threads of every tier", () => {
        const c = clientConnections({
            web: [{ replicas: 6, processes: 2, threads: 5 }],
            streaming: [{ replicas: 3, processes: 2, dbPool: 10 }],
            workers: [
                { name: "default", replicas: 3, threads: 25 },
                { name: "federation", replicas: 4, processes: 2, threads: 10 },
                { name: "scheduler", replicas: 1, threads: 5 },
            ],
        });
        expect(c).toMatchObject({ web: 60, streaming: 60, workers: 75 + 80 + 5, total: 280 });
        expect(c.byWorkerGroup).toEqual({ default: 75, federation: 80, scheduler: 5 });
    });

    describe("Free Radical, 2022-11-05 (seed 001)", () => {
        const before: AppConnectionTiers = { web, streaming, workers: [{ name: "sidekiq", replicas: 1, threads: 25 }] };
        // 160 threads: the main server's two processes and the Raspberry Pi's four, 160 in all.
        const after: AppConnectionTiers = {
            web,
            streaming,
            workers: [
                { name: "main", replicas: 1, processes: 2, threads: 40 },
                { name: "pi", replicas: 1, processes: 4, threads: 20 },
            ],
        };

        it("25 Sidekiq threads fit the pooler", () => {
            const b = byId(before)["data.connections.clients"];
            expect([b.used, b.limit]).toEqual([45, 100]);
            expect(utilisation(b)).toBeCloseTo(0.45);
        });

        it("160 threads against the unchanged pooler are flagged: 180 clients for 100", () => {
            const b = byId(after)["data.connections.clients"];
            expect(clientConnections(after).workers).toBe(160);
            expect([b.used, b.limit]).toEqual([180, 100]);
            expect(utilisation(b)).toBeGreaterThan(1);
        });

        it("raising max_client_conn alone fixes the client side; the server side still fits Postgres", () => {
            const raised = byId(after, { ...pooler, maxClientConn: 200 });
            expect(utilisation(raised["data.connections.clients"])).toBeLessThanOrEqual(1);
            expect(raised["data.connections.server"]).toMatchObject({ used: 20, limit: 97 });
        });
    });

    it("flags pools that outgrow Postgres: 3 pods × 40 × 1 pair = 120 > 100 − 3", () => {
        const b = byId({ web, streaming, workers: [] }, { ...pooler, instances: 3, defaultPoolSize: 40 })["data.connections.server"];
        expect([b.used, b.limit]).toEqual([120, 97]);
        expect(poolerServerConnections({ instances: 3, defaultPoolSize: 40, userDatabasePairs: 2 })).toBe(240);
        expect(postgresAvailableConnections({ maxConnections: 400, reservedConnections: 3 })).toBe(397);
    });

    it("counts max_client_conn on every pooler pod", () => {
        expect(poolerClientCapacity({ instances: 3, maxClientConn: 1000 })).toBe(3000);
    });

    it("in session mode, every client needs a server connection of its own", () => {
        const tiers = { web, streaming, workers: [{ name: "sidekiq", replicas: 1, threads: 25 }] };
        expect(byId(tiers)["data.connections.session"]).toBeUndefined();
        const s = byId(tiers, { ...pooler, poolMode: "session" })["data.connections.session"];
        expect([s.used, s.limit]).toEqual([45, 20]);
    });

    it("knows which PgBouncer carries named prepared statements in transaction mode", () => {
        expect(pgbouncerKeepsPreparedStatements("1.18.0")).toBe(false); // Debian 12
        expect(pgbouncerKeepsPreparedStatements("1.21.0")).toBe(false); // supported, off by default
        expect(pgbouncerKeepsPreparedStatements("1.21.0", 100)).toBe(true);
        expect(pgbouncerKeepsPreparedStatements("1.25.1")).toBe(true); // CloudNativePG 1.30's default image
        expect(pgbouncerKeepsPreparedStatements("1.25.1", 0)).toBe(false);
        expect(pgbouncerKeepsPreparedStatements("1.20", 200)).toBe(false);
    });

    it("turns prepared statements off only for transaction pooling", () => {
        expect(preparedStatementsAllowed("transaction")).toBe(false);
        expect(preparedStatementsAllowed("session")).toBe(true);
    });

    it("reads back the PgBouncer parameters it writes; missing ones are PgBouncer's defaults, garbage is NaN", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 100000 }), fc.integer({ min: 1, max: 100000 }), (defaultPoolSize, maxClientConn) => {
                expect(pgbouncerSizing(pgbouncerParameters({ defaultPoolSize, maxClientConn }))).toEqual({ defaultPoolSize, maxClientConn });
            }),
        );
        expect(pgbouncerSizing(undefined)).toEqual({ defaultPoolSize: 20, maxClientConn: 100 });
        expect(pgbouncerSizing({ max_client_conn: "lots" }).maxClientConn).toBeNaN();
    });

    it("property: adding a thread anywhere never lowers the clients budget's use", () => {
        const tier = fc.record({ replicas: fc.integer({ min: 1, max: 10 }), processes: fc.integer({ min: 1, max: 4 }), threads: fc.integer({ min: 1, max: 50 }) });
        fc.assert(
            fc.property(fc.array(tier, { minLength: 1, maxLength: 4 }), fc.nat({ max: 3 }), (groups, pick) => {
                const tiers = (gs: typeof groups) => ({ web, streaming, workers: gs.map((g, i) => ({ name: `g${i}`, ...g })) });
                const i = pick % groups.length;
                const more = groups.map((g, j) => (j === i ? { ...g, threads: g.threads + 1 } : g));
                expect(clientConnections(tiers(more)).total).toBe(clientConnections(tiers(groups)).total + groups[i].replicas * groups[i].processes);
            }),
        );
    });
});

describe("connection budgets and PgBouncer's parameters, exactly", () => {
    it("titles each budget with its terms: 2 pooler pods in session mode", () => {
        // Clients 2 × 5 + 10 + 25 = 45 against 2 × 100; server 20 × 2 × 1 = 40 against 100 − 3; session: 45 against 40.
        const tiers = { web, streaming, workers: [{ name: "sidekiq", replicas: 1, threads: 25 }] };
        expect(connectionBudgets(tiers, { ...pooler, poolMode: "session", instances: 2 }, postgres)).toEqual([
            { id: "data.connections.clients", title: "database clients (web 10 + streaming 10 + workers 25) against PgBouncer max_client_conn × 2", used: 45, limit: 200, unit: "connections" },
            {
                id: "data.connections.server",
                title: "PgBouncer server connections (default_pool_size 20 × 2 pods × 1 user/db) against Postgres max_connections − reserved",
                used: 40,
                limit: 97,
                unit: "connections",
            },
            { id: "data.connections.session", title: "database clients against PgBouncer server pools (session pooling holds one per client)", used: 45, limit: 40, unit: "connections" },
        ]);
    });

    it("reads a parameter with spaces around it, and only whole numbers", () => {
        expect(pgbouncerSizing({ default_pool_size: " 30 ", max_client_conn: "3x0" })).toEqual({ defaultPoolSize: 30, maxClientConn: NaN });
        expect(pgbouncerSizing({ default_pool_size: "30x" }).defaultPoolSize).toBeNaN();
    });
});
