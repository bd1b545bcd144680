/** Dates as the person's locale shows them, with the ISO time as a tooltip. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** <input type="datetime-local"> speaks local time without a zone; the API speaks UTC ISO. */
export function localInputToIso(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function isPast(iso: string | null | undefined, now = Date.now()): boolean {
  return Boolean(iso) && new Date(iso!).getTime() <= now;
}

export type MetadataValue = string | number | boolean;

/**
 * A filter chip or editor cell typed as text: `true`/`false` are booleans, numbers are numbers,
 * anything else (or anything in double quotes, to force a string: "1") is a string. Metadata
 * filters match by type, so `1` and `"1"` are different filters.
 */
export function parseMetadataValue(text: string): MetadataValue {
  const trimmed = text.trim();
  if (/^".*"$/.test(trimmed)) return trimmed.slice(1, -1);
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  return text;
}

export function formatMetadataValue(value: unknown): string {
  if (typeof value === 'string') return /^(true|false|-?\d+(\.\d+)?)$/.test(value.trim()) ? `"${value}"` : value;
  return String(value);
}

export function metadataEntries(metadata: unknown): Array<[string, MetadataValue]> {
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return [];
  return Object.entries(metadata as Record<string, MetadataValue>);
}
