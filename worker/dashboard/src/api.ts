// Calls to the HireDB API from the page, with the API key (if any) kept in this tab's sessionStorage.
const KEY_ITEM = 'hiredb.apiKey';

/** An error answer: the API's `{error: {code, message, request_id}}`, or what stood in for it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_ITEM),
  set: (key: string) => sessionStorage.setItem(KEY_ITEM, key),
  clear: () => sessionStorage.removeItem(KEY_ITEM),
};

let onKeyNeeded: (why: string) => void = () => {};
/** Called when the API answers 401, or 403 to a write: the page asks for a (better) key, saying why. */
export function whenKeyNeeded(handler: (why: string) => void) {
  onKeyNeeded = handler;
}

export function authHeaders(): Record<string, string> {
  const key = apiKey.get();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/**
 * The error an answer carries, as an ApiError with the API's code, message and request id. A server
 * failure's message names the request id, which is what its log is searched by.
 */
export function errorOf(status: number, text: string): ApiError {
  let code = `HTTP_${status}`;
  let message = text.slice(0, 300) || `the server answered ${status}`;
  let requestId: string | null = null;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; request_id?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
    if (typeof body.error?.request_id === 'string') requestId = body.error.request_id;
  } catch {
    // not JSON: keep the text
  }
  if (status >= 500 && requestId && !message.includes(requestId)) message += ` (request id ${requestId})`;
  if (status === 401) onKeyNeeded(apiKey.get() ? 'The key in use is not accepted (unknown or revoked): enter another.' : 'This HireDB asks for an API key.');
  return new ApiError(status, code, message, requestId);
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { ...init, headers: { accept: 'application/json', ...authHeaders(), ...(init.headers as Record<string, string>) } });
  const text = await res.text();
  if (!res.ok) throw errorOf(res.status, text);
  return JSON.parse(text) as T;
}

/** What a 403 on a write means to the person at the page; the key form opens for an ingest key. */
export function writeRefusal(e: unknown, action: string): string {
  if (e instanceof ApiError && e.status === 403 && e.code === 'FORBIDDEN' && apiKey.get()) {
    onKeyNeeded('Uploads and retries need a key with the ingest role: enter one to do them, or keep reading with the current key.');
    return `${action} needs an ingest key: the key in use may only read. (${e.message})`;
  }
  if (e instanceof ApiError && e.status === 401) return `${action} needs an API key: enter one above.`;
  return `${action} failed: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Makes a download link work with a key: links cannot send headers, so with a key in use the file is fetched
 * with it and handed to the browser as a blob.
 */
export function keyedDownload(link: HTMLAnchorElement, href: string, fileName: string) {
  link.href = href;
  link.download = fileName;
  link.onclick = async (event) => {
    if (!apiKey.get()) return;
    event.preventDefault();
    const res = await fetch(href, { headers: { accept: 'text/csv', ...authHeaders() } });
    if (!res.ok) throw errorOf(res.status, await res.text());
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
}
