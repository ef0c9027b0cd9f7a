"""Runs each operation of the real Prefect 1.4.1 library once against a server, and prints one JSON
line per step: {"probe": step, "ok": bool, "error": text}. With the recorder on PYTHONPATH
(tests/prefect1/recorder), every GraphQL request of every step, and its answer, is recorded too.
Run by tests/prefect1/inventory.mjs, which starts the servers and makes the table of
OPERATIONS.md out of both; it is not a test (every step runs whatever the previous ones gave).

    python probe.py --mode open --project probe
    python probe.py --mode auth --project probe        # backend "cloud", PREFECT__CLOUD__API_KEY set
"""
import argparse
import json
import os
import subprocess
import sys
import traceback
from contextlib import contextmanager

import prefect
from prefect import Client
from prefect.utilities.graphql import compress, with_args

HERE = os.path.dirname(os.path.abspath(__file__))
FLOWS = os.path.join(HERE, "flows")
sys.path.insert(0, FLOWS)

try:
    import sitecustomize as recorder  # the GraphQL recorder, when on PYTHONPATH
except ImportError:
    recorder = None

results = {}


@contextmanager
def step(name):
    if recorder is not None:
        recorder.STEP = name
    outcome = {"probe": name, "ok": True, "error": None}
    try:
        yield outcome
    except BaseException as exc:  # noqa: BLE001 - a probe reports everything
        outcome["ok"] = False
        outcome["error"] = f"{type(exc).__name__}: {exc}"[:1500]
        outcome["trace"] = traceback.format_exc()[-3000:]
    print(json.dumps(outcome, default=str), flush=True)


def subprocess_step(name, argv, timeout, env=None, expect_exit=0):
    """Runs a CLI/engine process with the recorder's step set; ok when it exits with `expect_exit`."""
    with step(name) as outcome:
        full_env = {**os.environ, "PREFECT1_RECORD_STEP": name, **(env or {})}
        try:
            proc = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=timeout)
            code, out = proc.returncode, (proc.stdout + proc.stderr)
        except subprocess.TimeoutExpired as exc:
            code = "timeout"
            out = (exc.stdout or b"").decode() + (exc.stderr or b"").decode() if isinstance(exc.stdout, bytes) else str(exc.stdout or "") + str(exc.stderr or "")
        outcome["output"] = out[-3000:]
        if code != expect_exit and not (expect_exit == "timeout-ok" and code in (0, "timeout")):
            raise RuntimeError(f"exit {code}: {out[-1200:]}")


