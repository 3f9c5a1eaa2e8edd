import base from "./playwright.config";

// `cargo xtask bench suites`: the Playground's and stored suite runs' numbers, measured in the
// browser and through the admin API, printed as rows for docs/benchmarks.md (not asserted).
export default { ...base, testDir: "bench", testMatch: "*.bench.ts", timeout: 300_000 };
