import { ComingSoon } from "../components/ComingSoon";

export function AgentsPage() {
  return <ComingSoon section="agents" />;
}
