// One collection: edit its name, description, domain tags and whether website
// visitors are answered from it; drop several
// files to upload them (each with its own progress and outcome, followed
// through its ingestion job); list and delete documents.

import { useCallback, useEffect, useRef, useState, type DragEvent, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { knowledge } from "../api/endpoints";
import { uploadFile } from "../api/upload";
import type { DocumentView, Job } from "../api/types";
import { useOrgId } from "../session";
import {
  ConfirmActionDialog,
  ConfirmDialog,
  Empty,
  ErrorNote,
  Field,
  Loading,
  TagInput,
  useConfirmedAction,
} from "../components/ui";
import { PublicBadge, PublicField } from "../components/knowledge/PublicCollection";
import { describeError } from "../lib/errors";
import { formatBytes, formatDateTime, parseTags } from "../lib/format";

const ACCEPT = ".txt,.md,.markdown,.html,.htm,.pdf,.docx";
const PARALLEL_UPLOADS = 2;

const FILE_ERRORS: Record<string, string> = {
  unsupported_type: "This kind of file can't be read. Use TXT, Markdown, HTML, PDF or DOCX.",
  empty_document: "The file has no text in it.",
  file_too_large: "The file is larger than this server accepts.",
  broken_document: "The file is damaged or could not be read.",
};

interface Upload {
  key: string;
  file: File;
  progress: number;
  state: "waiting" | "uploading" | "processing" | "done" | "failed";
  jobId?: string;
  message?: string;
}

function UploadRow({ upload, onJob }: { upload: Upload; onJob: (key: string, job: Job) => void }) {
  const job = useQuery({
    queryKey: ["job", upload.jobId],
    queryFn: () => knowledge.job(upload.jobId!),
    enabled: !!upload.jobId && upload.state === "processing",
    refetchInterval: (q) => {
      const state = q.state.data?.state;
      return state === "succeeded" || state === "failed" ? false : 1000;
    },
  });
  useEffect(() => {
    if (job.data && (job.data.state === "succeeded" || job.data.state === "failed")) onJob(upload.key, job.data);
  }, [job.data, onJob, upload.key]);

  const percent = Math.round(upload.progress * 100);
  let status: string;
  switch (upload.state) {
    case "waiting":
      status = "Waiting…";
      break;
    case "uploading":
      status = `Uploading ${percent}%`;
      break;
    case "processing":
      status = job.data?.phase && job.data.phase !== "queued" ? `Processing (${job.data.phase})…` : "Queued for processing…";
      break;
    case "done":
      status = upload.message ?? "Ready";
      break;
    case "failed":
      status = upload.message ?? "Failed";
      break;
  }
  return (
    <li className={`upload upload-${upload.state}`}>
      <div className="upload-line">
        <span className="upload-name">{upload.file.name}</span>
        <span className="muted small">{formatBytes(upload.file.size)}</span>
      </div>
      <progress
        max={100}
        value={upload.state === "uploading" || upload.state === "waiting" ? percent : upload.state === "processing" ? undefined : 100}
        aria-label={`${upload.file.name} progress`}
      />
      <p className="upload-status" role={upload.state === "failed" ? "alert" : undefined}>
        {status}
      </p>
    </li>
  );
}

export default function CollectionPage() {
  const { collectionId = "" } = useParams();
  const org = useOrgId();
  const client = useQueryClient();
  const navigate = useNavigate();
  const collection = useQuery({
    queryKey: ["collection", org, collectionId],
    queryFn: () => knowledge.collection(org, collectionId),
  });
  const documents = useQuery({
    queryKey: ["documents", org, collectionId],
    queryFn: () => knowledge.documents(org, collectionId),
  });
  const jobs = useQuery({
    queryKey: ["jobs", org],
    queryFn: () => knowledge.jobs(org),
    refetchInterval: (q) =>
      q.state.data?.some((j) => j.collection_id === collectionId && (j.state === "queued" || j.state === "running"))
        ? 2000
        : false,
  });

  const [editing, setEditing] = useState(false);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [domains, setDomains] = useState("");
  const [isPublic, setIsPublic] = useState(false);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const [deletingCollection, setDeletingCollection] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const counter = useRef(0);

  const save = useMutation({
    mutationFn: () =>
      knowledge.updateCollection(org, collectionId, { name, description, domains: parseTags(domains), public: isPublic }),
    onSuccess: (c) => {
      client.setQueryData(["collection", org, collectionId], c);
      void client.invalidateQueries({ queryKey: ["collections", org] });
      setEditing(false);
    },
  });
  const removeCollection = useMutation({
    mutationFn: () => knowledge.deleteCollection(org, collectionId),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["collections", org] });
      navigate("/knowledge");
    },
  });
  const removeDocument = useConfirmedAction({
    mutationFn: (doc: DocumentView) => knowledge.deleteDocument(org, doc.id),
    onSuccess: () => client.invalidateQueries({ queryKey: ["documents", org, collectionId] }),
  });

  const patchUpload = useCallback((key: string, change: Partial<Upload>) => {
    setUploads((all) => all.map((u) => (u.key === key ? { ...u, ...change } : u)));
  }, []);

  const onJob = useCallback(
    (key: string, job: Job) => {
      const file = job.files[0];
      if (job.state === "failed" && !file?.error_code) {
        patchUpload(key, { state: "failed", message: job.error ?? "Processing failed." });
      } else if (file?.state === "failed") {
        const known = file.error_code ? FILE_ERRORS[file.error_code] : undefined;
        patchUpload(key, { state: "failed", message: known ?? file.error_message ?? "The file could not be read." });
      } else if (file?.state === "unchanged") {
        patchUpload(key, { state: "done", message: "Already in this collection (unchanged)." });
      } else {
        const chunks = file?.chunk_count;
        patchUpload(key, { state: "done", message: chunks != null ? `Ready · ${chunks} passages` : "Ready" });
      }
      void client.invalidateQueries({ queryKey: ["documents", org, collectionId] });
    },
    [client, org, collectionId, patchUpload],
  );

  // Starts waiting uploads, a few at a time.
  useEffect(() => {
    const active = uploads.filter((u) => u.state === "uploading").length;
    const waiting = uploads.filter((u) => u.state === "waiting").slice(0, Math.max(0, PARALLEL_UPLOADS - active));
    for (const u of waiting) {
      patchUpload(u.key, { state: "uploading" });
      const handle = uploadFile(
        knowledge.uploadUrl(org, collectionId),
        u.file,
        [],
        (fraction) => patchUpload(u.key, { progress: fraction }),
      );
      handle.promise.then(
        (job) => patchUpload(u.key, { state: "processing", jobId: job.id, progress: 1 }),
        (err) => patchUpload(u.key, { state: "failed", message: describeError(err) }),
      );
    }
  }, [uploads, org, collectionId, patchUpload]);

  function addFiles(files: FileList | File[]) {
    const list = Array.from(files);
    if (!list.length) return;
    setUploads((all) => [
      ...list.map((file) => ({ key: `u${counter.current++}`, file, progress: 0, state: "waiting" as const })),
      ...all,
    ]);
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    addFiles(event.dataTransfer.files);
  }

  function startEdit() {
    if (!collection.data) return;
    setName(collection.data.name);
    setDescription(collection.data.description);
    setDomains(collection.data.domains.join(", "));
    setIsPublic(collection.data.public);
    save.reset();
    setEditing(true);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  if (collection.isPending) return <Loading />;
  if (collection.isError) {
    return (
      <div className="page">
        <ErrorNote error={collection.error} />
        <Link to="/knowledge">Back to the knowledge base</Link>
      </div>
    );
  }
  const c = collection.data;
  const running = (jobs.data ?? []).filter(
    (j) => j.collection_id === collectionId && (j.state === "queued" || j.state === "running") &&
      !uploads.some((u) => u.jobId === j.id),
  );

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/knowledge">Knowledge base</Link> › <span aria-current="page">{c.name}</span>
      </nav>
      {editing ? (
        <form className="card" onSubmit={submit} aria-label="Edit collection">
          <h1>Edit collection</h1>
          <Field label="Name">{(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label="Description">
            {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <TagInput label="Domain tags" value={domains} onChange={setDomains} />
          <PublicField checked={isPublic} onChange={setIsPublic} />
          <ErrorNote error={save.error} />
          <div className="actions">
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!name.trim() || save.isPending}>
              Save
            </button>
          </div>
        </form>
      ) : (
        <div className="page-header">
          <div>
            <h1>
              {c.name}
              {c.public && <PublicBadge />}
            </h1>
            {c.description && <p>{c.description}</p>}
            {c.domains.length > 0 && (
              <ul className="tags" aria-label="Domain tags">
                {c.domains.map((d) => (
                  <li className="tag" key={d}>
                    {d}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="actions">
            <button type="button" onClick={startEdit}>
              Edit
            </button>
            <button type="button" className="danger" onClick={() => setDeletingCollection(true)}>
              Delete collection
            </button>
          </div>
        </div>
      )}

      <section aria-labelledby="upload-heading">
        <h2 id="upload-heading">Add documents</h2>
        <div
          className={`dropzone ${dragging ? "dragging" : ""}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <p>Drop files here, or</p>
          <button type="button" onClick={() => fileInput.current?.click()}>
            Choose files…
          </button>
          <input
            ref={fileInput}
            type="file"
            multiple
            accept={ACCEPT}
            className="visually-hidden"
            aria-label="Choose files to upload"
            tabIndex={-1}
            onChange={(e) => {
              if (e.target.files) addFiles(e.target.files);
              e.target.value = "";
            }}
          />
          <p className="hint">TXT, Markdown, HTML, PDF or DOCX. Several files at once are fine.</p>
        </div>
        {uploads.length > 0 && (
          <ul className="uploads" aria-label="Uploads">
            {uploads.map((u) => (
              <UploadRow key={u.key} upload={u} onJob={onJob} />
            ))}
          </ul>
        )}
        {running.length > 0 && (
          <p className="notice" role="status">
            {running.length} earlier upload{running.length === 1 ? " is" : "s are"} still being processed.
          </p>
        )}
      </section>

      <section aria-labelledby="documents-heading">
        <h2 id="documents-heading">Documents</h2>
        {documents.isPending && <Loading label="Loading documents…" />}
        <ErrorNote error={documents.error} onRetry={() => documents.refetch()} />
        {documents.data?.length === 0 && <Empty title="No documents in this collection yet." />}
        {documents.data && documents.data.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">File</th>
                  <th scope="col">Status</th>
                  <th scope="col">Added</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {documents.data.map((d) => (
                  <tr key={d.id}>
                    <td>{d.title}</td>
                    <td className="muted">
                      {d.source_name} · {formatBytes(d.size_bytes)}
                      {d.pages ? ` · ${d.pages} pages` : ""}
                    </td>
                    <td>
                      <span className="status ok">Ready</span> <span className="muted">{d.chunk_count} passages</span>
                    </td>
                    <td className="muted">{formatDateTime(d.created_at)}</td>
                    <td>
                      <button
                        type="button"
                        className="danger-text"
                        onClick={() => removeDocument.ask(d)}
                        aria-label={`Delete ${d.title}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <ConfirmDialog
        open={deletingCollection}
        title="Delete collection?"
        message={
          <>
            “{c.name}” and all its documents will be deleted, and the coach will no longer answer from them.
            <ErrorNote error={removeCollection.error} />
          </>
        }
        confirmLabel="Delete collection"
        busy={removeCollection.isPending}
        onCancel={() => setDeletingCollection(false)}
        onConfirm={() => removeCollection.mutate()}
      />
      <ConfirmActionDialog
        action={removeDocument}
        title="Delete document?"
        message={`“${removeDocument.target?.title ?? ""}” will be removed from the knowledge base.`}
        confirmLabel="Delete document"
      />
    </div>
  );
}
