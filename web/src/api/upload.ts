// File uploads go through XMLHttpRequest because fetch cannot report upload
// progress. One request per file, so each file has its own progress bar and
// its own ingestion job (and so its own outcome).

import { API_BASE, ApiError, csrfHeader, reportUnauthenticated, type ErrorBody } from "./client";
import type { Job } from "./types";

export interface UploadHandle {
  promise: Promise<Job>;
  abort: () => void;
}

export function uploadFile(
  path: string,
  file: File,
  domains: string[],
  onProgress: (fraction: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<Job>((resolve, reject) => {
    xhr.open("POST", API_BASE + path);
    xhr.withCredentials = true;
    xhr.setRequestHeader("accept", "application/json");
    for (const [k, v] of Object.entries(csrfHeader())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as Job);
        return;
      }
      const e = (body as ErrorBody | null)?.error;
      const err = new ApiError(
        xhr.status,
        e?.code ?? `http_${xhr.status}`,
        e?.message ?? (xhr.statusText || "the upload failed"),
        e?.field,
      );
      reportUnauthenticated(err);
      reject(err);
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "the server could not be reached"));
    xhr.onabort = () => reject(new ApiError(0, "aborted", "upload cancelled"));
    const form = new FormData();
    form.append("file", file, file.name);
    if (domains.length) form.append("domains", domains.join(","));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
