import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import en from "../i18n/en.json";
import zhCN from "../i18n/zh-CN.json";

/**
 * The web app's languages: the console's words (its chat components are reused here) in zh-CN and English.
 * A visitor gets their browser's language (or `?lang=` from the widget's snippet) unless they chose another,
 * which is remembered apart from the console's choice.
 */
export const LANGUAGES = ["zh-CN", "en"] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = "hezi.webapp.lang";

function pick(value: string | null | undefined): Language | null {
  if (!value) return null;
  const v = value.toLowerCase();
  if (v.startsWith("zh")) return "zh-CN";
  if (v.startsWith("en")) return "en";
  return null;
}

function initialLanguage(): Language {
  let stored: string | null = null;
  try {
    stored = window.localStorage.getItem(STORAGE_KEY);
  } catch {
    /* storage may be blocked in a frame */
  }
  const asked = new URLSearchParams(window.location.search).get("lang");
  for (const candidate of [stored, asked, ...(navigator.languages ?? []), navigator.language]) {
    const lang = pick(candidate);
    if (lang) return lang;
  }
  return "en";
}

export function currentLanguage(): Language {
  return pick(i18n.language) ?? "en";
}

export async function changeLanguage(lang: Language): Promise<void> {
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* not remembered */
  }
  await i18n.changeLanguage(lang);
}

i18n.on("languageChanged", (lng) => {
  document.documentElement.lang = lng;
});

void i18n.use(initReactI18next).init({
  resources: { "zh-CN": { translation: zhCN }, en: { translation: en } },
  lng: initialLanguage(),
  fallbackLng: "en",
  supportedLngs: [...LANGUAGES],
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18n.language;

export default i18n;
