import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The editor is built into dist/editor and served by `beamline serve` at /.
// In development (`npm run dev:editor`) the API and socket.io are proxied to a running runtime,
// started with `--cors-origin http://localhost:5173`: it answers only its own Host names
// (changeOrigin sends the runtime's) and pages on its own or listed origins.
const runtime = process.env.BEAMLINE_URL ?? 'http://127.0.0.1:8000';
const toRuntime = { target: runtime, changeOrigin: true };

export default defineConfig({
  root: 'editor',
  base: '/',
  plugins: [react()],
  build: { outDir: '../dist/editor', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: {
    proxy: {
      '/api': toRuntime,
      '/socket.io': { ...toRuntime, ws: true },
      '/examples': toRuntime,
    },
  },
});
