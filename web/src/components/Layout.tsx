// The frame around signed-in screens: the name, the organisation switcher,
// the navigation (only what the person's role can use), the notifications
// bell and sign-out.

import { Suspense, useLayoutEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router-dom";
import { useSession } from "../session";
import { roleLabel } from "../lib/format";
import { Loading } from "./ui";
import { NotificationBell } from "./NotificationBell";

/** More links than this (an administrator's) do not fit beside the name and account on a desktop. */
const LONG_NAV = 10;

export function Layout() {
  const session = useSession();
  const { me, orgs, org, isAdmin, role } = session;
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);

  const links = [
    { to: "/chat", label: "Chat", show: !!org },
    { to: "/learning", label: "My learning", show: !!org },
    { to: "/progress", label: "My progress", show: !!org },
    { to: "/learners", label: "Learners", show: !!org && (isAdmin || role === "coach" || role === "parent" || role === "manager") },
    // Admins provision coaches and managers follow them; a coach finds their own onboarding here.
    { to: "/team", label: role === "coach" ? "Onboarding" : "Team", show: !!org && (isAdmin || role === "manager" || role === "coach") },
    { to: "/insights", label: "Insights", show: !!org && isAdmin },
    { to: "/programs", label: "Programs", show: !!org && isAdmin },
    { to: "/sequences", label: "Sequences", show: !!org && (isAdmin || role === "coach") },
    // Coaches and admins write interview flows and send them; learners find theirs on My learning.
    { to: "/interviews", label: "Interviews", show: !!org && (isAdmin || role === "coach") },
    { to: "/questions", label: "Questions", show: !!org && (isAdmin || role === "coach") },
    { to: "/knowledge", label: "Knowledge base", show: !!org && isAdmin },
    { to: "/coach", label: "Coach settings", show: !!org && isAdmin },
    { to: "/admin", label: "Organisation", show: !!org && isAdmin },
    { to: "/profile", label: "Profile", show: true },
  ].filter((l) => l.show);
  // An administrator's many links take a row of their own below the name and account, wrapping there.
  const longNav = links.length > LONG_NAV;
  // Full-height screens (the chat, a coach's live view) fill the window below the bar, however
  // many rows it takes: its height is kept in `--topbar-height`.
  const topbar = useRef<HTMLElement>(null);
  useLayoutEffect(() => {
    const bar = topbar.current;
    if (!bar) return;
    const root = document.documentElement;
    const measure = () => root.style.setProperty("--topbar-height", `${bar.offsetHeight}px`);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(bar);
    return () => {
      observer.disconnect();
      root.style.removeProperty("--topbar-height");
    };
  }, []);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header
        ref={topbar}
        className={`topbar ${menuOpen ? "menu-open" : ""} ${org ? "with-bell" : ""} ${longNav ? "long-nav" : ""}`}
      >
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Wayfinder
        </div>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((v) => !v)}
        >
          Menu
        </button>
        {org && (
          <NotificationBell key={org.organisation.id} org={org.organisation.id} alertsLink={isAdmin} />
        )}
        <nav id="main-nav" aria-label="Main" className={menuOpen ? "open" : ""} key={location.pathname}>
          <ul>
            {links.map((l) => (
              <li key={l.to}>
                <NavLink to={l.to} onClick={() => setMenuOpen(false)}>
                  {l.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          {orgs.length > 1 && org && (
            <label className="org-switch">
              <span className="visually-hidden">Organisation</span>
              <select
                value={org.organisation.id}
                onChange={(e) => {
                  session.selectOrg(e.target.value);
                  navigate("/chat");
                }}
              >
                {orgs.map((o) => (
                  <option key={o.organisation.id} value={o.organisation.id}>
                    {o.organisation.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {orgs.length === 1 && org && <span className="org-name">{org.organisation.name}</span>}
          <span className="who" title={me?.person.email}>
            {me?.person.display_name}
            {org && <span className="role-badge">{roleLabel(role)}</span>}
          </span>
          <button
            type="button"
            onClick={async () => {
              await session.signOut();
              navigate("/signin");
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
