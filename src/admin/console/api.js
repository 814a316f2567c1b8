// The admin API client: Bearer token from session storage, JSON in and out, problem+json errors as ApiError.

/** The admin API answered with an error (problem+json `title` / `detail`), or did not answer (status 0). */
export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }

  /** What an operator reads: the status in words, then the server's own explanation. */
  describe() {
    const what =
      this.status === 403
        ? 'Not allowed for your role (403)'
        : this.status === 401
          ? 'Token rejected (401)'
          : this.status === 0
            ? 'No answer from the admin API'
            : `Request failed (${this.status})`;
    return `${what}: ${this.detail ?? this.title}`;
  }
}

/**
 * `base` is where the admin port's routes live relative to the page (empty unless a proxy mounts the admin port
 * under a prefix). `onUnauthorized` runs on any 401 (token revoked or mistyped).
 */
export function createApi(base, token, onUnauthorized) {
  async function call(method, path, body) {
    const headers = { accept: 'application/json', authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch {
      throw new ApiError(0, 'Network error', 'the admin port did not answer');
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const err = new ApiError(
        res.status,
        typeof json?.title === 'string' ? json.title : res.statusText || 'Error',
        typeof json?.detail === 'string' ? json.detail : undefined,
      );
      if (res.status === 401) onUnauthorized(err);
      throw err;
    }
    return json;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
  };
}

/** `?a=1&b=x` from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
