// Profile → "Apps signed in as you": the apps a person allowed on the consent
// page, with when each was signed in and last used, and a "Sign out" for each,
// after which its tokens stop working at once (signing in again means asking
// the person again).

import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { oauth, oauthKeys, type AppGrant } from "../../api/oauth";
import { useSession } from "../../session";
import { Empty, ErrorNote, Loading } from "../ui";
import { formatDateTime } from "../../lib/format";
import "./oauth.css";

export function SignedInApps() {
  const client = useQueryClient();
  const { me } = useSession();
  const key = oauthKeys.myApps(me?.person.id ?? "");
  const list = useQuery({ queryKey: key, queryFn: oauth.myApps });
  const [announcement, setAnnouncement] = useState("");
  const signOut = useMutation({
    mutationFn: (app: AppGrant) => oauth.signOutApp(app.id),
    onMutate: () => setAnnouncement(""),
    onSuccess: (_, app) => {
      setAnnouncement(`Signed out ${app.client_name}.`);
      client.setQueryData<AppGrant[]>(key, (old) => (old ?? []).filter((a) => a.id !== app.id));
    },
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });

  return (
    <section aria-labelledby="apps-heading" className="card">
      <h2 id="apps-heading">Apps signed in as you</h2>
      <p className="muted">Apps you allowed to use Wayfinder as you. Signing one out stops it at once.</p>
      {list.isPending && <Loading />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      <ErrorNote error={signOut.error} />
      <p role="status" className="success oauth-announcement">
        {announcement}
      </p>
      {list.data?.length === 0 && (
        <Empty title="No apps are signed in as you.">
          <p>When you allow an app to use Wayfinder as you, it shows here.</p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <ul className="plain-list" aria-label="Apps">
          {list.data.map((app) => (
            <li key={app.id}>
              <span>
                <strong>{app.client_name}</strong>
                <br />
                <span className="muted small">
                  signed in {formatDateTime(app.created_at)} · last used {formatDateTime(app.last_used_at)}
                </span>
              </span>
              <button
                type="button"
                className="danger-text"
                aria-label={`Sign out ${app.client_name}`}
                disabled={signOut.isPending && signOut.variables?.id === app.id}
                onClick={() => signOut.mutate(app)}
              >
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
