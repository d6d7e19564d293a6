// SPDX-License-Identifier: MIT
// A real third-party relying party (the npm `openid-client` library, v6) signing a person
// in through canaille: discovery, authorization code + PKCE S256 + state + nonce, the ID
// token validated by the library (signature against the JWKS, iss, aud, nonce, exp),
// userinfo, refresh, client_credentials, introspection and revocation.
//
// Usage: node oidc_openid_client.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI LOGIN
//        PASSWORD [consent]
// The library resolves its own imports from test/e2e/rp/node_modules (NODE_PATH does not
// apply to ESM, so the import below is by path).
// Prints one line per step; exits 0 only when every step passed.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'rp', 'package.json'));
const client = await import(require.resolve('openid-client'));

const [issuerUrl, clientId, clientSecret, redirectUri, login, password, mode] =
    process.argv.slice(2);
if (!password) {
    console.error('usage: oidc_openid_client.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI ' +
                  'LOGIN PASSWORD [consent]');
    process.exit(2);
}
const expectConsent = mode === 'consent';

function step(name, detail = '') {
    console.log(`ok   ${name}${detail ? ': ' + detail : ''}`);
}
function check(condition, message) {
    if (!condition) throw new Error(message);
}

// The person's browser: a cookie jar (name → value; one host) and manual redirects, so
// every hop of the journey is seen and checked.
const jar = new Map();
async function browse(url, init = {}) {
    const headers = new Headers(init.headers || {});
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
        const pair = line.split(';', 1)[0];
        const eq = pair.indexOf('=');
        if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const body = await response.text();
    const location = response.headers.get('location');
    return { status: response.status, body,
             location: location ? new URL(location, url).href : null };
}
function decodeHtml(text) {
    return text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
        .replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
        .replace(/&#x2F;/gi, '/').replace(/&#47;/g, '/').replace(/&#61;/g, '=')
        .replace(/&#x3D;/gi, '=');
}
function inputValue(html, name) {
    const re = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`);
    const m = html.match(re);
    return m ? decodeHtml(m[1]) : null;
}
function formAction(html, id) {
    const re = id ? new RegExp(`<form[^>]*id="${id}"[^>]*action="([^"]*)"`)
                  : /<form[^>]*action="([^"]*)"/;
    const m = html.match(re);
    return m ? decodeHtml(m[1]) : null;
}

