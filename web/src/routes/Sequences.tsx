// Sequences (coaches and administrators): the organisation's programs of
// scheduled steps at /sequences, and one sequence at /sequences/:sequenceId
// (`new` for a new one) with its editor and, once saved, its enrolments.

import { useEffect, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { sequenceKeys, sequences, type Sequence } from "../api/sequences";
import { useOrgId } from "../session";
import { Empty, ErrorNote, Loading } from "../components/ui";
import { SequenceEditor } from "../components/sequences/SequenceEditor";
import { SequenceEnrolments } from "../components/sequences/SequenceEnrolments";
import { formatDate } from "../lib/format";
import "../styles/sequences.css";

function SequenceList() {
  const org = useOrgId();
  const list = useQuery({ queryKey: sequenceKeys.list(org), queryFn: () => sequences.list(org) });

  return (
    <div className="page">
      <div className="page-header">
        <h1>Sequences</h1>
        <div className="actions">
          <Link className="button primary" to="/sequences/new">
            New sequence
          </Link>
        </div>
      </div>
      <p className="muted">
        A sequence sends its steps to each enrolled learner one after another: messages, check-ins they answer from 1
        to 5, practice and reflection prompts, and guided interviews (a weekly reflection, a check-in) started for
        them, each some hours after the one before, some only for certain check-in answers.
      </p>
      {list.isPending && <Loading label="Loading sequences…" />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.data?.length === 0 && (
        <Empty title="No sequences yet.">
          <p>Start one with New sequence.</p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <div className="table-wrap">
          <table className="sequence-table" aria-label="Sequences">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Steps</th>
                <th scope="col">Active enrolments</th>
                <th scope="col">State</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    <Link to={`/sequences/${s.id}`}>{s.name}</Link>
                    {s.description && <span className="muted small sequence-description">{s.description}</span>}
                  </th>
                  <td>{s.steps.length}</td>
                  <td>{s.active_enrolments}</td>
                  <td>
                    <span className={`status ${s.active ? "ok" : "sequence-paused"}`}>{s.active ? "Active" : "Paused"}</span>
                  </td>
                  <td>{formatDate(s.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Breadcrumb({ current }: { current: string }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <Link to="/sequences">Sequences</Link> › <span aria-current="page">{current}</span>
    </nav>
  );
}

function SequencePage({ id }: { id: string }) {
  const org = useOrgId();
  const navigate = useNavigate();
  const location = useLocation();
  const isNew = id === "new";
  const detail = useQuery({
    queryKey: sequenceKeys.one(org, id),
    queryFn: () => sequences.get(org, id),
    enabled: !isNew,
  });
  // "Created" is said once: the history entry forgets it, so a reload does not say it again.
  const [created] = useState(() => (location.state as { created?: boolean } | null)?.created === true);
  useEffect(() => {
    if (created) navigate(location.pathname, { replace: true, state: null });
  }, [created, navigate, location.pathname]);

  const onSaved = (saved: Sequence, wasNew: boolean) => {
    if (wasNew) navigate(`/sequences/${saved.id}`, { replace: true, state: { created: true } });
  };
  const onDeleted = () => navigate("/sequences");

  if (isNew) {
    return (
      <div className="page narrow sequence-page">
        <Breadcrumb current="New sequence" />
        <h1>New sequence</h1>
        <SequenceEditor org={org} sequence={null} onSaved={onSaved} onDeleted={onDeleted} />
      </div>
    );
  }
  if (detail.isPending) return <Loading label="Loading the sequence…" />;
  if (detail.isError) {
    return (
      <div className="page narrow">
        <ErrorNote error={detail.error} onRetry={() => detail.refetch()} />
        <Link to="/sequences">Back to sequences</Link>
      </div>
    );
  }
  const sequence = detail.data;
  return (
    <div className="page sequence-page">
      <Breadcrumb current={sequence.name} />
      <h1>{sequence.name}</h1>
      {created && (
        <p className="success" role="status">
          Sequence created. Enrol learners below.
        </p>
      )}
      <SequenceEditor org={org} sequence={sequence} onSaved={onSaved} onDeleted={onDeleted} />
      <SequenceEnrolments org={org} sequence={sequence} />
    </div>
  );
}

export default function Sequences() {
  const { sequenceId } = useParams();
  return sequenceId ? <SequencePage key={sequenceId} id={sequenceId} /> : <SequenceList />;
}
