// Loopback helpers for the tests that start real servers (nginx, PostgreSQL, the Kubernetes API server).
import * as net from "node:net";

/** A free loopback port: bound by the OS and released, for a server to bind right after. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}
