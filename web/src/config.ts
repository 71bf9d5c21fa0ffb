/** Runtime configuration, read from `/config.json` at start-up (never baked into the build). */

export interface AuthConfig {
  region: string;
  userPoolId: string;
  clientId: string;
  /** Cognito managed-login domain, e.g. `my-app.auth.eu-west-1.amazoncognito.com` (with or without https://). */
  domain: string;
  redirectUri: string;
  logoutUri: string;
  scopes: string[];
  /** Which Cognito token the API expects as `Authorization: Bearer`: the ID token (default) or the access token. */
  tokenUse?: "id" | "access";
}

export interface AppConfig {
  apiBaseUrl: string;
  auth: AuthConfig | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function requireString(obj: Record<string, unknown>, key: string): string {
  const value = obj[key];
  if (typeof value !== "string" || value.length === 0) {
    throw new ConfigError(`config.json: auth.${key} must be a non-empty string`);
  }
  return value;
}

/** Validate the parsed `config.json`; errors name the key. */
export function parseConfig(raw: unknown): AppConfig {
  if (typeof raw !== "object" || raw === null) throw new ConfigError("config.json: expected a JSON object");
  const obj = raw as Record<string, unknown>;
  const apiBaseUrl = typeof obj.apiBaseUrl === "string" && obj.apiBaseUrl ? obj.apiBaseUrl : "/v1";
  if (obj.auth === null || obj.auth === undefined) return { apiBaseUrl: apiBaseUrl.replace(/\/+$/, ""), auth: null };
  if (typeof obj.auth !== "object") throw new ConfigError("config.json: auth must be null or an object");
  const a = obj.auth as Record<string, unknown>;
  const scopes = Array.isArray(a.scopes) && a.scopes.every((s) => typeof s === "string") ? (a.scopes as string[]) : ["openid", "email"];
  const tokenUse = a.tokenUse === "access" ? "access" : "id";
  const domain = requireString(a, "domain");
  return {
    apiBaseUrl: apiBaseUrl.replace(/\/+$/, ""),
    auth: {
      region: requireString(a, "region"),
      userPoolId: requireString(a, "userPoolId"),
      clientId: requireString(a, "clientId"),
      domain: /^https:\/\//.test(domain) ? domain.replace(/\/+$/, "") : `https://${domain.replace(/\/+$/, "")}`,
      redirectUri: requireString(a, "redirectUri"),
      logoutUri: requireString(a, "logoutUri"),
      scopes,
      tokenUse,
    },
  };
}

export async function loadConfig(fetchFn: typeof fetch = fetch): Promise<AppConfig> {
  const response = await fetchFn("/config.json", { cache: "no-store" });
  if (!response.ok) throw new ConfigError(`Could not load /config.json (HTTP ${response.status}).`);
  return parseConfig(await response.json());
}
