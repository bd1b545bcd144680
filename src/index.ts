/**
 * The package entry (`main`/`types` in package.json): the typed client. The server is run with
 * `npm start`, not imported, so nothing here pulls in the server, a database driver or Pothos.
 */
export * from './client';
