// The page's only way to the server: same-origin calls to the public /v1 API.

let csrfToken = null;
let csrfHeader = "X-Horn-CSRF";

/** An error answered by the API: `status`, and the body's `code`, `message` and `details`. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = body && typeof body === "object" && body.error ? body.error : null;
    super(error ? error.message : `The server answered ${status}: ${String(body).slice(0, 200)}`);
    this.status = status;
    this.code = error ? error.code : "http_error";
    this.details = error ? error.details : null;
  }
}

/** Remembers the session's CSRF token, sent with every request that changes something. */
export function setSession(session) {
  csrfToken = session && session.csrf_token ? session.csrf_token : null;
  if (session && session.csrf_header) csrfHeader = session.csrf_header;
}

/**
 * Calls the API. `json` is sent as a JSON body, `form` as multipart; answers the parsed body
 * (JSON or text), null for 204. Throws ApiError on a 4xx/5xx; a 401 also fires
 * `horn:unauthorized` on window so the page can ask to sign in again.
 */
export async function api(method, path, { json, form, signal } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (method !== "GET" && csrfToken) headers[csrfHeader] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body,
    signal,
    credentials: "same-origin",
    cache: "no-store",
  });
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && !path.startsWith("/v1/session")) {
      window.dispatchEvent(new CustomEvent("horn:unauthorized", { detail: error }));
    }
    throw error;
  }
  return data;
}

/** Uploads a file as multipart (`file`, plus extra text fields). */
export function upload(path, file, fields = {}) {
  const form = new FormData();
  form.append("file", file, file.name);
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== "") form.append(name, value);
  }
  return api("POST", path, { form });
}
