import { runStack, SHIPPED_STACKS } from "../harness";

describe.each(SHIPPED_STACKS)("stack %s", (stack) => {
    it("loads its config and registers resources under mocks", async () => {
        const run = await runStack(stack);
        expect(run.config.environment).toBe(stack);
        expect(run.resources.length).toBeGreaterThan(2);
        expect(run.ofType("pulumi:providers:kubernetes")).toHaveLength(1);
    });
});
