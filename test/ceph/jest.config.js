/** Jest for the Ceph suite (`npm run test:ceph`): a real Ceph on shaped links, one bed at a time, as root. */
module.exports = {
    rootDir: "../..",
    testEnvironment: "node",
    roots: ["<rootDir>/test/ceph"],
    testMatch: ["**/*.ceph.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    maxWorkers: 1,
    testTimeout: 900000,
};
