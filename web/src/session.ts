/**
 * The bearer token the console signs in with. It lives in memory; only when the person asks
 * ("stay signed in in this tab") is it also kept in sessionStorage, which the browser drops
 * when the tab closes. Never localStorage: a token there outlives the session and is readable
 * by every later page load of this origin.
 */

export type TokenKind = 'apiKey' | 'jwt';

export interface Session {
  readonly token: string;
  readonly kind: TokenKind;
  readonly remember: boolean;
}

const STORAGE_KEY = 'locksmith.console.session';

export function loadSession(): Session | null {
  try {
    const raw = window.sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.token !== 'string' || (parsed.kind !== 'apiKey' && parsed.kind !== 'jwt')) return null;
    return { token: parsed.token, kind: parsed.kind, remember: true };
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  clearStoredSession();
  if (session.remember) {
    window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ token: session.token, kind: session.kind }));
  }
}

export function clearStoredSession(): void {
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage disabled: nothing was stored
  }
}
