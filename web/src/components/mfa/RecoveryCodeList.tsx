// Recovery codes, shown once: the list, a copy button, a text file to
// download, and "I have saved these" to move on. Each code signs in once
// without the authenticator app.

import { useEffect, useId, useMemo, useRef } from "react";
import { CopyButton } from "../ui";

export function RecoveryCodeList({
  codes,
  email,
  onDone,
}: {
  codes: string[];
  /** Whose codes they are, for the downloaded file. */
  email: string;
  onDone: () => void;
}) {
  const ids = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const text = useMemo(
    () =>
      `Wayfinder recovery codes for ${email}\n` +
      "Each code signs you in once without your authenticator app.\n\n" +
      `${codes.join("\n")}\n`,
    [codes, email],
  );
  const href = useMemo(() => URL.createObjectURL(new Blob([text], { type: "text/plain" })), [text]);
  useEffect(() => () => URL.revokeObjectURL(href), [href]);
  // The codes replace the form that was in focus: the focus goes to them.
  useEffect(() => {
    heading.current?.focus();
  }, []);

  return (
    <section className="mfa-recovery" aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`} ref={heading} tabIndex={-1}>
        Save your recovery codes
      </h3>
      <p>
        If you lose your phone, each of these codes signs you in once instead of a code from the app. Keep them
        somewhere safe, such as a password manager: <strong>they are shown only now.</strong>
      </p>
      <ol className="mfa-recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="actions start">
        <CopyButton text={codes.join("\n")} label="Copy codes" />
        <a className="button" href={href} download="wayfinder-recovery-codes.txt">
          Download codes
        </a>
        <button type="button" className="primary" onClick={onDone}>
          I have saved these
        </button>
      </div>
    </section>
  );
}
