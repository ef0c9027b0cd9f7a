"""The API-token flow of prefect 0.15.13 against a server with auth (run from .venv/prefect015).

    python token_flow.py --api URL --token USER_TOKEN --tenant-slug SLUG

USER_TOKEN is what Prefect Cloud 1.x called a USER-scoped API token (here: a log_in access
token). Prints one JSON object: each step's outcome, so the test can assert on every one of them:
  login_to_tenant          Client.login_to_tenant(tenant_slug): tenant query + switch_tenant
  refresh                  Client._refresh_access_token(): refresh_token with the refresh token as bearer
  rotated                  the refresh token changed
  call_after_refresh       a call with the new access token (query { tenant { id } })
  reuse_old_refresh_token  _refresh_access_token() again with the old refresh token (must fail)
  auto_refresh             an access token about to expire is refreshed by get_auth_token() before a call
"""
import argparse
import json
import sys

import pendulum
import prefect
from prefect import Client


def attempt(results, name, fn):
    try:
        value = fn()
        results[name] = {"ok": True, "value": value}
    except Exception as exc:  # noqa: BLE001 - every outcome is reported
        results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}
    return results[name]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--tenant-slug", required=True)
    args = parser.parse_args()
    assert prefect.__version__ == "0.15.13", prefect.__version__
    assert prefect.config.backend == "cloud", prefect.config.backend

    client = Client(api_server=args.api, api_token=args.token)
    results = {"prefect": prefect.__version__}

    def login():
        client.login_to_tenant(tenant_slug=args.tenant_slug)
        return {"tenant_id": client._tenant_id, "has_access_token": bool(client._access_token), "has_refresh_token": bool(client._refresh_token)}

    attempt(results, "login_to_tenant", login)
    first = {"access": client._access_token, "refresh": client._refresh_token}

    def refresh():
        client._refresh_access_token()
        return {"expires_at": str(client._access_token_expires_at)}

    attempt(results, "refresh", refresh)
    results["rotated"] = {
        "ok": bool(client._refresh_token) and client._refresh_token != first["refresh"] and client._access_token != first["access"],
    }
    attempt(results, "call_after_refresh", lambda: [t.id for t in client.graphql({"query": {"tenant": {"id"}}}).data.tenant])

    second = {"access": client._access_token, "refresh": client._refresh_token}
    reuse = Client(api_server=args.api, api_token=args.token)
    reuse._access_token, reuse._refresh_token = second["access"], first["refresh"]
    attempt(results, "reuse_old_refresh_token", lambda: reuse._refresh_access_token())

    def auto_refresh():
        client._access_token_expires_at = pendulum.now().add(seconds=5)
        before = client._refresh_token
        client.graphql({"query": {"tenant": {"id"}}})
        return {"refreshed": client._refresh_token != before}

    attempt(results, "auto_refresh", auto_refresh)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
