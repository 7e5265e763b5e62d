/** Jest for the end-to-end tests on the real Pulumi engine (`npm run test:e2e`, through test/e2e/run.ts). */
module.exports = {
    rootDir: "../..",
    testEnvironment: "node",
    roots: ["<rootDir>/test/e2e"],
    testMatch: ["**/*.e2e.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    // One pulumi at a time: each run already uses both cores of a small CI machine.
    maxWorkers: 1,
    testTimeout: 600000,
};
