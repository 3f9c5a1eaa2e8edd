import { defineConfig } from "@playwright/test";

// Debian's Chromium: Playwright's own browser download is not reachable from here. The flags
// keep Chromium from phoning home, which this machine's closed network refuses.
export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  timeout: 60_000,
  workers: 1,
  reporter: [["list"]],
  use: {
    viewport: { width: 1100, height: 720 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      // Chromium has no use for the test's D-Bus session (which holds the keychain); without
      // this it starts desktop portals there and floods the output.
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: "disabled:" },
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
    },
    trace: "off",
  },
});
