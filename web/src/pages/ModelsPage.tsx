import { ComingSoon } from "../components/ComingSoon";

export function ModelsPage() {
  return <ComingSoon section="models" />;
}
