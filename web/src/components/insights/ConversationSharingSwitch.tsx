// The learner's own consent to their parents reading their conversations: a
// switch, off until they turn it on. Parents read them only when the
// organisation allows it as well; the status line says whether it does.

import { useId, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { insights, insightsKeys } from "../../api/insights";
import { ErrorNote, Loading } from "../ui";

export function ConversationSharingSwitch({ org }: { org: string }) {
  const client = useQueryClient();
  const id = useId();
  const hintId = `${id}-hint`;
  const key = insightsKeys.conversationSharing(org);
  const sharing = useQuery({ queryKey: key, queryFn: () => insights.conversationSharing(org) });
  const settings = useQuery({ queryKey: insightsKeys.settings(org), queryFn: () => insights.settings(org) });
  // The choice being saved, set in the same event as the click: the switch
  // shows it at once instead of flicking back until the request starts.
  const [saving, setSaving] = useState<boolean | null>(null);
  const change = useMutation({
    mutationFn: (share: boolean) => insights.setConversationSharing(org, { share_with_parents: share }),
    onSuccess: (saved) => client.setQueryData(key, saved),
    onSettled: () => setSaving(null),
  });
  const checked = saving ?? sharing.data?.share_with_parents ?? false;
  const orgAllows = settings.data?.parents_may_read_conversations;
  let standing = "Your parents cannot read your conversations.";
  if (checked && orgAllows) standing = "Your parents can read your conversations.";
  if (checked && orgAllows === false) {
    standing = "You agreed, but your organisation does not let parents read conversations, so they cannot.";
  }

  return (
    <section className="card conversation-sharing" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Your conversations</h2>
      {sharing.isPending && <Loading />}
      <ErrorNote error={sharing.error} onRetry={() => sharing.refetch()} />
      {sharing.data && (
        <>
          <div className="switch-field">
            <input
              id={id}
              type="checkbox"
              role="switch"
              className="switch"
              checked={checked}
              disabled={saving !== null}
              aria-describedby={hintId}
              onChange={(e) => {
                setSaving(e.target.checked);
                change.mutate(e.target.checked);
              }}
            />
            <label htmlFor={id}>Let my parents read my conversations</label>
          </div>
          <p id={hintId} className="hint">
            Off by default. Your parents can read your conversations with the coach only while this is on and your
            organisation allows it too. Without both, they see your progress but not what you asked. You can turn it
            off at any time.
          </p>
          <p className="small conversation-sharing-standing" role="status">
            {standing}
          </p>
        </>
      )}
      <ErrorNote error={change.error} />
    </section>
  );
}
