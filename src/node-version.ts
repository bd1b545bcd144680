/**
 * The oldest Node the server runs on; package.json `engines` says the same (a unit test keeps
 * them equal). Checked before anything loads the native SQLite addon: built with Node-API for
 * Node 22+, it can crash an older Node outright instead of throwing, so an operator whose
 * service manager starts the system Node would see a segfault, not a reason.
 */
export const MIN_NODE = { major: 22, minor: 15 } as const;

/** The one-line problem with this Node, or undefined when it is new enough. */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor)) return undefined;
  return (
    `Node ${MIN_NODE.major}.${MIN_NODE.minor} or newer is required (this is v${version.replace(/^v/, '')}): ` +
    'install Node 24 LTS, or start through npm (`npm start` runs the Node 24 that `npm ci` installed)'
  );
}
