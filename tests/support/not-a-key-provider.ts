/** A module that loads fine but is not a key provider (no createKeyProvider export). */
export function somethingElse(): string {
  return 'not a key provider';
}
