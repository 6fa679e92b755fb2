import { Button, Flex, Input, Popover } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { AgentAvatar } from "./AgentAvatar";

const EMOJI = [
  "🤖", "💬", "📚", "📄", "🧭", "🧑‍💼", "🎧", "⚖️", "🏛️", "🌐",
  "🔤", "📊", "🧮", "🐍", "🔍", "🧠", "💡", "📝", "📅", "🛠️",
  "🏥", "🎓", "🏦", "🛒", "🚚", "🔒", "⚙️", "📈", "🗂️", "✨",
];

/** An agent's icon: an emoji from the grid, or any short text typed in. */
export function IconPicker({ value, onChange, testId = "agent-icon" }: { value?: string; onChange?: (v: string) => void; testId?: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <Popover
      open={open}
      onOpenChange={setOpen}
      trigger="click"
      title={t("agents.iconPick")}
      content={
        <Flex vertical gap={8} style={{ width: 260 }}>
          <Flex wrap gap={4}>
            {EMOJI.map((e) => (
              <Button
                key={e}
                type={value === e ? "primary" : "text"}
                ghost={value === e}
                style={{ width: 36, height: 36, padding: 0, fontSize: 20 }}
                onClick={() => {
                  onChange?.(e);
                  setOpen(false);
                }}
                data-testid={`${testId}-option`}
              >
                {e}
              </Button>
            ))}
          </Flex>
          <Input
            value={value ?? ""}
            maxLength={16}
            placeholder={t("agents.iconCustom")}
            onChange={(e) => onChange?.(e.target.value)}
            data-testid={`${testId}-input`}
          />
        </Flex>
      }
    >
      <Button style={{ width: 48, height: 48, padding: 0 }} aria-label={t("agents.iconPick")} data-testid={testId}>
        <AgentAvatar icon={value} size={40} />
      </Button>
    </Popover>
  );
}
