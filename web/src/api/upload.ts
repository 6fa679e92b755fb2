import { ApiError, CSRF_HEADER, reportUnauthorized, retryAfterOf, type ModelPublic } from "./client";

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface Upload {
  /** The registered model, or an ApiError (server refused), TypeError (network) or DOMException (aborted). */
  done: Promise<ModelPublic>;
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
 * Uploads a model file as the raw request body. XMLHttpRequest, because it streams a File from disk
 * (a model can be many GB, never read into memory) and is the only browser API that reports upload progress.
 */
export function uploadModel(file: File, name: string | undefined, onProgress: (p: UploadProgress) => void): Upload {
  const xhr = new XMLHttpRequest();
  const query = new URLSearchParams({ filename: file.name });
  if (name) query.set("name", name);
  const done = new Promise<ModelPublic>((resolve, reject) => {
    xhr.open("POST", `/api/models/upload?${query.toString()}`);
    xhr.withCredentials = true;
    for (const [header, value] of Object.entries(CSRF_HEADER)) xhr.setRequestHeader(header, value);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as ModelPublic);
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
