import * as G from './generated/graphql';
import { paginate } from './paging';
import type { Transport } from './transport';
import type { AuditEvent, AuditFilter, AuditVerification, ListAuditEventsOptions, Page } from './types';

/** The calling developer's audit log (needs audit:read). Events never carry values. */
export interface AuditApi {
  /** One page, newest first. */
  list(options?: ListAuditEventsOptions): Promise<Page<AuditEvent>>;
  listAll(options?: { filter?: AuditFilter; pageSize?: number }): AsyncIterableIterator<AuditEvent>;
  /** Recomputes the hash chain server-side; `ok: false` names the first broken event. */
  verify(): Promise<AuditVerification>;
}

export function auditApi(transport: Transport): AuditApi {
  const list = async (options: ListAuditEventsOptions = {}): Promise<Page<AuditEvent>> => {
    const { data } = await transport.request(G.AuditEventsDocument, { first: options.first, after: options.after, filter: options.filter });
    const { edges, pageInfo } = data.auditEvents;
    return { items: edges.map((e) => e.node), hasNextPage: pageInfo.hasNextPage, endCursor: pageInfo.endCursor };
  };
  return {
    list,
    listAll: (options = {}) => paginate((after) => list({ filter: options.filter, first: options.pageSize, after })),
    async verify() {
      const { data } = await transport.request(G.VerifyAuditLogDocument, {});
      return data.verifyAuditLog;
    },
  };
}
