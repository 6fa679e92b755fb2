import { GlobalOutlined } from "@ant-design/icons";
import { Button, Dropdown } from "antd";
import { useTranslation } from "react-i18next";
import { changeLanguage, currentLanguage, LANGUAGES } from "../i18n";

// Each language is named in itself, so anyone can find their own.
const NAMES: Record<(typeof LANGUAGES)[number], string> = { "zh-CN": "简体中文", en: "English" };

export function LanguageSwitch() {
  const { t } = useTranslation(); // also re-renders this on a language change
  const lang = currentLanguage();
  return (
    <Dropdown
      trigger={["click"]}
      menu={{
        selectable: true,
        selectedKeys: [lang],
        items: LANGUAGES.map((l) => ({
          key: l,
          label: <span data-testid={`lang-option-${l}`}>{NAMES[l]}</span>,
        })),
        onClick: ({ key }) => void changeLanguage(key as (typeof LANGUAGES)[number]),
      }}
    >
      <Button type="text" icon={<GlobalOutlined />} data-testid="lang-switch" aria-label={t("header.language")}>
        <span className="hezi-hide-narrow">{NAMES[lang]}</span>
      </Button>
    </Dropdown>
  );
}
