// What the sign-in page says once after a person erased their own account.
// The profile notes it for this tab (sessionStorage) before it reloads the app
// at /signin; the notice reads the note once and drops it, so a later visit or
// a reload shows the plain sign-in page. Kept free of other imports, since the
// sign-in page is part of the app's first chunk.

import { useEffect, useState } from "react";

const KEY = "wayfinder.accountErased";

/** Notes, for this tab only, that the account was just erased. */
export function noteAccountErased(): void {
  try {
    sessionStorage.setItem(KEY, "1");
  } catch {
    // storage refused (private mode): the sign-in page just will not say it
  }
}

function takeNote(): boolean {
  try {
    return sessionStorage.getItem(KEY) === "1";
  } catch {
    return false;
  }
}

/** "Your account was erased", once, where the note left by `noteAccountErased` is found. */
export function AccountErasedNotice() {
  const [erased] = useState(takeNote);
  useEffect(() => {
    if (!erased) return;
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      // nothing to drop
    }
  }, [erased]);
  if (!erased) return null;
  return (
    <p className="notice" role="status">
      Your account was erased, with everything that was yours. You have been signed out.
    </p>
  );
}
