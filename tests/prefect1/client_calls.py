"""Single calls of the real Prefect 1.4.1 client, for the Node tests (one call per process, its
answer as JSON on the last line of stdout; an exception exits 1 with the traceback on stderr).

    python client_calls.py create-project NAME
    python client_calls.py register MODULE --project NAME [--no-compress] [--idempotent]
    python client_calls.py create-run FLOW_ID [--label L ...] [--name N]
    python client_calls.py auth-tenant                # Client(api_key=...)'s tenant (auth_info)
    python client_calls.py tag-limit TAG
"""
import argparse
import json

import prefect
from prefect import Client


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="call", required=True)
    p = sub.add_parser("create-project")
    p.add_argument("name")
    p = sub.add_parser("register")
    p.add_argument("module")
    p.add_argument("--project", required=True)
    p.add_argument("--no-compress", action="store_true")
    # the flow's hash as the idempotency key: registering an unchanged flow again makes no version
    p.add_argument("--idempotent", action="store_true")
    p = sub.add_parser("create-run")
    p.add_argument("flow_id")
    p.add_argument("--label", action="append")
    p.add_argument("--name")
    sub.add_parser("auth-tenant")
    p = sub.add_parser("tag-limit")
    p.add_argument("tag")
    args = parser.parse_args()

    client = Client()
    if args.call == "create-project":
        out = {"project_id": client.create_project(args.name)}
    elif args.call == "register":
        flow = __import__(args.module).flow
        if args.no_compress:
            # flow.register() always compresses; the uncompressed path is Client.register's.
            flow.result = flow.result or flow.storage.result
            out = {"flow_id": client.register(flow, project_name=args.project, compressed=False)}
        else:
            key = flow.serialized_hash() if args.idempotent else None
            out = {"flow_id": flow.register(project_name=args.project, idempotency_key=key)}
    elif args.call == "create-run":
        out = {"flow_run_id": client.create_flow_run(flow_id=args.flow_id, labels=args.label, run_name=args.name)}
    elif args.call == "auth-tenant":
        out = {"tenant_id": client._get_auth_tenant(), "backend": prefect.config.backend}
    elif args.call == "tag-limit":
        out = {"limit": client.get_task_tag_limit(args.tag)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
