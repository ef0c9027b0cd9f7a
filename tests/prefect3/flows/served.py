"""A flow served with flow.serve(): the process polls the Prefect 3 server (PREFECT_API_URL) and
executes the runs of its deployment "smoke-flow/smoke". Bounded by the test that starts it
(tests/support/prefect3-serve.mjs); stops on SIGINT.

    python served.py [--name smoke]
"""
import argparse
import time

from prefect import flow, get_run_logger, task


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def wait(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@flow(name="smoke-flow")
def smoke_flow(x: int = 1, y: int = 2, fail: bool = False, sleep: float = 0.0) -> int:
    logger = get_run_logger()
    if sleep:
        wait(sleep)
    total = add(x, y)
    logger.info("smoke-flow: %s + %s = %s", x, y, total)
    if fail:
        raise ValueError("smoke-flow fails on purpose")
    return total


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="smoke")
    args = parser.parse_args()
    smoke_flow.serve(name=args.name, print_starting_message=True)
