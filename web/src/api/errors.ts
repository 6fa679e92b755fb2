import type { TFunction } from "i18next";
import { ApiError } from "./client";

interface ValidationIssue {
  loc?: unknown[];
  msg?: string;
}

/** A sentence for the user: the server's own message, localized where the code is generic. */
export function errorMessage(err: unknown, t: TFunction): string {
  if (err instanceof ApiError) {
    // Generic failures read better in the user's language; specific ones keep the server's words.
    if (err.code === "invalid_credentials") return t("errors.invalidCredentials");
    if (err.code === "stream_interrupted") return t("errors.streamInterrupted");
    if (err.code === "too_many_attempts") {
      return err.retryAfter !== null
        ? t("errors.tooManyAttemptsRetry", { seconds: err.retryAfter })
        : err.message;
    }
    if (err.code === "validation_error" && Array.isArray(err.details) && err.details.length > 0) {
      const issues = (err.details as ValidationIssue[]).map((d) => {
        const field = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body").join(".") : "";
        return field ? `${field}: ${d.msg ?? ""}` : (d.msg ?? "");
      });
      return `${err.message} (${issues.join("; ")})`;
    }
    return err.message;
  }
  if (err instanceof TypeError) return t("errors.network");
  return err instanceof Error ? err.message : String(err);
}
