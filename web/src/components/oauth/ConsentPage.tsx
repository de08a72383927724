// The consent page (`/oauth/authorize`), where an app sends a person to be
// signed in as them (OAuth 2.1 with PKCE). It passes the request on to the
// server untouched and shows what the server answers: the app's name, what
// allowing it means, and where the browser goes afterwards, with "Allow" and
// "Deny"; either answer sends the browser back to the app. A request the
// server finds wrong but whose app and return address it knows goes straight
// back to the app with the error; one naming an unknown app, or an address the
// app did not register, is only explained here — sending the browser there
// could hand the answer to someone else. Signed out, the person signs in first
// and comes back to the same request. Stands alone, outside the main layout.

import { useCallback, useEffect, useId, useRef, useState } from "react";
import { Link, Navigate, useLocation } from "react-router-dom";
import { useMutation, useQuery } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import {
  authorizationRequest,
  oauth,
  oauthKeys,
  type AuthorizationDecision,
  type AuthorizationRequest,
  type OAuthClient,
} from "../../api/oauth";
import { useSession } from "../../session";
import { ErrorNote, Loading } from "../ui";
import "./oauth.css";

/** Where the browser goes after the answer, as a person recognises it: the host, or an app's own scheme. */
function destinationOf(redirectUri: string): string {
  try {
    const url = new URL(redirectUri);
    if (url.protocol === "http:" || url.protocol === "https:") return url.host;
    return url.protocol.replace(/:$/, "");
  } catch {
    return redirectUri;
  }
}

/** Loopback addresses are served by an app on this very device. */
function onThisDevice(redirectUri: string): boolean {
  try {
    const { protocol, hostname } = new URL(redirectUri);
    return protocol === "http:" && (hostname === "127.0.0.1" || hostname === "[::1]");
  } catch {
    return false;
  }
}

/** What the scope lets the app do, in words (`api` is the only one there is). */
const SCOPE_MEANS: Record<string, string> = {
  api: "Read and change what you can in Wayfinder, as you: your conversations and learning, and whatever your role lets you manage.",
};

/** Sends the browser to the app, once (a second render must not navigate again). */
function useLeaveFor() {
  const left = useRef(false);
  return useCallback((address: string) => {
    if (left.current) return;
    left.current = true;
    window.location.assign(address);
  }, []);
}

function Consent({
  client,
  scope,
  request,
}: {
  client: OAuthClient;
  scope: string;
  request: AuthorizationRequest;
}) {
  const ids = useId();
  const session = useSession();
  const leaveFor = useLeaveFor();
  const [answered, setAnswered] = useState<AuthorizationDecision | null>(null);
  const answer = useMutation({
    mutationFn: (decision: AuthorizationDecision) => oauth.answerAuthorization(request, decision),
    onMutate: (decision) => setAnswered(decision),
    onSuccess: ({ redirect_to }) => leaveFor(redirect_to),
    onError: () => setAnswered(null),
  });
  const redirectUri = request.redirect_uri ?? "";
  const destination = destinationOf(redirectUri);
  const busy = answer.isPending || answer.isSuccess;
  const scopes = scope.split(" ").filter(Boolean);

  // Signed out, the page sends whoever is here to sign in, and back to this request.
  const switchAccount = () => void session.signOut();

  return (
    <>
      <h1>{client.name} wants to use Wayfinder as you</h1>
      <p className="muted small">
        Signed in as {session.me?.person.display_name} ({session.me?.person.email}).{" "}
        <button type="button" className="link-button" onClick={switchAccount} disabled={busy}>
          Not you?
        </button>
      </p>
      <section aria-labelledby={`${ids}-means`} className="oauth-consent-details">
        <h2 id={`${ids}-means`}>If you allow it, {client.name} can</h2>
        <ul>
          {scopes.map((s) => (
            <li key={s}>{SCOPE_MEANS[s] ?? s}</li>
          ))}
          <li>Stay signed in as you until you sign it out, from your profile under “Apps signed in as you”.</li>
        </ul>
        <p>It never sees your password.</p>
      </section>
      <dl className="oauth-consent-destination">
        <dt>You go back to</dt>
        <dd>
          <span className="oauth-host">{destination}</span>
          {onThisDevice(redirectUri) && <span className="muted"> (an app on this device)</span>}
        </dd>
      </dl>
      <ErrorNote error={answer.error} />
      <p role="status" className="oauth-consent-status">
        {answer.isSuccess && `Returning to ${client.name}…`}
      </p>
      <div className="actions oauth-consent-actions" role="group" aria-label={`Answer ${client.name}`}>
        <button type="button" onClick={() => answer.mutate("deny")} disabled={busy}>
          {answered === "deny" && busy ? "Denying…" : "Deny"}
        </button>
        <button type="button" className="primary" onClick={() => answer.mutate("allow")} disabled={busy}>
          {answered === "allow" && busy ? "Allowing…" : "Allow"}
        </button>
      </div>
    </>
  );
}

/** The request refused before anyone is asked: an unknown app, or an address it did not register. */
function UnknownApp({ error }: { error: ApiError }) {
  return (
    <>
      <h1>This app can't sign in with Wayfinder</h1>
      <div className="error-note" role="alert">
        <span>
          The request that brought you here is not valid: {error.message.replace(/\.$/, "")}. The app that sent you is
          not registered with this Wayfinder, or asked to return somewhere it is not allowed to.
        </span>
      </div>
      <p>Nothing was shared with it. If you expected this to work, tell the app's makers or your Wayfinder's operator.</p>
      <p>
        <Link to="/">Go to Wayfinder</Link>
      </p>
    </>
  );
}

function Authorization({ search }: { search: string }) {
  const request = authorizationRequest(new URLSearchParams(search));
  const leaveFor = useLeaveFor();
  const check = useQuery({
    queryKey: oauthKeys.authorization(search),
    queryFn: () => oauth.checkAuthorization(request),
    retry: false,
    staleTime: Infinity,
  });
  const redirectTo = check.data?.step === "redirect" ? check.data.redirect_to : null;

  // A request the server sends back to the app (say, without PKCE): the app hears why.
  useEffect(() => {
    if (redirectTo) leaveFor(redirectTo);
  }, [redirectTo, leaveFor]);

  if (check.error instanceof ApiError && check.error.code === "oauth_client_invalid") {
    return <UnknownApp error={check.error} />;
  }
  if (check.error) {
    return (
      <>
        <h1>Sign in an app</h1>
        <ErrorNote error={check.error} onRetry={() => check.refetch()} />
      </>
    );
  }
  if (check.isPending) return <Loading label="Checking the request…" />;
  if (redirectTo || !check.data.client) return <Loading label="Returning to the app…" />;
  return <Consent client={check.data.client} scope={check.data.scope ?? "api"} request={request} />;
}

export default function ConsentPage() {
  const session = useSession();
  const location = useLocation();
  if (session.loading) return <Loading />;
  const here = location.pathname + location.search;
  if (!session.me) return <Navigate to={`/signin?next=${encodeURIComponent(here)}`} replace />;
  if (session.mfaSetupNeeded) return <Navigate to={`/security/setup?next=${encodeURIComponent(here)}`} replace />;
  return (
    <main className="auth-page" id="main">
      <div className="auth-card oauth-consent-card">
        <p className="oauth-brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{" "}
          Wayfinder
        </p>
        <Authorization key={location.search} search={location.search} />
      </div>
    </main>
  );
}
