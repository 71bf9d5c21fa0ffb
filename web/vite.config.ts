/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// One build serves every environment: nothing environment-specific is baked in; the app reads
// /config.json at start-up (written by the WebApp construct at deploy time, or by `make local`).
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // Hashed file names: CloudFront/S3 can cache assets forever; index.html and config.json are revalidated.
    assetsDir: "assets",
  },
  server: {
    // `npm run dev` against a local API (make local) on port 8000.
    proxy: { "/v1": "http://127.0.0.1:8000", "/config.json": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.ts"],
  },
});
