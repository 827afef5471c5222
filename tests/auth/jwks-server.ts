/** A local JWKS endpoint whose key set and status tests can change while it runs, plus token builders. */
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export type AsymmetricAlg = 'RS256' | 'ES256';

export interface SigningKey {
  readonly kid: string;
  readonly alg: AsymmetricAlg;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function createSigningKey(alg: AsymmetricAlg, kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export interface TokenOptions {
  /** Seconds from now; default 300. `null` leaves `exp` out. */
  readonly expiresIn?: number | null;
  readonly notBefore?: number;
  /** Header kid, when it should differ from the key's own. */
  readonly kid?: string;
}

export function signToken(key: SigningKey, claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'JWT' })
    .setIssuedAt(now);
  const { expiresIn = 300 } = options;
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(key.privateKey);
}

export interface JwksServer {
  readonly url: string;
  /** How many times the key set was requested. */
  readonly fetches: () => number;
  readonly setKeys: (keys: readonly SigningKey[]) => void;
  readonly setStatus: (status: number) => void;
  readonly stop: () => Promise<void>;
}

export function startJwksServer(initialKeys: readonly SigningKey[]): JwksServer {
  let keys = initialKeys;
  let status = 200;
  let fetches = 0;
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: () => {
      fetches += 1;
      if (status !== 200) return new Response('unavailable', { status });
      return Response.json({ keys: keys.map((key) => key.publicJwk) });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/iam/v3/oauth/jwks`,
    fetches: () => fetches,
    setKeys: (next) => {
      keys = next;
    },
    setStatus: (next) => {
      status = next;
    },
    stop: () => server.stop(true),
  };
}

export const bearer = (token: string): Headers => new Headers({ authorization: `Bearer ${token}` });

/** A server answering every request with `respond()`, for key-set endpoints that misbehave. */
export function startRawServer(respond: () => Response | Promise<Response>): {
  readonly url: string;
  readonly stop: () => Promise<void>;
} {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: respond });
  return { url: `http://127.0.0.1:${server.port}/jwks`, stop: () => server.stop(true) };
}

/** A URL on a loopback port nothing listens on (a server was bound there and stopped). */
export async function closedPortUrl(): Promise<string> {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const url = `http://127.0.0.1:${server.port}/iam/v3/oauth/jwks`;
  await server.stop(true);
  return url;
}
