import { ApiError, CSRF_HEADER, reportUnauthorized, retryAfterOf, type DocumentPublic, type ModelPublic } from "./client";

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface Upload<T> {
  /** What the server answered, or an ApiError (server refused), TypeError (network) or DOMException (aborted). */
  done: Promise<T>;
  abort: () => void;
}

/** The four bytes every GGUF file starts with. */
const GGUF_MAGIC = "GGUF";

/** Whether the file starts like a GGUF, checked before sending gigabytes the server would refuse. */
export async function looksLikeGguf(file: Blob): Promise<boolean> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  return String.fromCharCode(...head) === GGUF_MAGIC;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Sends a file as the raw request body of a POST to `url`. XMLHttpRequest, because it streams a File from disk
 * (a model can be many GB, never read into memory) and is the only browser API that reports upload progress.
 */
export function uploadRaw<T>(url: string, file: File, onProgress: (p: UploadProgress) => void): Upload<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open("POST", url);
    xhr.withCredentials = true;
    for (const [header, value] of Object.entries(CSRF_HEADER)) xhr.setRequestHeader(header, value);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as T);
        return;
      }
      if (xhr.status === 401) reportUnauthorized();
      reject(new ApiError(xhr.status, body, retryAfterOf(xhr.getResponseHeader("Retry-After"))));
    };
    // The server may close the connection while the browser is still sending (e.g. over the size limit).
    xhr.onerror = () => reject(new TypeError("network error"));
    xhr.onabort = () => reject(new DOMException("upload cancelled", "AbortError"));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

/** Uploads a model file (a GGUF) to the model registry. */
export function uploadModel(file: File, name: string | undefined, onProgress: (p: UploadProgress) => void): Upload<ModelPublic> {
  const query = new URLSearchParams({ filename: file.name });
  if (name) query.set("name", name);
  return uploadRaw<ModelPublic>(`/api/models/upload?${query.toString()}`, file, onProgress);
}

/** Uploads one document into a knowledge base; the server reads its type from the content and queues it. */
export function uploadDocument(
  workspaceId: string,
  kbId: string,
  file: File,
  onProgress: (p: UploadProgress) => void,
): Upload<DocumentPublic> {
  const query = new URLSearchParams({ filename: file.name });
  const path = `/api/workspaces/${encodeURIComponent(workspaceId)}/knowledge-bases/${encodeURIComponent(kbId)}/documents`;
  return uploadRaw<DocumentPublic>(`${path}?${query.toString()}`, file, onProgress);
}
