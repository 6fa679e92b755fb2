import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "./i18n";
import "../styles.css";
import "./webapp.css";
import { WebAppRoot } from "./WebApp";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <WebAppRoot />
  </StrictMode>,
);
