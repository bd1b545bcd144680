/** Writes schema.graphql from the code (`npm run schema:print`); a test fails when they differ. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { schema } from '../src/schema';

const path = join(__dirname, '..', 'schema.graphql');
writeFileSync(path, printSchema(schema) + '\n');
process.stdout.write(`wrote ${path}\n`);
