/**
 * A step of a scenario that later tests build on (a rewrap the next test runs again, a provider
 * move the next one continues from): it runs once, for whichever test needs it first. Each test
 * awaits the steps it stands on, so any test can run alone (`-t`), and a whole run still does
 * every step once. Make it inside the describe block whose data it changes.
 */
export function step<T>(run: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= run());
}
