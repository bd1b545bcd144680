import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * src/client/generated and web/src/gql are committed so the client and the console need no
 * codegen at build or run time; this fails when either no longer matches schema.graphql and its
 * operations (src/client/operations, web/src/operations) (fix: `npm run codegen`).
 *
 * Codegen runs in memory (saveToFile=false), so nothing on disk is touched. It runs in a child
 * process because @graphql-codegen/cli requires ESM-only packages (yargs), which plain Node loads
 * (require(esm)) but jest's module loader does not.
 */
const root = join(__dirname, '..', '..');
const generatedDirs = ['src/client/generated', 'web/src/gql'];

const GENERATE = `
const { generate } = require('@graphql-codegen/cli');
const config = require('./codegen.ts').default;
generate({ ...config, cwd: process.cwd(), silent: true }, false)
  .then((outputs) => process.stdout.write(JSON.stringify(outputs.map((o) => ({ filename: o.filename, content: o.content })))))
  .catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
`;

describe('generated typed documents', () => {
  it('are what `npm run codegen` produces from schema.graphql and the operations', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', '-e', GENERATE], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    const outputs = JSON.parse(stdout) as Array<{ filename: string; content: string }>;
    const expected = new Map(outputs.map((o) => [o.filename.replace(/^\.\//, ''), o.content]));
    const committed = new Map(
      generatedDirs.flatMap((dir) =>
        readdirSync(join(root, dir)).map((file) => [`${dir}/${file}` as string, readFileSync(join(root, dir, file), 'utf8')] as const),
      ),
    );
    // Names first for a readable failure, then contents.
    expect([...committed.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, content] of expected) {
      expect({ path, content: committed.get(path) }).toEqual({ path, content });
    }
  });
});
