import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

// `npm run dev` serves the console with hot reload and forwards API calls to a
// hezi started on the default port (`make run` or `hezi serve`).
const backend = process.env.HEZI_BACKEND ?? "http://127.0.0.1:8080";
const proxied = ["/api", "/v1", "/healthz", "/readyz"];

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: backend, changeOrigin: false }])),
  },
  build: {
    outDir: "dist",
    // antd is most of the bundle; it is served from the box itself, never over the internet.
    chunkSizeWarningLimit: 2500,
    // Two pages: the console, and the web app published agents are served as (/app/{token}), which shares the
    // chat components but not the console's shell.
    rollupOptions: {
      input: { main: fileURLToPath(new URL("index.html", import.meta.url)), webapp: fileURLToPath(new URL("webapp.html", import.meta.url)) },
    },
  },
});
