// A member's personal data, for the organisation's administrators acting on
// the member's request: the archive of what the organisation holds about them
// (a plain link; the server names the file) and erasing them, asked in a
// dialog with their e-mail address typed out (see `EraseConfirmation`). The
// server refuses to erase someone who also belongs to another organisation,
// an operator, or the admin themselves, and says why in the dialog.

import { useQueryClient } from "@tanstack/react-query";
import type { Member } from "../../api/types";
import { Dialog } from "../ui";
import { EraseConfirmation } from "./EraseConfirmation";
import { privacy, type Erasure } from "./api";
import "./privacy.css";

/** The link to a member's archive. */
export function MemberExportLink({ org, member }: { org: string; member: Member }) {
  return (
    <a
      href={privacy.memberExportUrl(org, member.person.id)}
      download
      aria-label={`Export data of ${member.person.display_name}`}
    >
      Export data
    </a>
  );
}

/**
 * Asks to erase `member` (null: closed). Once erased, they leave the cached
 * member list at once, `onErased` runs (it closes the dialog), and the
 * organisation's lists that named them are fetched again.
 */
export function EraseMemberDialog({
  org,
  member,
  onClose,
  onErased,
}: {
  org: string;
  member: Member | null;
  onClose: () => void;
  onErased: (member: Member, result: Erasure) => void;
}) {
  const client = useQueryClient();
  const name = member?.person.display_name ?? "";
  return (
    <Dialog open={member !== null} title="Erase member?" onClose={onClose}>
      {member && (
        <EraseConfirmation
          key={member.person.id}
          name={`Erase ${name}`}
          email={member.person.email}
          inputLabel="Type their e-mail address to confirm"
          confirmLabel={`Erase ${name}`}
          warning={
            <>
              <p>
                Erase {name} only when they ask for it; to end their access, remove them instead.{" "}
                <strong>This cannot be undone.</strong> Erasing them:
              </p>
              <ul>
                <li>
                  deletes their conversations, learning progress, practice, API tokens, sessions and linked messaging
                  accounts, then the account itself;
                </li>
                <li>passes the documents they uploaded to an admin of this organisation (you, if you are one);</li>
                <li>ends their relationships here, and they can no longer sign in.</li>
              </ul>
              <p>
                <MemberExportLink org={org} member={member} /> first if they want a copy.
              </p>
            </>
          }
          erase={(confirm) => privacy.eraseMember(org, member.person.id, confirm)}
          onErased={(result) => {
            // Gone at once from the list, then the lists that named them are fetched again.
            client.setQueryData<Member[]>(["members", org], (list) =>
              list?.filter((m) => m.person.id !== member.person.id),
            );
            onErased(member, result);
            void client.invalidateQueries({ queryKey: ["members", org] });
            void client.invalidateQueries({ queryKey: ["relationships", org] });
          }}
          onCancel={onClose}
        />
      )}
    </Dialog>
  );
}
