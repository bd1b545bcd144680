/**
 * Text encodings shared by the expression functions (quote, urlencode, b64encode) and the
 * redactor. Sharing them is the point: every encoded form an expression can produce from a
 * secret is a form the redactor knows how to find.
 */

const UNRESERVED = /[A-Za-z0-9_.\-~]/;

/**
 * Percent-encodes UTF-8 bytes the way Python's urllib.parse.quote does: unreserved
 * characters and `safe` stay, everything else becomes %XX (upper-case hex). With
 * `spaceAsPlus` it is quote_plus / form encoding.
 */
export function percentEncode(s: string, safe = '/', spaceAsPlus = false): string {
  let out = '';
  for (const ch of s) {
    if (UNRESERVED.test(ch) || (ch.length === 1 && safe.includes(ch))) {
      out += ch;
    } else if (spaceAsPlus && ch === ' ') {
      out += '+';
    } else {
      for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}

export function base64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** URL-safe alphabet with padding, as Python's base64.urlsafe_b64encode. */
export function base64UrlPadded(s: string): string {
  return base64(s).replace(/\+/g, '-').replace(/\//g, '_');
}
