/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The backend serves dist/index.html at "/" and the bundle under "/assets/"; relative asset
// URLs ("./assets/...") keep the build working there and under any other mount point.
// `npm run dev` proxies /api to a running backend (NORA_API_URL, default http://127.0.0.1:8000).
const apiTarget = process.env["NORA_API_URL"] ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
  },
  server: {
    proxy: { "/api": { target: apiTarget, changeOrigin: false } },
  },
  test: {
    environment: "node",
    include: ["tests/**/*.test.{ts,tsx}"],
  },
});
