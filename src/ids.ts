import { v7 } from 'uuid';

/** Time-ordered ids: generated here because MySQL has no RETURNING, and they index well. */
export function newId(): string {
  return v7();
}
