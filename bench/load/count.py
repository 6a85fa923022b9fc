"""Sums the events stored for traces named load-*: the driver compares it with the
batches wrk saw acknowledged."""
import json
import sys
import urllib.request

base, key = sys.argv[1], sys.argv[2]
cursor, traces, events = None, 0, 0
while True:
    url = f"{base}/v1/traces?limit=1000" + (f"&cursor={cursor}" if cursor else "")
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    page = json.load(urllib.request.urlopen(req))
    for t in page["traces"]:
        if t["trace_id"].startswith("load-"):
            traces += 1
            events += t["event_count"]
    cursor = page.get("next_cursor")
    if not cursor:
        break
print(f"STORED_TRACES {traces}\nSTORED_EVENTS {events}")
