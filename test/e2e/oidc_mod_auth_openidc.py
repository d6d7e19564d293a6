#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The person's browser in front of Apache mod_auth_openidc: asks for a protected page,
follows every redirect by hand (Apache → canaille authorize → login → consent → Apache's
redirect URI, where the module exchanges the code and validates the ID token → the page),
and checks that the page shows the claims the module received.

Usage: oidc_mod_auth_openidc.py PROTECTED_URL LOGIN PASSWORD EXPECTED_EMAIL [consent]
Prints one line per hop; exits 0 only when the page shows EXPECTED_EMAIL.
"""
import html
import re
import sys
import traceback
from urllib.parse import urljoin, urlparse

import requests


def input_value(page, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % re.escape(name), page)
    return html.unescape(m.group(1)) if m else None


def form_action(page, form_id=None):
    pattern = (r'<form[^>]*id="%s"[^>]*action="([^"]*)"' % form_id) if form_id else \
        r'<form[^>]*action="([^"]*)"'
    m = re.search(pattern, page)
    return html.unescape(m.group(1)) if m else None


def main(protected_url, login, password, expected_email, consent):
    browser = requests.Session()
    url = protected_url
    seen_login = seen_consent = False
    r = browser.get(url, allow_redirects=False, timeout=30)
    for _ in range(12):
        print(f"ok   {r.status_code} {urlparse(url).path}", flush=True)
        if r.status_code in (302, 303):
            url = urljoin(url, r.headers["location"])
            r = browser.get(url, allow_redirects=False, timeout=30)
        elif r.status_code == 200 and 'name="password"' in r.text and not seen_login:
            seen_login = True
            fields = {"csrf_token": input_value(r.text, "csrf_token"), "login": login,
                      "password": password}
            nxt = input_value(r.text, "next")
            if nxt is not None:
                fields["next"] = nxt
            url = urljoin(url, form_action(r.text) or url)
            r = browser.post(url, data=fields, allow_redirects=False, timeout=30)
            print("ok   login posted", flush=True)
        elif r.status_code == 200 and "consent-form" in r.text and not seen_consent:
            seen_consent = True
            url = urljoin(url, form_action(r.text, "consent-form") or url)
            r = browser.post(url, data={"csrf_token": input_value(r.text, "csrf_token"),
                                        "answer": "accept"},
                             allow_redirects=False, timeout=30)
            print("ok   consent accepted", flush=True)
        else:
            break
    if not seen_login:
        raise AssertionError("the login page was never shown")
    if seen_consent != consent:
        raise AssertionError(f"consent page shown: {seen_consent}, expected: {consent}")
    if r.status_code != 200 or url != protected_url:
        raise AssertionError(f"ended at {r.status_code} {url}:\n{r.text[:2000]}")
    if f"email={expected_email};" not in r.text:
        raise AssertionError(f"the protected page lacks the email claim:\n{r.text[:2000]}")
    print(f"ok   protected page: {r.text.strip()}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        main(*sys.argv[1:5], consent=len(sys.argv) > 5 and sys.argv[5] == "consent")
    except Exception:  # any failure is a failed test: show it and exit non-zero
        print("FAIL " + traceback.format_exc(), flush=True)
        sys.exit(1)
    print("ALL PASSED", flush=True)
