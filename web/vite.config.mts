import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web console, served by the server at /console (src/console/static-site.ts). The build is
 * plain Vite: React's JSX goes through Vite's own transform (automatic runtime), so no plugin is
 * needed. Output: web/dist, hashed assets under assets/, nothing inline (the server's CSP
 * allows only 'self' scripts and styles).
 */
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/console/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The preload polyfill would be the only reason for extra script; every browser we
    // support has <link rel=modulepreload>.
    modulePreload: { polyfill: false },
    // No data: URIs for assets: CSP keeps img-src to 'self' (+ data: for icons only).
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite --config web/vite.config.mts` for UI work: GraphQL goes to a running `npm start`.
    proxy: { '/graphql': 'http://127.0.0.1:4000', '/console/config.json': 'http://127.0.0.1:4000' },
  },
});
