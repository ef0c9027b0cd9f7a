"""Records every GraphQL request a Prefect process sends, and its answer, when
PREFECT1_RECORD_GRAPHQL names a file (JSON lines, appended; one writer per line under a lock).

On PYTHONPATH, Python imports this module at start-up in every process of the venv: the script
under test, the CLI, the agent and the flow-run and heartbeat processes the agent starts. It wraps
requests.Session.request, which the Prefect client uses for every call; it changes nothing else.
Each record: step (PREFECT1_RECORD_STEP, or what the process set in `STEP`), pid, argv, query,
variables (the JSON text the client sent, parsed), headers the server cares about, status, answer.
"""
import os

STEP = os.environ.get("PREFECT1_RECORD_STEP", "")
_PATH = os.environ.get("PREFECT1_RECORD_GRAPHQL")


def _install(path):
    import json
    import sys
    import threading

    import requests.sessions

    lock = threading.Lock()
    original = requests.sessions.Session.request
    kept_headers = ("authorization", "x-prefect-tenant-id", "x-prefect-agent-id", "x-prefect-heartbeat-id")

    def request(self, method, url, *args, **kwargs):
        response = original(self, method, url, *args, **kwargs)
        body = kwargs.get("json")
        if isinstance(body, dict) and "query" in body:
            variables = body.get("variables")
            if isinstance(variables, str):
                try:
                    variables = json.loads(variables)
                except ValueError:
                    pass
            try:
                answer = response.json()
            except ValueError:
                answer = response.text[:2000]
            headers = {k.lower(): v for k, v in (kwargs.get("headers") or {}).items() if k.lower() in kept_headers}
            if "authorization" in headers:
                headers["authorization"] = headers["authorization"].split(" ")[0] + " <token>"
            record = {
                "step": sys.modules[__name__].STEP,
                "pid": os.getpid(),
                "argv": sys.argv[:4],
                "query": body["query"],
                "variables": variables,
                "headers": headers,
                "status": response.status_code,
                "answer": answer,
            }
            with lock, open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(record, default=str) + "\n")
        return response

    requests.sessions.Session.request = request


if _PATH:
    _install(_PATH)
