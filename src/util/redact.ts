// Credentials never reach a log line or `check-config` (issue 19): mqtt://user:password@host was
// printed in clear on the start line, the source line and by check-config.

// scheme://userinfo@ — userinfo up to the first "@" before any "/", whitespace or quote.
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@"']+@/gi;

/** `mqtts://user:secret@host:8883` → `mqtts://***@host:8883`; any other text unchanged. */
export function redactUrl(text: string): string {
  return text.replace(USERINFO, '$1***@');
}

/** Keys whose values are secrets wherever they appear. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'passphrase', 'token', 'key']);

/**
 * A deep copy with secret-named values replaced by "***" (null stays null: "not set" is no secret, and
 * `tls.key` is a file path, shown: the file's content is the secret) and URL credentials removed.
 */
export function redactSecrets<T>(value: T): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') {
      if (key === 'password' || key === 'passphrase' || key === 'token') return '***';
      return redactUrl(v);
    }
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value) as T;
}
