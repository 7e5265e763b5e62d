/** Jest: TypeScript through ts-jest without type-checking (`tsc --noEmit` checks types once, in `npm test`). */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    testTimeout: 120000,
};
