import { useId } from 'react';
import { formatMetadataValue, type MetadataValue, parseMetadataValue } from '../format';

export interface MetadataRow {
  readonly key: string;
  readonly value: string;
}

export function rowsFromMetadata(metadata: unknown): MetadataRow[] {
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return [];
  return Object.entries(metadata as Record<string, unknown>).map(([key, value]) => ({ key, value: formatMetadataValue(value) }));
}

/** Rows -> the API's flat object. Blank rows are dropped; typed text follows parseMetadataValue. */
export function metadataFromRows(rows: readonly MetadataRow[]): Record<string, MetadataValue> {
  const out: Record<string, MetadataValue> = {};
  for (const row of rows) {
    if (row.key.trim() === '' && row.value.trim() === '') continue;
    out[row.key] = parseMetadataValue(row.value);
  }
  return out;
}

/** Key/value rows for a secret's metadata; the server's error for it is shown below. */
export function MetadataEditor(props: { rows: MetadataRow[]; onChange: (rows: MetadataRow[]) => void; error?: string | undefined }) {
  const id = useId();
  const errorId = `${id}-error`;
  const set = (index: number, patch: Partial<MetadataRow>) =>
    props.onChange(props.rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <fieldset className={`metadata-editor${props.error ? ' field-invalid' : ''}`} aria-describedby={props.error ? errorId : `${id}-hint`}>
      <legend>Metadata</legend>
      <p className="hint" id={`${id}-hint`}>
        Flat key = value pairs, used for filtering. Numbers and true/false are stored as such; put text like "1" in quotes.
      </p>
      {props.rows.map((row, index) => (
        <div className="metadata-row" key={index}>
          <label className="visually-hidden" htmlFor={`${id}-k${index}`}>
            Metadata key {index + 1}
          </label>
          <input id={`${id}-k${index}`} placeholder="key" value={row.key} onChange={(e) => set(index, { key: e.target.value })} spellCheck={false} />
          <span aria-hidden="true">=</span>
          <label className="visually-hidden" htmlFor={`${id}-v${index}`}>
            Metadata value {index + 1}
          </label>
          <input id={`${id}-v${index}`} placeholder="value" value={row.value} onChange={(e) => set(index, { value: e.target.value })} spellCheck={false} />
          <button
            type="button"
            className="button-quiet"
            aria-label={`Remove metadata ${row.key || `row ${index + 1}`}`}
            onClick={() => props.onChange(props.rows.filter((_, i) => i !== index))}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="button-secondary" onClick={() => props.onChange([...props.rows, { key: '', value: '' }])}>
        Add metadata
      </button>
      {props.error ? (
        <p className="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      ) : null}
    </fieldset>
  );
}
