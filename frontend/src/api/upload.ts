/**
 * Multipart uploads with progress. fetch() reports no upload progress, so uploads go through
 * XMLHttpRequest; failures become the same `ApiError` as every other call (the server's `detail`).
 */
import { API_BASE, ApiError, errorMessage } from "./client";

/** POST `form` to `API_BASE + path`; `onProgress` gets the uploaded fraction (0..1). */
export function uploadForm<T>(
  path: string,
  form: FormData,
  onProgress: (fraction: number) => void,
): { promise: Promise<T>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open("POST", `${API_BASE}/${path}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, "Cannot reach the server: the upload was interrupted"));
    xhr.onabort = () => reject(new ApiError(0, "Upload cancelled"));
    xhr.onload = () => {
      let body: unknown = undefined;
      try {
        body = xhr.responseText === "" ? undefined : (JSON.parse(xhr.responseText) as unknown);
      } catch {
        body = xhr.responseText;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body !== null && typeof body === "object") {
        resolve(body as T);
      } else {
        reject(new ApiError(xhr.status, errorMessage(body, xhr.statusText || "upload failed")));
      }
    };
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
