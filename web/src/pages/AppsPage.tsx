import { ComingSoon } from "../components/ComingSoon";

export function AppsPage() {
  return <ComingSoon section="apps" />;
}
