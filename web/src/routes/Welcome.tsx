// For a signed-in person with no organisation: operators create the first
// one; everyone else is told how to get in.

import { useState, type FormEvent } from "react";
import { Navigate, useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { orgs } from "../api/endpoints";
import { useSession } from "../session";
import { ErrorNote, Field } from "../components/ui";

function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
}

export default function Welcome() {
  const session = useSession();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [slugEdited, setSlugEdited] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (session.org && !session.isOperator) return <Navigate to="/chat" replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await orgs.create({ name, slug: slugEdited ? slug : slugify(name) });
      session.selectOrg(created.organisation.id);
      await client.invalidateQueries({ queryKey: ["orgs"] });
      navigate("/knowledge");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page narrow">
      <h1>Welcome{session.me ? `, ${session.me.person.display_name}` : ""}</h1>
      {session.isOperator ? (
        <>
          <p>Create an organisation — a school, a coaching business, a team. You become its admin.</p>
          <form onSubmit={submit} noValidate className="card">
            <Field label="Organisation name">
              {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <Field label="Short name" hint="Used in links and the command line: a-z, 0-9 and hyphens.">
              {(p) => (
                <input
                  {...p}
                  value={slugEdited ? slug : slugify(name)}
                  onChange={(e) => {
                    setSlugEdited(true);
                    setSlug(e.target.value);
                  }}
                />
              )}
            </Field>
            <ErrorNote error={error} />
            <button type="submit" className="primary" disabled={busy || !name}>
              Create organisation
            </button>
          </form>
        </>
      ) : (
        <p>You are not a member of any organisation yet. Ask an administrator to send you an invitation.</p>
      )}
    </div>
  );
}
