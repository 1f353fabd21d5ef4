// A real OpenID provider for Medsamtale's tests: panva's certified oidc-provider, started by
// tests/fixtures/oidc.py with `node provider.mjs <settings.json>`. The settings give the port,
// the issuer, the signing key (so the tests know it), the clients and the accounts.
//
// - Log-in is oidc-provider's own development login page (devInteractions): any password, and
//   the login names an account (and is its subject): one of the settings' accounts, else an
//   address, which is then the account's verified email ("unverified:<address>":
//   email_verified false; "upn:<address>": only preferred_username, as Entra ID without the
//   email claim; "userinfo:<address>": the address only from the userinfo endpoint).
// - Consent: the client is a "native" one (any loopback port), which oidc-provider always asks
//   to confirm on its consent page; the grant itself is made there with the scopes asked for.
// - POST /test/tamper?mode=<mode> makes the next token response's ID token wrong in one way:
//   "issuer", "audience", "expired", "nonce", "signature" (signed with another key); for the
//   tests of what Medsamtale refuses. Nothing else is changed about the provider.
import { readFileSync } from 'node:fs';

import { decodeJwt, generateKeyPair, importJWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = settings.accounts || {};

function claimsFor(login) {
  if (accounts[login]) return { sub: login, ...accounts[login] };
  const [kind, address] = login.includes(':') ? login.split(/:(.*)/s) : ['', login];
  const sub = login; // oidc-provider's subject is the account's id
  const name = address.split('@')[0];
  if (kind === 'upn') return { sub, name, preferred_username: address };
  return { sub, name, email: address, email_verified: kind !== 'unverified' };
}

function claimsOf(login, use) {
  // "userinfo:<address>": the address only from the userinfo endpoint, as Feide gives it.
  if (!login.startsWith('userinfo:')) return claimsFor(login);
  const address = login.slice('userinfo:'.length);
  const claims = { sub: login, name: address.split('@')[0] };
  return use === 'userinfo' ? { ...claims, email: address, email_verified: true } : claims;
}

const configuration = {
  clients: settings.clients,
  jwks: { keys: [settings.signingKey] },
  cookies: { keys: ['medsamtale-test-provider-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  conformIdTokenClaims: false, // the claims are in the ID token, as Entra ID puts them
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(_ctx, id) {
    return { accountId: id, async claims(use) { return claimsOf(id, use); } };
  },
};

const provider = new Provider(settings.issuer, configuration);
const signingKey = await importJWK(settings.signingKey, 'RS256');
let tamper = null;

async function tampered(idToken, mode) {
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'issuer') claims.iss = 'http://127.0.0.1:1/another-provider';
  if (mode === 'audience') claims.aud = 'another-client';
  if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  if (mode === 'nonce') claims.nonce = 'another-nonce';
  const key = mode === 'signature' ? (await generateKeyPair('RS256')).privateKey : signingKey;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: settings.signingKey.kid })
    .sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/tamper' && ctx.method === 'POST') {
    tamper = ctx.query.mode || null;
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/token' && tamper && ctx.body && ctx.body.id_token) {
    const mode = tamper;
    tamper = null;
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token, mode) };
  }
});

provider.listen(settings.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${settings.issuer}\n`);
});