def load_flow(module):
    return __import__(module).flow


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["open", "auth"], required=True)
    parser.add_argument("--project", default="probe")
    args = parser.parse_args()
    prefect_bin = os.path.join(os.path.dirname(sys.executable), "prefect")
    client = Client()
    mode = args.mode

    if mode == "auth":
        with step(f"{mode}: Client(api_key=...): the key's tenant (auth_info)"):
            results["tenant_id"] = client._get_auth_tenant()
    else:
        with step(f"{mode}: Client().tenant_id (the default tenant)"):
            results["tenant_id"] = client.tenant_id

    with step(f"{mode}: create_project (new name)"):
        results["project_id"] = client.create_project(args.project)

    with step(f"{mode}: create_project (existing name)"):
        again = client.create_project(args.project)
        assert again == results.get("project_id"), f"got {again!r}, the existing project is {results.get('project_id')!r}"

    with step(f"{mode}: flow.register(compressed=True)"):
        results["registered"] = load_flow("dependent").register(project_name=args.project, no_url=False)

    with step(f"{mode}: Client().register(flow, compressed=False)"):
        client.register(load_flow("failing"), project_name=args.project, compressed=False)

    subprocess_step(
        f"{mode}: prefect register (CLI)",
        [prefect_bin, "register", "--project", args.project, "-p", os.path.join(FLOWS, "mapped.py")],
        timeout=120,
    )

    # The engine needs a flow with tasks: if registration failed, make one the old way
    # (create_flow with the whole serialized flow), so the engine's own calls are still probed.
    flow_id = results.get("registered")
    if not flow_id:
        with step(f"{mode}: (fallback) create_flow with tasks and edges"):
            flow = load_flow("dependent")
            res = client.graphql(
                {"mutation($input: create_flow_input!)": {"create_flow(input: $input)": {"id"}}},
                variables=dict(input=dict(project_id=results.get("project_id"), serialized_flow=flow.serialize(build=True))),
            )
            flow_id = res.data.create_flow.id
    results["flow_id"] = flow_id

    with step(f"{mode}: create_flow_run (no labels: the flow's labels)"):
        results["run"] = client.create_flow_run(flow_id=flow_id)
        labels = client.graphql({"query": {with_args("flow_run_by_pk", {"id": results["run"]}): {"labels"}}}).data.flow_run_by_pk.labels
        assert list(labels) == ["prefect1-test"], f"run labels {list(labels)}, the flow's are ['prefect1-test']"

    with step(f"{mode}: create_flow_run (labels)"):
        results["labelled_run"] = client.create_flow_run(flow_id=flow_id, labels=["zzz"], run_name="probe-labelled")

    with step(f"{mode}: get_flow_run_info"):
        info = client.get_flow_run_info(results["run"])
        assert info.task_runs, "no task runs were created with the flow run"

    with step(f"{mode}: FlowView.from_flow_id"):
        from prefect.backend import FlowView

        view = FlowView.from_flow_id(flow_id)
        results["flow_group_id"] = client.graphql({"query": {with_args("flow_by_pk", {"id": flow_id}): {"flow_group_id"}}}).data.flow_by_pk.flow_group_id
        # flow_group.labels is null until set_flow_group_labels; the settings are the group's
        assert view.flow_id == flow_id and view.settings.get("heartbeat_enabled") is True, (view.flow_id, view.settings)

    with step(f"{mode}: FlowView.from_flow_group_id"):
        FlowView.from_flow_group_id(results.get("flow_group_id") or flow_id)

    with step(f"{mode}: FlowView.from_flow_name"):
        FlowView.from_flow_name("prefect1-dependent", project_name=args.project)

    with step(f"{mode}: FlowRunView.from_flow_run_id"):
        from prefect.backend import FlowRunView

        results["run_view"] = FlowRunView.from_flow_run_id(results["run"])

    subprocess_step(
        f"{mode}: prefect execute flow-run (CloudFlowRunner, CloudTaskRunner, heartbeats, logs)",
        [prefect_bin, "execute", "flow-run"],
        timeout=120,
        env={
            "PREFECT__CONTEXT__FLOW_RUN_ID": results.get("run") or "",
            "PREFECT__CONTEXT__FLOW_ID": flow_id or "",
            "PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS": "prefect.engine.cloud.CloudFlowRunner",
            "PREFECT__CLOUD__SEND_FLOW_RUN_LOGS": "true",
        },
    )

    with step(f"{mode}: FlowRunView: get_latest, get_logs, get_all_task_runs, TaskRunView"):
        view = results["run_view"].get_latest()
        view.get_logs()
        task_runs = view.get_all_task_runs()
        assert task_runs, "no task runs"
        from prefect.backend import TaskRunView

        TaskRunView.from_task_run_id(task_runs[0].task_run_id)
        assert view.state.is_successful(), f"the run ended {view.state!r}"

    subprocess_step(
        f"{mode}: prefect heartbeat flow-run -n 1",
        [prefect_bin, "heartbeat", "flow-run", "-i", results.get("run") or "", "-n", "1"],
        timeout=60,
        env={"PREFECT__CLOUD__HEARTBEAT_INTERVAL": "0"},
    )

    with step(f"{mode}: Client task-run calls (get_task_run_info, set_task_run_state, get_task_run_state, set_task_run_name)"):
        from prefect.engine.state import Pending, Running, Success

        run = client.create_flow_run(flow_id=flow_id)
        info = client.get_flow_run_info(run)
        client.set_flow_run_state(run, Running(), version=info.version)
        task_id = client.graphql({"query": {with_args("flow_by_pk", {"id": flow_id}): {"tasks": {"id"}}}}).data.flow_by_pk.tasks[0].id
        results["task_id"] = task_id
        tr = client.get_task_run_info(run, task_id)
        client.set_task_run_state(tr.id, Running(), version=tr.version)
        assert client.get_task_run_state(tr.id).is_running()
        client.set_task_run_name(tr.id, "probe-task-run")
        client.set_task_run_state(tr.id, Success(result=1))
        results["manual_run"] = run

    with step(f"{mode}: Client flow-run calls (set_flow_run_name, update_flow_run_heartbeat, write_run_logs, get_flow_run_state)"):
        run = results["manual_run"]
        client.set_flow_run_name(run, "probe-renamed")
        client.update_flow_run_heartbeat(run)
        client.write_run_logs([dict(flow_run_id=run, name="probe", message="hello from the probe", level="INFO")])
        assert client.get_flow_run_state(run).is_running()

    with step(f"{mode}: get_latest_cached_states"):
        import datetime

        client.get_latest_cached_states(task_id=results["task_id"], cache_key=None, created_after=datetime.datetime.utcnow() - datetime.timedelta(hours=1))

    with step(f"{mode}: cancel_flow_run"):
        client.cancel_flow_run(results["manual_run"])

    with step(f"{mode}: get_task_tag_limit"):
        client.get_task_tag_limit("probe-tag")

    with step(f"{mode}: register_agent"):
        client.register_agent(agent_type="LocalAgent", name="probe-agent", labels=["probe"])

    subprocess_step(
        f"{mode}: prefect agent local start (labels, max 2 polls)",
        [prefect_bin, "agent", "local", "start", "-l", "prefect1-test", "--no-hostname-label", "--max-polls", "2", "--log-level", "debug"],
        timeout=90,
    )

    subprocess_step(
        f"{mode}: prefect run --id FLOW_ID --execute",
        [prefect_bin, "run", "--id", flow_id or "", "--execute"],
        timeout=120,
    )

    subprocess_step(
        f"{mode}: prefect get flow-runs",
        [prefect_bin, "get", "flow-runs"],
        timeout=60,
    )


if __name__ == "__main__":
    main()
