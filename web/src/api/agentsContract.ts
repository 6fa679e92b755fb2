/**
 * Compile-time checks that the shapes written out in `agents.ts` agree with the server's OpenAPI schema
 * (`npm run gen` after `hezi openapi`): `tsc` fails here when one side changes without the other.
 */
import type {
  AgentCreate,
  AgentPublic,
  AgentTemplate,
  AgentUpdate,
  AgentVersionPublic,
  ChatFile,
  ChatRequest,
  ConversationPublic,
  MessagePublic,
  ToolInfo,
  ToolProviderCreate,
  ToolProviderPublic,
} from "./agents";
import type { Schemas } from "./client";

type Check<T extends true> = T;
/** What we send is what the server takes. */
type Sends<Mine, Theirs> = Mine extends Theirs ? true : false;
/** What the server answers fits what we read. (Configs and the dicts of messages are the server's `dict`s.) */
type Reads<Mine, Theirs> = Theirs extends Mine ? true : false;

export type AgentsContract = [
  Check<Sends<AgentCreate, Schemas["AgentCreate"]>>,
  Check<Sends<AgentUpdate, Schemas["AgentUpdate"]>>,
  Check<Sends<ChatRequest, Schemas["ChatRequest"]>>,
  Check<Sends<ToolProviderCreate, Schemas["ToolProviderCreate"]>>,
  Check<Reads<Omit<AgentPublic, "config">, Omit<Schemas["AgentPublic"], "config">>>,
  Check<Reads<Omit<AgentVersionPublic, "config">, Omit<Schemas["AgentVersionPublic"], "config">>>,
  Check<Reads<Omit<AgentTemplate, "config">, Omit<Schemas["TemplatePublic"], "config">>>,
  Check<Reads<ConversationPublic, Schemas["ConversationPublic"]>>,
  Check<Reads<ToolInfo, Schemas["ToolInfo"]>>,
  Check<Reads<ToolProviderPublic, Schemas["ToolProviderPublic"]>>,
  Check<Reads<ChatFile, Schemas["ChatFilePublic"]>>,
  // A message's status (a chatflow's answer can be "paused", waiting on its form) and the run that gave it.
  Check<Reads<Pick<MessagePublic, "status" | "workflow_run_id">, Pick<Schemas["MessagePublic"], "status" | "workflow_run_id">>>,
];
