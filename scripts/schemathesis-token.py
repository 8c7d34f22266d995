"""Signs in to a running filmroom as a browser does and prints a new API token.

Usage: schemathesis-token.py BASE_URL USERNAME PASSWORD

Waits (up to 60 s) for the server to answer /health first. Uses `requests`,
which schemathesis installs beside itself.
"""

import re
import sys
import time

import requests


def main() -> None:
    base, username, password = sys.argv[1:4]
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"the server at {base} did not come up within 60 s")
        time.sleep(0.2)

    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=10)
    page.raise_for_status()
    form_csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if not form_csrf:
        sys.exit("the login page has no csrf field")
    signed_in = browser.post(
        f"{base}/login",
        data={"username": username, "password": password, "csrf": form_csrf.group(1)},
        timeout=30,
    )
    signed_in.raise_for_status()
    session_csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', signed_in.text)
    if not session_csrf:
        sys.exit(f"signing in as {username} failed: no session page after the login")
    created = browser.post(
        f"{base}/api/v1/tokens",
        json={"name": "schemathesis"},
        headers={"X-CSRF-Token": session_csrf.group(1)},
        timeout=10,
    )
    created.raise_for_status()
    print(created.json()["secret"])


if __name__ == "__main__":
    main()
