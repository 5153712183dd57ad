"""Subscribes to shards with botocore's subscribe_to_shard on behalf of the
Go tests in test/fanout (botocore_test.go), which drive it over stdin and
stdout with one JSON object per line.

Usage: python3 botocore_subscribe.py ENDPOINT [CA_FILE]

CA_FILE, for an https:// endpoint, is the certificate to trust.

Commands (stdin):
  {"op":"subscribe","sub":ID,"consumer":ARN,"shard":SHARD,"type":TYPE,"seq":SEQ}
  {"op":"close","sub":ID}
Replies (stdout), each tagged with the subscription's ID:
  {"sub":ID,"type":"subscribed","protocol":"http/1.1"}
  {"sub":ID,"type":"event","event":{...}}   one SubscribeToShardEvent, Data in
                                           base64, ApproximateArrivalTimestamp
                                           in Unix ms
  {"sub":ID,"type":"end","error":""|"Code: message"}  last reply

Each subscription is read in its own thread by iterating
response['EventStream']. A closed subscription stops at its next event (the
server sends one at least every heartbeat) and closes the stream. End of
stdin closes every subscription and ends the process.
"""

import base64
import json
import sys
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

ENDPOINT = sys.argv[1]
CA_FILE = sys.argv[2] if len(sys.argv) > 2 else None

client = boto3.client(
    "kinesis",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id="AKIDFANOUTPY",
    aws_secret_access_key="fanout-secret",
    verify=CA_FILE,
    config=Config(retries={"total_max_attempts": 1}),
)

# The protocol of each SubscribeToShard response, recorded before botocore
# parses it (the thread that made the call reads it back).
protocols = threading.local()


def record_protocol(response_dict, **_):
    version = response_dict["body"].version  # urllib3's HTTPResponse
    protocols.last = f"http/{version // 10}.{version % 10}"


client.meta.events.register("before-parse.kinesis.SubscribeToShard", record_protocol)

out_lock = threading.Lock()


def reply(msg):
    line = json.dumps(msg)
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def to_event(ev):
    return {
        "Records": [
            {
                "SequenceNumber": r["SequenceNumber"],
                "PartitionKey": r["PartitionKey"],
                "Data": base64.b64encode(r["Data"]).decode(),
                "ApproximateArrivalTimestamp": round(r["ApproximateArrivalTimestamp"].timestamp() * 1000),
            }
            for r in ev["Records"]
        ],
        "ContinuationSequenceNumber": ev.get("ContinuationSequenceNumber"),
        "MillisBehindLatest": ev["MillisBehindLatest"],
        "ChildShards": ev.get("ChildShards"),
    }


class Subscription(threading.Thread):
    def __init__(self, cmd):
        super().__init__(daemon=True)
        self.cmd = cmd
        self.closed = threading.Event()

    def run(self):
        try:
            self.reply({"type": "end", "error": self.stream()})
        except Exception as e:  # a bug here must reach the test, not hang it
            self.reply({"type": "end", "error": f"driver: {type(e).__name__}: {e}"})

    def stream(self):
        cmd = self.cmd
        position = {"Type": cmd["type"]}
        if cmd.get("seq"):
            position["SequenceNumber"] = cmd["seq"]
        try:
            resp = client.subscribe_to_shard(
                ConsumerARN=cmd["consumer"], ShardId=cmd["shard"], StartingPosition=position
            )
        except ClientError as e:
            return f"{e.response['Error']['Code']}: {e.response['Error']['Message']}"
        self.reply({"type": "subscribed", "protocol": protocols.last})
        events = resp["EventStream"]
        try:
            for ev in events:
                if self.closed.is_set():
                    return "closed"
                if "SubscribeToShardEvent" not in ev:
                    return f"driver: unexpected event {sorted(ev)}"
                self.reply({"type": "event", "event": to_event(ev["SubscribeToShardEvent"])})
        except EventStreamError as e:
            return f"{e.response['Error']['Code']}: {e.response['Error']['Message']}"
        finally:
            events.close()
        return "closed" if self.closed.is_set() else ""

    def reply(self, msg):
        reply({"sub": self.cmd["sub"], **msg})


def main():
    subs = {}
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "subscribe":
            sub = subs[cmd["sub"]] = Subscription(cmd)
            sub.start()
        elif cmd["op"] == "close":
            subs[cmd["sub"]].closed.set()
        else:
            sys.exit(f"unknown command {line!r}")
    for sub in subs.values():
        sub.closed.set()
    for sub in subs.values():
        sub.join()


if __name__ == "__main__":
    main()
