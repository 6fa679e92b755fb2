import { lazy, Suspense, useEffect, type ReactNode } from "react";
import { Card } from "antd";
import { Navigate, Outlet, Route, Routes, useNavigate } from "react-router";
import { setUnauthorizedHandler } from "./api/client";
import { ConsoleLayout } from "./components/ConsoleLayout";
import { RequireAuth } from "./components/RequireAuth";
import { AgentsPage } from "./pages/agents/AgentsPage";
import { AppDetailPage } from "./pages/apps/AppDetailPage";
import { AppsPage } from "./pages/apps/AppsPage";
import { DashboardPage } from "./pages/DashboardPage";
import { KnowledgeBasePage } from "./pages/knowledge/KnowledgeBasePage";
import { KnowledgeListPage } from "./pages/knowledge/KnowledgeListPage";
import { LoginPage } from "./pages/LoginPage";
import { ModelListPage } from "./pages/models/ModelListPage";
import { ModelsPage } from "./pages/models/ModelsPage";
import { PlaygroundPage } from "./pages/models/PlaygroundPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ApiKeysPage } from "./pages/settings/ApiKeysPage";
import { AuditLogPage } from "./pages/settings/AuditLogPage";
import { MembersPage } from "./pages/settings/MembersPage";
import { ProfilePage } from "./pages/settings/ProfilePage";
import { SettingsPage } from "./pages/settings/SettingsPage";
import { UsersPage } from "./pages/settings/UsersPage";
import { WorkspacesPage } from "./pages/settings/WorkspacesPage";

// The chat and the builder carry @ant-design/x, Markdown and KaTeX: chunks of their own, fetched when first opened.
const ChatPage = lazy(() => import("./pages/chat/ChatPage").then((m) => ({ default: m.ChatPage })));
const AgentBuilderPage = lazy(() => import("./pages/agents/AgentBuilderPage").then((m) => ({ default: m.AgentBuilderPage })));

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Card loading />}>{children}</Suspense>;
}

/** Sends an expired or missing session to /login, remembering where the user was. */
function SessionGuard() {
  const navigate = useNavigate();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (window.location.pathname === "/login") return;
      const next = window.location.pathname + window.location.search;
      navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
    });
  }, [navigate]);
  return <Outlet />;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<SessionGuard />}>
        <Route path="/login" element={<LoginPage />} />
        <Route
          element={
            <RequireAuth>
              <ConsoleLayout />
            </RequireAuth>
          }
        >
          <Route index element={<Navigate to="/dashboard" replace />} />
          <Route path="dashboard" element={<DashboardPage />} />
          <Route path="models" element={<ModelsPage />}>
            <Route index element={<ModelListPage />} />
            <Route path="playground" element={<PlaygroundPage />} />
          </Route>
          <Route path="knowledge" element={<KnowledgeListPage />} />
          <Route path="knowledge/:kbId" element={<KnowledgeBasePage />} />
          <Route path="agents" element={<AgentsPage />} />
          <Route path="agents/tools" element={<AgentsPage />} />
          <Route
            path="agents/:agentId"
            element={
              <Lazy>
                <AgentBuilderPage />
              </Lazy>
            }
          />
          <Route path="apps" element={<AppsPage />} />
          <Route path="apps/:appId/:tab?" element={<AppDetailPage />} />
          <Route
            path="chat/:conversationId?"
            element={
              <Lazy>
                <ChatPage />
              </Lazy>
            }
          />
          <Route path="settings" element={<SettingsPage />}>
            <Route index element={<Navigate to="profile" replace />} />
            <Route path="profile" element={<ProfilePage />} />
            <Route path="users" element={<UsersPage />} />
            <Route path="workspaces" element={<WorkspacesPage />} />
            <Route path="members" element={<MembersPage />} />
            <Route path="api-keys" element={<ApiKeysPage />} />
            <Route path="audit-log" element={<AuditLogPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}
