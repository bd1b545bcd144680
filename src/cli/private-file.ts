import { chmodSync, existsSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file only its owner can read (tokens, exported values). Written to a temporary file
 * created 0600 and renamed over the target, so the content is never briefly world-readable,
 * an existing file's looser mode is not inherited, and a crash never leaves half a file.
 */
export function writePrivateFile(path: string, content: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    if (existsSync(temporary)) unlinkSync(temporary);
    throw error;
  }
}
