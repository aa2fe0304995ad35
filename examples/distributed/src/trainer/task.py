"""A trainer that shows what Vertex AI tells each replica of a distributed job.

Every replica prints its task from CLUSTER_SPEC and TF_CONFIG. The chief
(workerpool0) listens on its CLUSTER_SPEC address; each worker (workerpool1)
sums its shard of 0..N and sends the sum to the chief by host name; the chief
checks the total. The evaluator (workerpool3) only reports in.
"""

import argparse
import json
import os
import socket
import sys
import time

WAIT_SECONDS = 120


def describe(cluster_spec: dict, tf_config: dict) -> str:
    task = cluster_spec["task"]
    sizes = {pool: len(addresses) for pool, addresses in sorted(cluster_spec["cluster"].items())}
    return (
        f"CLUSTER_SPEC task {task['type']} index {task['index']}; cluster {sizes}; "
        f"TF_CONFIG task {tf_config['task']['type']} index {tf_config['task']['index']}"
    )


def run_chief(cluster: dict, shard_size: int) -> None:
    workers = cluster.get("workerpool1", [])
    port = int(cluster["workerpool0"][0].rsplit(":", 1)[1])
    total = 0
    with socket.create_server(("", port)) as server:
        server.settimeout(WAIT_SECONDS)
        for _ in workers:
            conn, _ = server.accept()
            with conn:
                index, partial = conn.makefile().readline().split()
                print(f"chief: worker {index} sent {partial}", flush=True)
                total += int(partial)
    expected = sum(range(shard_size * len(workers)))
    print(f"chief: total {total} from {len(workers)} workers (expected {expected})", flush=True)
    if total != expected:
        sys.exit(f"chief: wrong total {total}, expected {expected}")


def run_worker(cluster: dict, index: int, shard_size: int) -> None:
    partial = sum(range(index * shard_size, (index + 1) * shard_size))
    host, port = cluster["workerpool0"][0].rsplit(":", 1)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:  # the chief's container may not listen yet
            with socket.create_connection((host, int(port)), timeout=5) as conn:
                conn.sendall(f"{index} {partial}\n".encode())
            break
        except OSError as err:
            if time.monotonic() > deadline:
                sys.exit(f"worker {index}: cannot reach the chief at {host}:{port}: {err}")
            time.sleep(0.5)
    print(f"worker {index}: sent {partial} to the chief at {host}:{port}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shard-size", type=int, default=1000)
    args = parser.parse_args()
    cluster_spec = json.loads(os.environ["CLUSTER_SPEC"])
    tf_config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    print(f"{socket.gethostname()}: {describe(cluster_spec, tf_config)}", flush=True)
    task = cluster_spec["task"]
    if task["type"] == "workerpool0":
        run_chief(cluster_spec["cluster"], args.shard_size)
    elif task["type"] == "workerpool1":
        run_worker(cluster_spec["cluster"], task["index"], args.shard_size)
    else:
        print(f"evaluator {task['index']}: nothing to evaluate in this example", flush=True)


if __name__ == "__main__":
    main()
