// The sign-in page's single sign-on: why a sign-in through an organisation
// came back refused (the `sso_error` the server's callback adds), and the
// organisation's sign-in links: those of the organisation the link named
// (`?org=<slug>`) straight away, and those of the organisations that accept the
// e-mail address typed above, looked up once it reads as one. A link is a full
// page navigation to the provider, coming back to where the person was going.
// Part of the sign-in page's first chunk, so it imports only the small API module.

import { useEffect, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { sso, ssoKeys, startHref, type SsoChoice } from "../../api/sso";
import "./sso.css";

const SSO_ERRORS: Record<string, string> = {
  sso_refused:
    "Your organisation does not let this account sign in. Choose the account your organisation gave you, or ask its administrator.",
  sso_rejected:
    "Your organisation's sign-in did not go through: the identity provider refused, or its answer could not be accepted. Try again; if it keeps happening, tell your administrator.",
  sso_state_invalid:
    "That sign-in link has expired, or was started in another browser. Start again from this page.",
  sso_provider_disabled: "That way of signing in has been switched off by your organisation. Ask its administrator.",
  sso_provider_unavailable:
    "Your organisation's identity provider could not be reached. Try again in a moment.",
  sso_required:
    "Your organisation signs its members in itself, not with a password here: use your organisation's sign-in below.",
};

/** What to say for an `sso_error` code (any code, even one this page does not know). */
export function ssoErrorMessage(code: string): string {
  return (
    SSO_ERRORS[code] ?? "Signing in through your organisation did not work. Try again, or ask your administrator."
  );
}

/** The refusal the server's callback sent the browser back with, in words. */
export function SsoErrorNotice({ code }: { code: string | null }) {
  if (!code) return null;
  return (
    <div className="error-note" role="alert">
      <span>{ssoErrorMessage(code)}</span>
    </div>
  );
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

/** The address to look providers up for, once the typing has paused on something that reads as one. */
function useSettledAddress(email: string, now: boolean): string {
  const [settled, setSettled] = useState("");
  useEffect(() => {
    const address = email.trim().toLowerCase();
    if (!EMAIL.test(address)) {
      setSettled("");
      return;
    }
    if (now) {
      setSettled(address);
      return;
    }
    const timer = setTimeout(() => setSettled(address), 350);
    return () => clearTimeout(timer);
  }, [email, now]);
  return settled;
}

/**
 * "Sign in with your organisation": the sign-in links for the organisation in the address
 * (`orgSlug`) and for the typed `email`. `required` says the password was refused because the
 * organisation signs its members in itself: the links are then what to use, and take the focus.
 */
export function OrganisationSignIn({
  email,
  orgSlug,
  returnTo,
  required,
}: {
  email: string;
  orgSlug: string | null;
  returnTo: string | null;
  required: boolean;
}) {
  const address = useSettledAddress(email, required);
  const forOrg = useQuery({
    queryKey: ssoKeys.choicesForOrg(orgSlug ?? ""),
    queryFn: () => sso.choicesForOrg(orgSlug ?? ""),
    enabled: !!orgSlug,
    staleTime: 60_000,
  });
  const forEmail = useQuery({
    queryKey: ssoKeys.choicesForEmail(address),
    queryFn: () => sso.choicesForEmail(address),
    enabled: address !== "",
    staleTime: 60_000,
    retry: false,
  });
  const choices: SsoChoice[] = [];
  for (const choice of [...(forOrg.data ?? []), ...(address ? (forEmail.data ?? []) : [])]) {
    if (!choices.some((c) => c.provider_id === choice.provider_id)) choices.push(choice);
  }
  const list = useRef<HTMLUListElement>(null);
  const firstChoice = choices[0]?.provider_id;

  // Refused a password, the person's way in is their organisation's: its first link takes the focus.
  useEffect(() => {
    if (required && firstChoice) list.current?.querySelector("a")?.focus();
  }, [required, firstChoice]);

  const looking = (!!orgSlug && forOrg.isPending) || (address !== "" && forEmail.isFetching);
  // A malformed address is refused (422) as it is typed: that is not worth a word.
  const failed = [forOrg.error, forEmail.error].find((e) => e && !(e instanceof ApiError && e.status === 422));
  const domain = address.split("@")[1];

  let status = "";
  if (choices.length > 0) {
    status = choices.length === 1 ? "Your organisation's sign-in:" : `${choices.length} ways to sign in through your organisation:`;
  } else if (looking) {
    status = "Looking for your organisation's sign-in…";
  } else if (required && address) {
    status = `No organisation sign-in was found for ${domain}. Ask your organisation's administrator how to sign in.`;
  } else if (orgSlug && forOrg.data) {
    status = "No sign-in of its own was found for this organisation. Use your email and password.";
  }

  return (
    <section className="sso-signin" aria-labelledby="sso-signin-heading">
      <h2 id="sso-signin-heading">Sign in with your organisation</h2>
      {choices.length === 0 && !required && (
        <p className="hint">
          Does your school or workplace sign you in? Type your email above and its sign-in appears here.
        </p>
      )}
      <p role="status" className="sso-signin-status">
        {status}
      </p>
      {failed && (
        <div className="error-note" role="alert">
          <span>Your organisation's sign-in could not be looked up. Check your connection and try again.</span>
        </div>
      )}
      {choices.length > 0 && (
        <ul className="sso-choices" aria-label="Organisation sign-in" ref={list}>
          {choices.map((choice) => (
            <li key={choice.provider_id}>
              <a className="button sso-choice" href={startHref(choice, returnTo)}>
                <span className="sso-choice-name">Sign in with {choice.name}</span>{" "}
                <span className="sso-choice-org">{choice.org_name}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
