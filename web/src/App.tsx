// Routes. Every screen but sign-in is its own chunk, loaded when first
// visited, so the first page a person opens stays small.

import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { useSession } from "./session";
import { Layout } from "./components/Layout";
import { Loading } from "./components/ui";
import { SignIn } from "./routes/SignIn";

const Chat = lazy(() => import("./routes/Chat"));
const Knowledge = lazy(() => import("./routes/Knowledge"));
const CollectionPage = lazy(() => import("./routes/Collection"));
const CoachSettings = lazy(() => import("./routes/CoachSettings"));
const OrgAdmin = lazy(() => import("./routes/OrgAdmin"));
const Profile = lazy(() => import("./routes/Profile"));
const Setup = lazy(() => import("./routes/Setup"));
const Invite = lazy(() => import("./routes/Invite"));
const Shared = lazy(() => import("./routes/Shared"));
const Welcome = lazy(() => import("./routes/Welcome"));
const NotFound = lazy(() => import("./routes/NotFound"));
const Learning = lazy(() => import("./routes/Learning"));
const Practice = lazy(() => import("./routes/Practice"));
const Learners = lazy(() => import("./routes/Learners"));
const LearnerDetail = lazy(() => import("./routes/LearnerDetail"));
const LearnerConversation = lazy(() => import("./routes/LearnerConversation"));
const Programs = lazy(() => import("./routes/Programs"));
const ProgramBuilder = lazy(() => import("./routes/ProgramBuilder"));
const QuestionReview = lazy(() => import("./routes/QuestionReview"));
const Team = lazy(() => import("./routes/Team"));
const Progress = lazy(() => import("./routes/Progress"));
const Insights = lazy(() => import("./routes/Insights"));
const Sequences = lazy(() => import("./routes/Sequences"));
const Interviews = lazy(() => import("./routes/Interviews"));
const Interview = lazy(() => import("./routes/Interview"));
// Its own chunk, with the QR code library: nobody signing in loads it.
const TwoStepSetup = lazy(() => import("./components/mfa/TwoStepSetup"));
// Where apps send people to be signed in as them; stands alone like the sign-in page.
const OAuthConsent = lazy(() => import("./components/oauth/ConsentPage"));

function RequireSignIn({ children }: { children: ReactNode }) {
  const { me, loading, org, mfaSetupNeeded } = useSession();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!me) {
    const next = location.pathname + location.search;
    return <Navigate to={`/signin${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} replace />;
  }
  // Required and not set up: setting up two-step sign-in is all the server lets this person do.
  if (mfaSetupNeeded) {
    const next = location.pathname + location.search;
    return <Navigate to={`/security/setup${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} replace />;
  }
  if (!org && location.pathname !== "/welcome" && location.pathname !== "/profile") {
    return <Navigate to="/welcome" replace />;
  }
  return <>{children}</>;
}

/** Admins and coaches: the question review queue, sequences and interview flows. */
function RequireCoachOrAdmin({ children }: { children: ReactNode }) {
  const { isAdmin, role } = useSession();
  if (!isAdmin && role !== "coach") return <Navigate to="/chat" replace />;
  return <>{children}</>;
}

function RequireAdmin({ children }: { children: ReactNode }) {
  const { isAdmin } = useSession();
  if (!isAdmin) return <Navigate to="/chat" replace />;
  return <>{children}</>;
}

export function App() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/signin" element={<SignIn />} />
        <Route path="/setup" element={<Setup />} />
        <Route path="/invite" element={<Invite />} />
        <Route path="/invite/:token" element={<Invite />} />
        <Route path="/shared/:token" element={<Shared />} />
        <Route path="/security/setup" element={<TwoStepSetup />} />
        <Route path="/oauth/authorize" element={<OAuthConsent />} />
        <Route
          element={
            <RequireSignIn>
              <Layout />
            </RequireSignIn>
          }
        >
          <Route index element={<Navigate to="/chat" replace />} />
          <Route path="/chat" element={<Chat />} />
          <Route path="/chat/:conversationId" element={<Chat />} />
          <Route path="/welcome" element={<Welcome />} />
          <Route path="/profile" element={<Profile />} />
          <Route
            path="/knowledge"
            element={
              <RequireAdmin>
                <Knowledge />
              </RequireAdmin>
            }
          />
          <Route
            path="/knowledge/:collectionId"
            element={
              <RequireAdmin>
                <CollectionPage />
              </RequireAdmin>
            }
          />
          <Route
            path="/coach"
            element={
              <RequireAdmin>
                <CoachSettings />
              </RequireAdmin>
            }
          />
          <Route
            path="/admin/*"
            element={
              <RequireAdmin>
                <OrgAdmin />
              </RequireAdmin>
            }
          />
          <Route path="/learning" element={<Learning />} />
          <Route path="/learning/practice/:sessionId" element={<Practice />} />
          <Route path="/learners" element={<Learners />} />
          <Route path="/learners/:personId" element={<LearnerDetail />} />
          <Route path="/learners/:personId/conversations/:conversationId" element={<LearnerConversation />} />
          <Route path="/learners/:personId/interviews/:interviewId" element={<Interview />} />
          <Route path="/interviews" element={<Interviews />} />
          <Route path="/interviews/:interviewId" element={<Interview />} />
          <Route
            path="/interviews/flows/:flowId"
            element={
              <RequireCoachOrAdmin>
                <Interviews />
              </RequireCoachOrAdmin>
            }
          />
          <Route path="/team" element={<Team />} />
          <Route path="/progress" element={<Progress />} />
          <Route path="/progress/:personId" element={<Progress />} />
          <Route
            path="/insights/*"
            element={
              <RequireAdmin>
                <Insights />
              </RequireAdmin>
            }
          />
          <Route
            path="/programs"
            element={
              <RequireAdmin>
                <Programs />
              </RequireAdmin>
            }
          />
          <Route
            path="/programs/:programId"
            element={
              <RequireAdmin>
                <ProgramBuilder />
              </RequireAdmin>
            }
          />
          <Route
            path="/sequences"
            element={
              <RequireCoachOrAdmin>
                <Sequences />
              </RequireCoachOrAdmin>
            }
          />
          <Route
            path="/sequences/:sequenceId"
            element={
              <RequireCoachOrAdmin>
                <Sequences />
              </RequireCoachOrAdmin>
            }
          />
          <Route
            path="/questions"
            element={
              <RequireCoachOrAdmin>
                <QuestionReview />
              </RequireCoachOrAdmin>
            }
          />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
