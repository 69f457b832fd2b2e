import { defineConfig } from 'vite';

// `npm run build` writes dist/, which `folio serve` serves at /. `npm run dev` serves the
// sources with live reload and forwards the API to a `folio serve` on 127.0.0.1:8080.
export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' } },
});
