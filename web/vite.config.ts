import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// During development the API lives on a running `wayfinder serve`; Vite
// forwards /api to it so the session cookie stays same-origin, exactly as
// when the binary serves the built app itself.
const target = process.env.WAYFINDER_URL ?? "http://127.0.0.1:8099";

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      "/api": { target, changeOrigin: false },
      "/healthz": { target },
      "/readyz": { target },
    },
  },
  build: {
    outDir: "dist",
    // The manifest lets `npm run size` find the initial route's chunks.
    manifest: true,
    sourcemap: false,
    target: "es2020",
  },
});
