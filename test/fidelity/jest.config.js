/** Jest for the fidelity suite (`npm run test:fidelity`): capacity models held against real servers on loopback. */
module.exports = {
    rootDir: "../..",
    testEnvironment: "node",
    roots: ["<rootDir>/test/fidelity"],
    testMatch: ["**/*.fidelity.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    // One suite at a time: the servers and their load share two cores, and their figures must not be each other's noise.
    maxWorkers: 1,
    testTimeout: 120000,
};
