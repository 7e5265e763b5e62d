// The Redis tiers (outage 3: Redis and the workers out of RAM) held against Debian's Redis 7.0 on loopback,
// each started on the redis.conf the dev stack's ConfigMap carries: the cache evicts and refuses nothing,
// and its peak resident memory is what the model reserves; the queue refuses writes (OOM) where the model
// says, and a kill -9 during writes loses no more than its appendfsync allows.
import { redisMaxmemoryFractionFitting, redisPeakResidentBytes } from "../../capacity/memory";
import { cacheFill, deviation, queueCrash, queueOom, redisModel, TOLERANCE, type RedisModel } from "./cases";
import { describeWithServers, findRedis, stopAllServers } from "./servers";

const found = findRedis();

describeWithServers("Redis tiers against Redis", found.missing, () => {
    const bins = found.bins!;
    let m: RedisModel;

    beforeAll(async () => {
        m = await redisModel("dev");
    });
    afterAll(stopAllServers);

    it("reserves, in the stack, the peak memory the model gives each tier", () => {
        expect(m.cache.policy).toBe("allkeys-lru");
        expect(m.queue.policy).toBe("noeviction");
        for (const tier of [m.cache, m.queue]) expect(redisPeakResidentBytes(tier.maxmemory)).toBeLessThanOrEqual(tier.limitBytes);
        expect(m.cache.maxmemory / m.cache.limitBytes).toBeCloseTo(redisMaxmemoryFractionFitting(), 2);
    });

    it("cache: filled to twice maxmemory, it evicts, refuses no write, and peaks at the model's RSS ratio", async () => {
        const r = await cacheFill(bins, m);
        expect(r.maxmemory).toBe(m.cache.maxmemory);
        expect({ errorReplies: r.errorReplies, benchmarkFailures: r.benchmarkFailures }).toEqual({ errorReplies: 0, benchmarkFailures: 0 });
        expect(r.evictedKeys).toBeGreaterThan(0);
        const d = deviation(r.ratio, m.rssPerMaxmemory);
        expect(d).toBeLessThanOrEqual(TOLERANCE.rssAbove);
        expect(d).toBeGreaterThanOrEqual(-TOLERANCE.rssBelow);
        console.log(`cache: ${(r.written / 2 ** 20).toFixed(0)} MiB written into maxmemory ${(r.maxmemory / 2 ** 20).toFixed(0)} MiB → ${r.evictedKeys} keys evicted, 0 errors, peak RSS ${r.ratio.toFixed(2)} × maxmemory (model ${m.rssPerMaxmemory})`);
    });

    it("queue: refuses writes with OOM once used memory reaches maxmemory (±5 %)", async () => {
        const r = await queueOom(bins, m);
        expect(r.maxmemory).toBe(m.queue.maxmemory);
        expect(r.error).toMatch(/^OOM command not allowed when used memory > 'maxmemory'/);
        expect(r.oomRefusals).toBeGreaterThan(0);
        expect(Math.abs(deviation(r.usedAtRefusal, m.queue.maxmemory))).toBeLessThanOrEqual(TOLERANCE.limit);
        console.log(`queue: OOM at used_memory ${(r.usedAtRefusal / 2 ** 20).toFixed(2)} MiB (maxmemory ${(r.maxmemory / 2 ** 20).toFixed(2)} MiB) after ${r.acceptedJobs} jobs of ${r.jobBytes} B`);
    });

    it("queue: kill -9 during acknowledged writes loses at most the AOF's bound", async () => {
        for (let i = 0; i < 2; i++) {
            const r = await queueCrash(bins, m);
            expect(r.acked).toBeGreaterThan(1000);
            expect(r.survived).toBeGreaterThan(0);
            expect(r.lostSeconds).toBeLessThanOrEqual(m.aofLossBoundSeconds);
            console.log(`queue kill -9 (appendfsync everysec): ${r.acked} writes acknowledged, ${r.survived} after restart, ${r.lostWrites} lost (${r.lostSeconds.toFixed(3)} s; bound ${m.aofLossBoundSeconds} s)`);
        }
    });
});
