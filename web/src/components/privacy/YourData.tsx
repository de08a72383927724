// The profile's "Your data": the archive of everything Wayfinder holds about
// the signed-in person (a plain link: the session cookie authenticates the
// download, and the server names the file), who else looked at their data
// (see `DataAccessList`), and the danger zone where they
// erase their own account. Once erased, their session is over: the app loads
// afresh at the sign-in page, which says what happened (see
// `AccountErasedNotice`).

import { DataAccessList } from "./DataAccessList";
import { EraseConfirmation } from "./EraseConfirmation";
import { noteAccountErased } from "./ErasedNotice";
import { privacy } from "./api";
import "./privacy.css";

export function YourData({ email }: { email: string }) {
  return (
    <>
      <section aria-labelledby="your-data-heading" className="card">
        <h2 id="your-data-heading">Your data</h2>
        <p>
          A ZIP archive of everything Wayfinder holds about you: your account and memberships, conversations, learning
          progress and practice, settings and linked accounts as JSON files, and the text of documents you uploaded.
        </p>
        <a className="button" href={privacy.myExportUrl()} download>
          Download my data
        </a>
        <DataAccessList />
      </section>
      <section aria-labelledby="erase-heading" className="card danger-zone">
        <h2 id="erase-heading">Erase my account</h2>
        <EraseConfirmation
          name="Erase my account"
          email={email}
          inputLabel="Type your e-mail address to confirm"
          confirmLabel="Erase my account"
          warning={
            <>
              <p>
                <strong>This cannot be undone.</strong> Erasing your account:
              </p>
              <ul>
                <li>
                  deletes your conversations, learning progress, practice, API tokens, sessions and linked messaging
                  accounts, then the account itself;
                </li>
                <li>passes the documents you uploaded to an admin of their organisation;</li>
                <li>signs you out everywhere: you will not be able to sign in again.</li>
              </ul>
              <p>Download your data first if you want to keep a copy.</p>
            </>
          }
          erase={privacy.eraseMe}
          onErased={() => {
            // The server has ended the session and cleared its cookie. Loading the app afresh at the
            // sign-in page leaves nothing of the person in this tab, and no signed-in screen in between.
            noteAccountErased();
            window.location.replace("/signin");
          }}
        />
      </section>
    </>
  );
}
