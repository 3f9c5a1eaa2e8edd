import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The desktop window loads dist/ through Tauri; `sluice serve` embeds the same files.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  build: { target: "es2021", chunkSizeWarningLimit: 1500 },
  server: { port: 5173, strictPort: true },
});
