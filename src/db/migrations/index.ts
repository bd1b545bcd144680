import type { Migration } from 'kysely';
import * as initial from './2026_11_23_0001_initial';
import * as rotationDue from './2026_11_23_0002_rotation_due';
import * as auditChains from './2026_12_01_0001_audit_chains';
import * as secretAllowedHosts from './2026_12_01_0002_secret_allowed_hosts';
import * as keyLineageRequestIds from './2026_12_01_0010_key_lineage_request_ids';
import * as metadataPageIndex from './2026_12_07_0001_metadata_page_index';

/**
 * Every migration, by name, in order. Listed explicitly rather than read from the directory so
 * the same code runs from TypeScript sources and from the compiled dist/.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_23_0001_initial': initial,
  '2026_11_23_0002_rotation_due': rotationDue,
  '2026_12_01_0001_audit_chains': auditChains,
  '2026_12_01_0002_secret_allowed_hosts': secretAllowedHosts,
  '2026_12_01_0010_key_lineage_request_ids': keyLineageRequestIds,
  '2026_12_07_0001_metadata_page_index': metadataPageIndex,
};
