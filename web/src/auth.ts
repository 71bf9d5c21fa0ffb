/**
 * Cognito sign-in through the managed login (hosted UI): OAuth 2.0 authorization code + PKCE.
 *
 * Hand-written on purpose (about 150 lines over WebCrypto + fetch): the flow is the three documented
 * Cognito endpoints (/oauth2/authorize, /oauth2/token, /logout) and a general OIDC client library
 * (oidc-client-ts, ~50 kB) would add discovery, iframes and silent renew we do not use.
 * Tokens live in sessionStorage: they end with the tab, and nothing is shared with other tabs or sites.
 */
import type { AuthConfig } from "./config";

export interface Tokens {
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthError";
  }
}

const TOKENS_KEY = "chat.auth.tokens";
const PENDING_KEY = "chat.auth.pending";
/** Refresh this long before expiry so a request never leaves with a token about to lapse. */
const REFRESH_MARGIN_MS = 60_000;

export function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomVerifier(bytes = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** RFC 7636 S256 code challenge of a verifier. */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export class CognitoAuth {
  private refreshing: Promise<Tokens | null> | null = null;

  constructor(
    private readonly config: AuthConfig,
    private readonly storage: Storage = sessionStorage,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
    private readonly now: () => number = Date.now,
  ) {}

  /** The authorize URL for a new sign-in; remembers state + verifier for the callback. */
  async authorizeUrl(returnTo = "/"): Promise<string> {
    const state = randomVerifier(16);
    const verifier = randomVerifier(32);
    this.storage.setItem(PENDING_KEY, JSON.stringify({ state, verifier, returnTo }));
    const params = new URLSearchParams({
      response_type: "code",
      client_id: this.config.clientId,
      redirect_uri: this.config.redirectUri,
      scope: this.config.scopes.join(" "),
      state,
      code_challenge: await codeChallenge(verifier),
      code_challenge_method: "S256",
    });
    return `${this.config.domain}/oauth2/authorize?${params}`;
  }

  async signIn(): Promise<void> {
    window.location.assign(await this.authorizeUrl(window.location.pathname));
  }

  /** Sign out locally and at Cognito (ends the managed-login session too). */
  signOut(): void {
    this.storage.removeItem(TOKENS_KEY);
    const params = new URLSearchParams({ client_id: this.config.clientId, logout_uri: this.config.logoutUri });
    window.location.assign(`${this.config.domain}/logout?${params}`);
  }

  /**
   * Finish a sign-in when `url` is the OAuth callback (has `code` or `error`). Returns the path to go back to,
   * or null when `url` is not a callback.
   */
  async handleCallback(url: URL): Promise<string | null> {
    const error = url.searchParams.get("error");
    const code = url.searchParams.get("code");
    if (!error && !code) return null;
    const pendingRaw = this.storage.getItem(PENDING_KEY);
    this.storage.removeItem(PENDING_KEY);
    if (error) {
      throw new AuthError(`Sign-in failed: ${url.searchParams.get("error_description") || error}`);
    }
    const pending = pendingRaw ? (JSON.parse(pendingRaw) as { state: string; verifier: string; returnTo: string }) : null;
    if (!pending || pending.state !== url.searchParams.get("state")) {
      throw new AuthError("Sign-in could not be verified (state mismatch). Please sign in again.");
    }
    const tokens = await this.tokenRequest({
      grant_type: "authorization_code",
      client_id: this.config.clientId,
      code: code as string,
      redirect_uri: this.config.redirectUri,
      code_verifier: pending.verifier,
    });
    this.save(tokens);
    return pending.returnTo || "/";
  }

  /** Stored tokens, if any (possibly expired). */
  tokens(): Tokens | null {
    const raw = this.storage.getItem(TOKENS_KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Tokens;
    } catch {
      return null;
    }
  }

  isSignedIn(): boolean {
    return this.tokens() !== null;
  }

  /** A valid bearer token for the API, refreshed when close to expiry; null when signed out or refresh failed. */
  async bearerToken(): Promise<string | null> {
    let tokens = this.tokens();
    if (!tokens) return null;
    if (tokens.expiresAt - REFRESH_MARGIN_MS <= this.now()) {
      tokens = await this.refresh();
      if (!tokens) return null;
    }
    return this.config.tokenUse === "access" ? tokens.accessToken : tokens.idToken;
  }

  /** Use the refresh token once (concurrent callers share the request); clears the session when it fails. */
  refresh(): Promise<Tokens | null> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<Tokens | null> {
    const current = this.tokens();
    if (!current?.refreshToken) {
      this.storage.removeItem(TOKENS_KEY);
      return null;
    }
    try {
      const tokens = await this.tokenRequest({
        grant_type: "refresh_token",
        client_id: this.config.clientId,
        refresh_token: current.refreshToken,
      });
      // Cognito does not rotate refresh tokens by default: keep the old one when none comes back.
      const merged = { ...tokens, refreshToken: tokens.refreshToken ?? current.refreshToken };
      this.save(merged);
      return merged;
    } catch {
      this.storage.removeItem(TOKENS_KEY);
      return null;
    }
  }

  forget(): void {
    this.storage.removeItem(TOKENS_KEY);
  }

  private save(tokens: Tokens): void {
    this.storage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  }

  private async tokenRequest(form: Record<string, string>): Promise<Tokens> {
    const response = await this.fetchFn(`${this.config.domain}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
    if (!response.ok) throw new AuthError(`Token request failed (HTTP ${response.status}).`);
    const body = (await response.json()) as Record<string, unknown>;
    if (typeof body.id_token !== "string" || typeof body.access_token !== "string") {
      throw new AuthError("Token response without tokens.");
    }
    const expiresIn = typeof body.expires_in === "number" ? body.expires_in : 3600;
    return {
      idToken: body.id_token,
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : undefined,
      expiresAt: this.now() + expiresIn * 1000,
    };
  }
}
