/**
 * Query parameters whose values are secrets: session tokens (a Socket.IO client may put its token
 * in the URL), API keys, passwords, signatures. Matched on the decoded name, in any letter case.
 */
const SECRET_PARAM =
  /^(?:token|access[_-]?token|refresh[_-]?token|id[_-]?token|(?:x[_-])?api[_-]?key|key|secret|password|passwd|jwt|auth|authorization|session|sig|signature)$/i;

const CENSOR = '[redacted]';

/** The parameter's name, decoded; a malformed escape keeps it raw (and so still matched as written). */
function nameOf(part: string): string {
  const raw = part.split('=', 1)[0] ?? '';
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * A request URL fit for a log line: the values of secret query parameters (SECRET_PARAM) replaced
 * by `[redacted]`, everything else as it came. The one place URLs are cleaned: pino-http's request
 * serializer and every line that names a URL use it.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const end = hash < 0 ? url.length : hash;
  const query = url
    .slice(q + 1, end)
    .split('&')
    .map((part) => {
      if (!SECRET_PARAM.test(nameOf(part))) return part;
      const eq = part.indexOf('=');
      return `${eq < 0 ? part : part.slice(0, eq)}=${CENSOR}`;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${query}${url.slice(end)}`;
}

/** A parsed query object (Express's `req.query`) with the secret parameters' values censored. */
export function redactQuery(query: unknown): unknown {
  if (query === null || typeof query !== 'object') return query;
  const clean: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) clean[name] = SECRET_PARAM.test(name) ? CENSOR : value;
  return clean;
}
