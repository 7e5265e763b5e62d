// Loopback load through Debian's nginx running the generated edge-proxy config: for a few test-sized
// peaks, the computed worker_connections against the same config sized 25 % below. Prints figures.
// Run: npx tsx bench/proxy-load.ts [peak …]   (needs nginx: apt-get install nginx-light)
import { nginxSizing } from "../capacity/proxy";
import { findNginx, proxyLoadRun } from "../test/edge/nginxHarness";

async function main(): Promise<void> {
    const nginx = findNginx();
    if (!nginx) {
        console.error("nginx is not installed (apt-get install nginx-light)");
        process.exit(2);
    }
    const peaks = process.argv.slice(2).map(Number).filter((n) => n > 0);
    console.log("peak  workers  worker_connections  clients ok  failed  held at once  'not enough' lines  seconds");
    for (const peakClients of peaks.length > 0 ? peaks : [1000, 2000, 4000]) {
        const computed = nginxSizing({ peakClients, replicas: 1, headroom: 1.25, workerProcesses: 2 });
        const wc = Math.floor(computed.workerConnections * 0.75);
        for (const sizing of [computed, { ...computed, workerConnections: wc, workerRlimitNofile: 2 * wc }]) {
            const r = await proxyLoadRun(nginx, sizing, peakClients);
            const row = [peakClients, sizing.workerProcesses, sizing.workerConnections, r.ok, r.failed, r.heldAtOnce, r.notEnoughLines, (r.durationMs / 1000).toFixed(1)];
            console.log(row.map(String).join("\t"));
        }
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
