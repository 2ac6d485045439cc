import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";

// `npm run dev` serves the page with hot reload and forwards API calls to a
// running stack: SHOPSTREAM_API=http://localhost:8080 by default.
const api = process.env.SHOPSTREAM_API ?? "http://localhost:8080";

export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: "dist",
    assetsDir: "assets", // the gateway caches files under assets/ for good
    emptyOutDir: true,
  },
  server: {
    proxy: {
      "/v1": { target: api, changeOrigin: true },
      "/api": { target: api, changeOrigin: true },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
