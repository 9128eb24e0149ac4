import { defineConfig, type Connect, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// Cross-origin isolation: lets the page and its worker use SharedArrayBuffer (a shared
// WebAssembly.Memory for SMP guests). Both the dev server and `vite preview` send these headers.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// Guest images such as a gzip initramfs (*.cpio.gz) must arrive byte for byte: their SHA-256 is checked
// against share links, and a browser silently decompresses anything sent with
// `Content-Encoding: gzip` (which sirv, behind `vite preview`, sends for every .gz file).
const rawGzip: Connect.NextHandleFunction = (req, res, next) => {
  if (/\.gz(\?|$)/.test(req.url ?? '')) {
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name: string, value: number | string | readonly string[]) => {
      const key = name.toLowerCase();
      if (key === 'content-encoding') return res;
      if (key === 'content-type') return setHeader(name, 'application/gzip');
      return setHeader(name, value);
    };
  }
  next();
};
const rawGzipPlugin: Plugin = {
  name: 'webpvh-raw-gzip',
  configureServer: (server) => void server.middlewares.use(rawGzip),
  configurePreviewServer: (server) => void server.middlewares.use(rawGzip),
};

// A production build must bundle production React (the development build is several times slower
// and turns the vCPU panel's updates into main-thread long tasks). Something on Vite 8's
// config-loading path leaves NODE_ENV=development behind, so builds say it explicitly, first.
const productionBuild: Plugin = {
  name: 'webpvh-production-build',
  enforce: 'pre',
  config(_config, { command }) {
    if (command === 'build') process.env.NODE_ENV = 'production';
  },
};

export default defineConfig({
  // Relative base: the built app works from any path (e.g. a static host sub-directory).
  base: './',
  plugins: [productionBuild, react(), rawGzipPlugin],
  // No SPA fallback: a missing guest image must be a 404, not index.html served with 200.
  appType: 'mpa',
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline the core (or any wasm) as a data: URL: it must be a real file in dist/ so the
    // worker can stream-compile it.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
    chunkSizeWarningLimit: 1000, // react + xterm.js in one chunk is expected
  },
});
