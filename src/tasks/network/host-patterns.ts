/**
 * Host name patterns as operators and secret owners write them: `api.example.com` matches
 * that name exactly, `*.example.com` any name below example.com (not example.com itself).
 * Case-insensitive; a trailing dot is ignored.
 */

const canonical = (host: string) => host.trim().toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');

export function hostMatcher(patterns: readonly string[]): (host: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.startsWith('*.')).map(canonical));
  const suffixes = patterns.filter((p) => p.startsWith('*.')).map((p) => canonical(p.slice(1)));
  return (host) => {
    const h = canonical(host);
    return exact.has(h) || suffixes.some((suffix) => h.endsWith(suffix) && h.length > suffix.length);
  };
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Why `pattern` is not a host pattern, or null when it is one. */
export function hostPatternProblem(pattern: string): string | null {
  const body = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  if (pattern.length > 253) return 'is longer than 253 characters';
  if (body.includes('*')) return "may use '*' only as its first label ('*.example.com')";
  const labels = body.toLowerCase().split('.');
  if (labels.length === 0 || !labels.every((l) => LABEL.test(l))) return 'is not a host name (letters, digits, hyphens and dots)';
  return null;
}