async function main() {
    const config = await client.discovery(
        new URL(issuerUrl), clientId, clientSecret, client.ClientSecretBasic(clientSecret),
        { execute: [client.allowInsecureRequests] });
    const meta = config.serverMetadata();
    check(meta.issuer === issuerUrl, `issuer ${meta.issuer} != ${issuerUrl}`);
    step('discovery', meta.issuer);

    const codeVerifier = client.randomPKCECodeVerifier();
    const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: 'openid profile email',
        code_challenge: codeChallenge, code_challenge_method: 'S256', state, nonce,
    });
    step('authorization url', authUrl.href);

    let r = await browse(authUrl.href);
    check(r.status === 302 && r.location && new URL(r.location).pathname.endsWith('/login'),
          `authorize without a session: expected 302 to /login, got ${r.status} ${r.location}`);
    const loginUrl = r.location;
    r = await browse(loginUrl);
    check(r.status === 200, `GET login page: ${r.status}`);
    const csrf = inputValue(r.body, 'csrf_token');
    check(csrf, 'no csrf_token on the login page');
    const fields = new URLSearchParams({ csrf_token: csrf, login, password });
    const next = inputValue(r.body, 'next');
    if (next !== null) fields.set('next', next);
    const action = new URL(formAction(r.body) || loginUrl, loginUrl).href;
    r = await browse(action, { method: 'POST', body: fields,
                               headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    check(r.status === 302 && r.location, `POST login: expected 302, got ${r.status}\n${r.body}`);
    step('login', `redirected to ${r.location}`);

    // Back to the authorization endpoint, maybe through the consent page.
    let consentSeen = false;
    for (let hops = 0; hops < 5 && !r.location.startsWith(redirectUri); hops++) {
        const at = r.location;
        r = await browse(at);
        if (r.status === 200 && r.body.includes('consent-form')) {
            check(expectConsent, 'a consent page was shown to a trusted client');
            const consentCsrf = inputValue(r.body, 'csrf_token');
            const consentAction = new URL(formAction(r.body, 'consent-form') || at, at).href;
            r = await browse(consentAction, {
                method: 'POST',
                body: new URLSearchParams({ csrf_token: consentCsrf, answer: 'accept' }),
                headers: { 'content-type': 'application/x-www-form-urlencoded' } });
            consentSeen = true;
            step('consent', 'accepted');
        }
        check(r.status === 302 && r.location,
              `expected a redirect from ${at}, got ${r.status}\n${r.body.slice(0, 2000)}`);
    }
    check(consentSeen === expectConsent,
          `consent page shown: ${consentSeen}, expected: ${expectConsent}`);
    check(r.location.startsWith(redirectUri), `never reached the redirect_uri: ${r.location}`);
    const callback = new URL(r.location);
    check(callback.searchParams.get('code'), `no code in ${callback.href}`);
    step('authorization response', callback.href.replace(/code=[^&]*/, 'code=…'));

    const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce,
        idTokenExpected: true,
    });
    const claims = tokens.claims();
    check(claims && claims.sub, 'no ID token claims');
    check(claims.iss === issuerUrl && claims.aud === clientId ||
              (Array.isArray(claims.aud) && claims.aud.includes(clientId)),
          `ID token iss/aud: ${JSON.stringify(claims)}`);
    check(claims.nonce === nonce, 'nonce mismatch');
    check(tokens.access_token && tokens.refresh_token, 'missing access or refresh token');
    step('code exchange + ID token validated', `sub=${claims.sub}`);

    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    check(info.sub === claims.sub, 'userinfo sub differs');
    check(info.email === `${login}@example.org`, `userinfo email: ${JSON.stringify(info)}`);
    step('userinfo', JSON.stringify(info));

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    check(refreshed.access_token && refreshed.access_token !== tokens.access_token,
          'refresh gave no new access token');
    step('refresh', 'new access token');
    if (refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token) {
        let reused = false;
        try {
            await client.refreshTokenGrant(config, tokens.refresh_token);
            reused = true;
        } catch (e) {
            check(e instanceof client.ResponseBodyError && e.error === 'invalid_grant',
                  `reused refresh token: unexpected ${e}`);
        }
        check(!reused, 'the rotated refresh token still worked');
        step('refresh rotation', 'old refresh token refused (invalid_grant)');
    }

    const active = await client.tokenIntrospection(config, refreshed.access_token);
    check(active.active === true, `introspection: ${JSON.stringify(active)}`);
    check(active.client_id === clientId, `introspection client_id: ${active.client_id}`);
    step('introspection', 'active');

    await client.tokenRevocation(config, refreshed.access_token);
    const after = await client.tokenIntrospection(config, refreshed.access_token);
    check(after.active === false, `revoked token still active: ${JSON.stringify(after)}`);
    step('revocation', 'introspection says inactive');

    const cc = await client.clientCredentialsGrant(config, { scope: 'openid' });
    check(cc.access_token, 'client_credentials: no access token');
    const ccInfo = await client.tokenIntrospection(config, cc.access_token);
    check(ccInfo.active === true, `client_credentials token inactive: ${JSON.stringify(ccInfo)}`);
    step('client_credentials', 'token active');
}

try {
    await main();
    console.log('ALL PASSED');
} catch (e) {
    console.log(`FAIL ${e && e.stack ? e.stack : e}`);
    if (e && e.cause) console.log(`cause: ${JSON.stringify(e.cause)}`);
    process.exit(1);
}
