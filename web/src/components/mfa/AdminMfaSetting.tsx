// Organisation → Single sign-on → "Require admins to use two-step sign-in":
// saved as soon as it is switched. An admin without it is then asked to set
// it up before anything else (the one switching it on too, straight away).

import { useId, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { sso, ssoKeys } from "../../api/sso";
import { mfaKeys } from "../../api/mfa";
import { ErrorNote, Loading } from "../ui";
import "./mfa.css";

export function AdminMfaSetting({ org }: { org: string }) {
  const ids = useId();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: ssoKeys.settings(org), queryFn: () => sso.signInSettings(org) });
  const [saved, setSaved] = useState("");
  // What was asked, shown from the click on (the mutation's own state arrives a tick later).
  const [asked, setAsked] = useState<boolean | null>(null);
  const save = useMutation({
    mutationFn: (required: boolean) => sso.setSignInSettings(org, { mfa_required_for_admins: required }),
    onSettled: () => setAsked(null),
    onSuccess: (view) => {
      client.setQueryData(ssoKeys.settings(org), view);
      setSaved(
        view.mfa_required_for_admins
          ? "Saved: admins now need two-step sign-in. Those without it are asked to set it up first thing."
          : "Saved: admins may sign in without two-step sign-in again.",
      );
      // Whoever saved this may be one of those admins.
      return client.invalidateQueries({ queryKey: mfaKeys.all });
    },
  });
  return (
    <section className="card" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`}>Two-step sign-in for admins</h3>
      {settings.isPending && <Loading />}
      <ErrorNote error={settings.error} onRetry={() => settings.refetch()} />
      {settings.data && (
        <div className="field">
          <label className="check field-check">
            <input
              type="checkbox"
              // While saving, the box shows what was asked; refused, it shows what is in force again.
              checked={asked ?? settings.data.mfa_required_for_admins}
              disabled={save.isPending}
              aria-describedby={`${ids}-hint`}
              onChange={(e) => {
                setSaved("");
                setAsked(e.target.checked);
                save.mutate(e.target.checked);
              }}
            />
            Require admins to use two-step sign-in
          </label>
          <p className="hint" id={`${ids}-hint`}>
            The organisation's admins must add a code from an authenticator app to their password, and cannot turn it
            off. Admins who have not set it up, you included, are asked to before anything else. An admin who loses
            their phone can be reset on the Members tab.
          </p>
        </div>
      )}
      <ErrorNote error={save.error} />
      <p role="status" className="success mfa-said">
        {saved}
      </p>
    </section>
  );
}
