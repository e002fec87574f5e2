"""Benchmark the latency from an event to its run's first EXECUTE_JOB.

For each of 1,000 events sent one at a time (low load), the time between
``POST /api/v1/events`` returning and the endpoint receiving EXECUTE_JOB. Issue
target: p50 under 25 ms, p99 under 100 ms.

    .venv/bin/python -m bench.event_to_run [--events 1000]
"""

import argparse
import time

import httpx

from bench.pipeline import pipeline
from bench.support import bench_database, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    returned: dict[str, float] = {}
    with bench_database() as database_url, pipeline(database_url) as line:
        with httpx.Client(base_url=line.server.url, headers=line.auth) as client:
            for n in range(args.events):
                event_id = f"latency-{n}"
                response = client.post(
                    "/api/v1/events",
                    json={"event": {"id": event_id, "name": "bench.run", "payload": {}}},
                )
                returned[event_id] = time.time()
                assert response.status_code == 200, response.text
                time.sleep(0.03)  # low load: one event in flight at a time
            deadline = time.monotonic() + 30
            while len(line.arrivals.read_text().splitlines()) < args.events:
                assert time.monotonic() < deadline, "not every run was executed"
                time.sleep(0.1)
        arrivals = dict(line.split() for line in line.arrivals.read_text().splitlines())
    latencies = [
        (float(arrivals[event_id]) - sent) * 1000
        for event_id, sent in returned.items()
        if event_id in arrivals
    ]
    print(f"event -> EXECUTE_JOB over {len(latencies)} events, one at a time")
    print(
        f"  p50 {percentile(latencies, 0.5):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms"
    )


if __name__ == "__main__":
    main()
