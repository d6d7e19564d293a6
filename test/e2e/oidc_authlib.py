#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A real third-party relying party (Python authlib, Debian python3-authlib) signing a
person in through canaille: discovery, authorization code + PKCE S256 + state + nonce with
authlib's OAuth2Session, the ID token validated with authlib.jose against the published
JWKS (signature, iss, aud, nonce, exp), userinfo and refresh.

Usage: oidc_authlib.py ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI LOGIN PASSWORD [consent]
Prints one line per step; exits 0 only when every step passed.
"""
import html
import re
import sys
import traceback
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken


def step(name, detail=""):
    print(f"ok   {name}{': ' + detail if detail else ''}", flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def input_value(page, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % re.escape(name), page)
    return html.unescape(m.group(1)) if m else None


def form_action(page, form_id=None):
    pattern = (r'<form[^>]*id="%s"[^>]*action="([^"]*)"' % form_id) if form_id else \
        r'<form[^>]*action="([^"]*)"'
    m = re.search(pattern, page)
    return html.unescape(m.group(1)) if m else None


def main(issuer, client_id, client_secret, redirect_uri, login, password, consent):
    meta = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    check(meta["issuer"] == issuer, f"issuer {meta['issuer']} != {issuer}")
    step("discovery", meta["issuer"])

    session = OAuth2Session(client_id, client_secret, scope="openid profile email",
                            redirect_uri=redirect_uri, code_challenge_method="S256",
                            token_endpoint_auth_method="client_secret_basic")
    code_verifier = generate_token(48)
    nonce = generate_token(20)
    auth_url, state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce)
    step("authorization url", auth_url)

    # The person's browser: its own cookie jar, redirects followed one by one.
    browser = requests.Session()
    r = browser.get(auth_url, allow_redirects=False, timeout=10)
    check(r.status_code == 302 and urlparse(r.headers["location"]).path.endswith("/login"),
          f"authorize without a session: {r.status_code} {r.headers.get('location')}")
    login_url = urljoin(auth_url, r.headers["location"])
    r = browser.get(login_url, allow_redirects=False, timeout=10)
    check(r.status_code == 200, f"GET login: {r.status_code}")
    fields = {"csrf_token": input_value(r.text, "csrf_token"), "login": login,
              "password": password}
    check(fields["csrf_token"], "no csrf_token on the login page")
    nxt = input_value(r.text, "next")
    if nxt is not None:
        fields["next"] = nxt
    r = browser.post(urljoin(login_url, form_action(r.text) or login_url), data=fields,
                     allow_redirects=False, timeout=10)
    check(r.status_code == 302, f"POST login: {r.status_code}\n{r.text[:2000]}")
    location = urljoin(login_url, r.headers["location"])
    step("login", f"redirected to {location}")

    hops = 0
    consent_seen = False
    while not location.startswith(redirect_uri) and hops < 5:
        hops += 1
        r = browser.get(location, allow_redirects=False, timeout=10)
        if r.status_code == 200 and "consent-form" in r.text:
            check(consent, "a consent page was shown to a trusted client")
            action = urljoin(location, form_action(r.text, "consent-form") or location)
            r = browser.post(action, data={"csrf_token": input_value(r.text, "csrf_token"),
                                           "answer": "accept"},
                             allow_redirects=False, timeout=10)
            consent_seen = True
            step("consent", "accepted")
        check(r.status_code == 302,
              f"expected a redirect from {location}, got {r.status_code}\n{r.text[:2000]}")
        location = urljoin(location, r.headers["location"])
    check(consent_seen == consent, f"consent page shown: {consent_seen}, expected: {consent}")
    check(location.startswith(redirect_uri), f"never reached the redirect_uri: {location}")
    params = parse_qs(urlparse(location).query)
    check("code" in params, f"no code in {location}")
    check(params.get("state") == [state], "state mismatch")
    if "iss" in params:
        check(params["iss"] == [issuer], f"iss in the response: {params['iss']}")
    step("authorization response", "code + state")

    token = session.fetch_token(meta["token_endpoint"], authorization_response=location,
                                code_verifier=code_verifier, state=state)
    check("id_token" in token and "access_token" in token and "refresh_token" in token,
          f"token response lacks a token: {sorted(token)}")
    step("code exchange", f"token_type={token.get('token_type')}")

    jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], jwks, claims_cls=CodeIDToken,
                        claims_options={"iss": {"essential": True, "value": issuer},
                                        "aud": {"essential": True, "value": client_id}},
                        claims_params={"nonce": nonce, "client_id": client_id})
    claims.validate()  # exp, iat, iss, aud, nonce, at_hash when present
    step("ID token validated", f"sub={claims['sub']}")

    info = session.get(meta["userinfo_endpoint"], timeout=10)
    check(info.status_code == 200, f"userinfo: {info.status_code} {info.text}")
    info = info.json()
    check(info["sub"] == claims["sub"], "userinfo sub differs")
    check(info.get("email") == f"{login}@example.org", f"userinfo email: {info}")
    step("userinfo", str(info))

    old_access = token["access_token"]
    new = session.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    check(new.get("access_token") and new["access_token"] != old_access,
          "refresh gave no new access token")
    info = session.get(meta["userinfo_endpoint"], timeout=10)
    check(info.status_code == 200 and info.json()["sub"] == claims["sub"],
          f"userinfo with the refreshed token: {info.status_code} {info.text}")
    step("refresh", "new access token works on userinfo")


if __name__ == "__main__":
    if len(sys.argv) < 7:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        main(*sys.argv[1:7], consent=len(sys.argv) > 7 and sys.argv[7] == "consent")
    except Exception:  # any failure is a failed test: show it and exit non-zero
        print("FAIL " + traceback.format_exc(), flush=True)
        sys.exit(1)
    print("ALL PASSED", flush=True)
