import { describe, expect, it } from "vitest";
import { CognitoAuth, codeChallenge } from "../src/auth";
import { parseConfig } from "../src/config";

class MemoryStorage implements Storage {
  private data = new Map<string, string>();
  get length() { return this.data.size; }
  clear() { this.data.clear(); }
  getItem(k: string) { return this.data.get(k) ?? null; }
  key(i: number) { return [...this.data.keys()][i] ?? null; }
  removeItem(k: string) { this.data.delete(k); }
  setItem(k: string, v: string) { this.data.set(k, v); }
}

const config = parseConfig({
  apiBaseUrl: "https://api.example.com/v1",
  auth: {
    region: "eu-west-1", userPoolId: "eu-west-1_abc", clientId: "client123", domain: "chat.auth.eu-west-1.amazoncognito.com",
    redirectUri: "https://d1.cloudfront.net/", logoutUri: "https://d1.cloudfront.net/", scopes: ["openid", "email"],
  },
}).auth!;

describe("PKCE", () => {
  it("computes the RFC 7636 S256 challenge", async () => {
    // Expected value from an independent implementation:
    // base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=") in Python.
    expect(await codeChallenge("dBjftJeZ4CVP-mJ0kWvK4IxMRTYl2wRTeRJUKSSbqXjPOyQgnF4G2")).toBe("dSH_ig6ZZ9SdwA3Y0VqqhW13_DPrs9-8fV7Gofq_yTo");
  });
});

describe("CognitoAuth", () => {
  it("builds the authorize URL and exchanges the code with the verifier", async () => {
    const storage = new MemoryStorage();
    const posted: URLSearchParams[] = [];
    const fetchFn: typeof fetch = async (url, init) => {
      expect(String(url)).toBe("https://chat.auth.eu-west-1.amazoncognito.com/oauth2/token");
      posted.push(new URLSearchParams(String(init?.body)));
      return new Response(JSON.stringify({ id_token: "id1", access_token: "ac1", refresh_token: "rt1", expires_in: 3600 }));
    };
    const auth = new CognitoAuth(config, storage, fetchFn, () => 1_000_000);
    const authorize = new URL(await auth.authorizeUrl("/chat"));
    expect(authorize.origin + authorize.pathname).toBe("https://chat.auth.eu-west-1.amazoncognito.com/oauth2/authorize");
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("scope")).toBe("openid email");
    const state = authorize.searchParams.get("state")!;
    const returnTo = await auth.handleCallback(new URL(`https://d1.cloudfront.net/?code=abc&state=${state}`));
    expect(returnTo).toBe("/chat");
    expect(posted[0].get("grant_type")).toBe("authorization_code");
    expect(await codeChallenge(posted[0].get("code_verifier")!)).toBe(authorize.searchParams.get("code_challenge"));
    expect(await auth.bearerToken()).toBe("id1");
  });

  it("rejects a callback whose state does not match", async () => {
    const auth = new CognitoAuth(config, new MemoryStorage(), async () => new Response("{}"));
    await auth.authorizeUrl();
    await expect(auth.handleCallback(new URL("https://d1.cloudfront.net/?code=abc&state=forged"))).rejects.toThrow(/state mismatch/);
    expect(auth.isSignedIn()).toBe(false);
  });

  it("refreshes an expiring token once for concurrent callers and keeps the refresh token", async () => {
    const storage = new MemoryStorage();
    storage.setItem("chat.auth.tokens", JSON.stringify({ idToken: "old", accessToken: "a", refreshToken: "rt", expiresAt: 1_000 }));
    let calls = 0;
    const fetchFn: typeof fetch = async (_url, init) => {
      calls += 1;
      expect(new URLSearchParams(String(init?.body)).get("grant_type")).toBe("refresh_token");
      return new Response(JSON.stringify({ id_token: "new", access_token: "a2", expires_in: 3600 }));
    };
    const auth = new CognitoAuth(config, storage, fetchFn, () => 2_000);
    expect(await Promise.all([auth.bearerToken(), auth.bearerToken()])).toEqual(["new", "new"]);
    expect(calls).toBe(1);
    expect(auth.tokens()?.refreshToken).toBe("rt");
  });

  it("a failed refresh signs the user out (session expired)", async () => {
    const storage = new MemoryStorage();
    storage.setItem("chat.auth.tokens", JSON.stringify({ idToken: "old", accessToken: "a", refreshToken: "rt", expiresAt: 0 }));
    const auth = new CognitoAuth(config, storage, async () => new Response('{"error":"invalid_grant"}', { status: 400 }), () => 5_000);
    expect(await auth.bearerToken()).toBeNull();
    expect(auth.isSignedIn()).toBe(false);
  });
});

describe("parseConfig", () => {
  it("accepts auth null (local mode) and names bad keys", () => {
    expect(parseConfig({ apiBaseUrl: "/v1", auth: null })).toEqual({ apiBaseUrl: "/v1", auth: null });
    expect(() => parseConfig({ auth: { region: "x", domain: "d.example.com" } })).toThrow(/auth.userPoolId/);
  });
});
