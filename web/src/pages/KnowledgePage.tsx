import { ComingSoon } from "../components/ComingSoon";

export function KnowledgePage() {
  return <ComingSoon section="knowledge" />;
}
