import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The desktop window loads dist/ through Tauri; `sluice serve` embeds the same files.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  build: { target: "es2021", chunkSizeWarningLimit: 1500 },
  // `npm run dev` against a running Sluice: the API stays same-origin, as when Sluice serves the UI.
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(["/api", "/v1"].map((path) => [path, process.env.SLUICE_URL ?? "http://127.0.0.1:8990"])),
  },
});
