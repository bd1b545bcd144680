/**
 * Helpers for the key rotation tests: a population of developers, secrets and versions spread
 * over several data key generations, and checks that every value of every version still reads.
 * Root-key rotation per provider is each test backend's own (tests/support/backends/).
 */
import { randomBytes } from 'node:crypto';
import type { DataKeyRow } from '../../src/db/database';
import { createSecret, mutate, query, updateSecret } from './integration';
import type { TestApp } from './test-app';

export const ROTATE_DATA_KEY = `mutation { r: rotateDataKey {
  __typename ... on RotateDataKeyPayload { dataKey { id generation provider createdAt } } ... on Error { __typename code message } } }`;

export interface PopulatedDeveloper {
  readonly id: string;
  readonly token: string;
  /** name -> values by version (index 0 = version 1). */
  readonly secrets: Map<string, string[]>;
}

/**
 * Developers with secrets of several versions; developer 0 rotates its data key between
 * versions, so its versions sit under two generations. `tag` keeps names and values distinct
 * between populations written into the same database.
 */
export async function populate(t: TestApp, tag: string, developers = 3, secretsEach = 3): Promise<PopulatedDeveloper[]> {
  const out: PopulatedDeveloper[] = [];
  for (let d = 0; d < developers; d++) {
    const dev = await t.createDeveloper(`${tag} dev ${d}`);
    const secrets = new Map<string, string[]>();
    for (let s = 0; s < secretsEach; s++) {
      const name = `${tag}_s${s}`;
      const v1 = `${tag}-d${d}-s${s}-v1-${randomBytes(6).toString('hex')}`;
      await createSecret(t, dev.token, { name, value: v1 });
      secrets.set(name, [v1]);
    }
    if (d === 0) {
      const r = await mutate(t, dev.token, ROTATE_DATA_KEY, {});
      if (r.__typename !== 'RotateDataKeyPayload') throw new Error(`rotateDataKey failed: ${JSON.stringify(r)}`);
    }
    for (const [name, values] of secrets) {
      const v2 = `${tag}-d${d}-${name}-v2-${randomBytes(6).toString('hex')}`;
      await updateSecret(t, dev.token, { name, value: v2 });
      values.push(v2);
    }
    out.push({ id: dev.id, token: dev.token, secrets });
  }
  return out;
}

/** Every version of every secret reads back its value (through GraphQL, as a client would). */
export async function expectAllReadable(t: Pick<TestApp, 'graphql'>, developers: readonly PopulatedDeveloper[]): Promise<number> {
  let checked = 0;
  for (const dev of developers) {
    for (const [name, values] of dev.secrets) {
      for (let i = 0; i < values.length; i++) {
        const data = await query(t, dev.token, 'query($n: String!, $v: Int!) { secretVersion(name: $n, version: $v) { value } }', {
          n: name,
          v: i + 1,
        });
        expect({ name, version: i + 1, value: data.secretVersion?.value }).toEqual({ name, version: i + 1, value: values[i] });
        checked++;
      }
    }
  }
  return checked;
}

export async function dataKeyRows(t: TestApp): Promise<DataKeyRow[]> {
  return t.app.db.selectFrom('data_keys').selectAll().orderBy('id').execute();
}

/** secret_id/version -> ciphertext hex: to show a rewrap leaves every sealed value untouched. */
export async function ciphertexts(t: TestApp): Promise<Map<string, string>> {
  const rows = await t.app.db.selectFrom('secret_versions').select(['secret_id', 'version', 'ciphertext', 'data_key_id']).execute();
  return new Map(rows.map((r) => [`${r.secret_id}/${r.version}`, `${r.data_key_id}:${r.ciphertext ? Buffer.from(r.ciphertext).toString('hex') : 'null'}`]));
}
