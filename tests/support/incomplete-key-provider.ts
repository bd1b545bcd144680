/** A module whose factory returns an object missing most of the KeyProvider interface. */
export function createKeyProvider(): unknown {
  return { name: 'incomplete', generateDataKey: async () => ({}) };
}
