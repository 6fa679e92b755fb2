import { ComingSoon } from "../components/ComingSoon";

export function ChatPage() {
  return <ComingSoon section="chat" />;
}
