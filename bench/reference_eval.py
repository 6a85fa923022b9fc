#!/usr/bin/env python3
"""Reference evaluator for `preflight bench evaluator`: the reference Python SDK's
semantics, a loop over the rules with fnmatch.fnmatch where the last match wins.

Input (JSON file given as the only argument):
  {"rules": [{"pattern", "action", "agent_pattern"?, "cost_max_usd"?}],
   "events": [{"tool", "agent"?, "cost_usd"?}], "seconds": float, "samples": int}
Output (JSON on stdout): {"rates": [decisions per second per sample], "cpu_rates":
  [decisions per CPU second], "decisions": [rule index or null per event]}
"""
import fnmatch
import json
import sys
import time


def decide(rules, tool, agent, cost):
    decided = None
    agent = agent if agent is not None else "default"
    for i, (pattern, agent_pattern, cost_max) in enumerate(rules):
        if not fnmatch.fnmatch(tool, pattern):
            continue
        if agent_pattern is not None and not fnmatch.fnmatch(agent, agent_pattern):
            continue
        if cost_max is not None and (cost is None or not cost > cost_max):
            continue
        decided = i  # last match wins
    return decided


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    rules = [(r["pattern"], r.get("agent_pattern"), r.get("cost_max_usd")) for r in spec["rules"]]
    events = [(e["tool"], e.get("agent"), e.get("cost_usd")) for e in spec["events"]]
    decisions = [decide(rules, *e) for e in events]
    rates = []
    cpu_rates = []
    per_sample = float(spec.get("seconds", 1.0)) / max(1, int(spec.get("samples", 5)))
    for _ in range(int(spec.get("samples", 5))):
        done = 0
        start = time.perf_counter()
        cpu_start = time.thread_time()
        while True:
            for tool, agent, cost in events:
                decide(rules, tool, agent, cost)
                done += 1
                if done % 64 == 0 and time.perf_counter() - start >= per_sample:
                    break
            else:
                continue
            break
        rates.append(done / (time.perf_counter() - start))
        cpu = time.thread_time() - cpu_start
        cpu_rates.append(done / cpu if cpu > 0 else None)
    json.dump({"rates": rates, "cpu_rates": cpu_rates, "decisions": decisions}, sys.stdout)


if __name__ == "__main__":
    main()
