"""End-to-end checks of a runnel server through boto3.

Run by boto3_test.go as `python3 boto3_e2e.py ENDPOINT`, against a server
with a 2 s CreateDelay, per-shard throttling on, and account 123456789012.
Credentials and region come from the environment the test sets up. Every
check prints one line; the first failure prints why and exits non-zero.
"""

import datetime
import re
import sys
import time

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"
MAX_HASH = 2**128 - 1
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SEQUENCE = re.compile(r"^[1-9][0-9]{55}$")


class CheckFailed(Exception):
    pass


def eq(got, want, what):
    if got != want:
        raise CheckFailed(f"{what}: got {got!r}, want {want!r}")


def true(cond, what):
    if not cond:
        raise CheckFailed(what)


def arn(stream):
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{stream}"


def expect_error(code, message, call, *args, **kwargs):
    """Calls call and checks that it raises a ClientError with AWS's code,
    message, status and request id."""
    try:
        call(*args, **kwargs)
    except ClientError as e:
        err, meta = e.response["Error"], e.response["ResponseMetadata"]
        eq(err["Code"], code, f"{call.__name__} error code")
        eq(err["Message"], message, f"{call.__name__} error message")
        eq(meta["HTTPStatusCode"], 400, f"{call.__name__} status")
        true(UUID.match(meta["RequestId"]), f"{call.__name__} request id {meta['RequestId']!r}")
        return e
    raise CheckFailed(f"{call.__name__} succeeded, want {code}")


def near_now(ts, what):
    true(isinstance(ts, datetime.datetime) and ts.tzinfo is not None, f"{what} {ts!r} is not an aware datetime")
    now = datetime.datetime.now(datetime.timezone.utc)
    true(abs((now - ts).total_seconds()) < 60, f"{what} {ts} is not close to now ({now})")


def check_create_and_wait(kinesis):
    """CreateStream, then the stream_exists waiter across the CREATING state."""
    start = time.monotonic()
    for name, shards in (("py-main", 3), ("py-throttled", 1), ("py-extra", 1)):
        kinesis.create_stream(StreamName=name, ShardCount=shards)
    summary = kinesis.describe_stream_summary(StreamName="py-main")["StreamDescriptionSummary"]
    eq(summary["StreamStatus"], "CREATING", "status right after CreateStream")
    waiter = kinesis.get_waiter("stream_exists")
    for name in ("py-main", "py-throttled", "py-extra"):
        waiter.wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 15})
    # The streams were created after start and stay CREATING for 2 s.
    waited = time.monotonic() - start
    true(waited >= 1.9, f"the waiter returned {waited:.2f} s after CreateStream, before the streams were ACTIVE")

    summary = kinesis.describe_stream_summary(StreamARN=arn("py-main"))["StreamDescriptionSummary"]
    created = summary.pop("StreamCreationTimestamp")
    near_now(created, "StreamCreationTimestamp")
    eq(summary, {
        "StreamName": "py-main",
        "StreamARN": arn("py-main"),
        "StreamStatus": "ACTIVE",
        "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        "RetentionPeriodHours": 24,
        "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
        "EncryptionType": "NONE",
        "OpenShardCount": 3,
        "ConsumerCount": 0,
        "MaxRecordSizeInKiB": 1024,
    }, "DescribeStreamSummary by ARN")


def check_control_plane(kinesis):
    kinesis.increase_stream_retention_period(StreamName="py-main", RetentionPeriodHours=48)
    kinesis.add_tags_to_stream(StreamName="py-main", Tags={"owner": "e2e", "tier": "gold"})
    kinesis.remove_tags_from_stream(StreamName="py-main", TagKeys=["tier"])
    tags = kinesis.list_tags_for_stream(StreamName="py-main")
    eq(tags["Tags"], [{"Key": "owner", "Value": "e2e"}], "tags")
    eq(tags["HasMoreTags"], False, "HasMoreTags")
    out = kinesis.enable_enhanced_monitoring(StreamName="py-main", ShardLevelMetrics=["IncomingBytes"])
    eq(out["CurrentShardLevelMetrics"], [], "metrics before")
    eq(out["DesiredShardLevelMetrics"], ["IncomingBytes"], "metrics after")
    summary = kinesis.describe_stream_summary(StreamName="py-main")["StreamDescriptionSummary"]
    eq(summary["RetentionPeriodHours"], 48, "retention after the increase")
    eq(summary["EnhancedMonitoring"], [{"ShardLevelMetrics": ["IncomingBytes"]}], "EnhancedMonitoring")
    limits = kinesis.describe_limits()
    eq(limits["OpenShardCount"], 5, "DescribeLimits OpenShardCount")


def check_binary_round_trip(kinesis):
    """Every byte value survives PutRecord and GetRecords."""
    data = bytes(range(256)) * 4
    put = kinesis.put_record(StreamName="py-main", Data=data, PartitionKey="binary", ExplicitHashKey="0")
    eq(put["ShardId"], "shardId-000000000000", "PutRecord shard")
    true(SEQUENCE.match(put["SequenceNumber"]), f"sequence number {put['SequenceNumber']!r}")
    it = kinesis.get_shard_iterator(StreamName="py-main", ShardId="shardId-000000000000",
                                    ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=put["SequenceNumber"])["ShardIterator"]
    out = kinesis.get_records(ShardIterator=it)
    eq(len(out["Records"]), 1, "records read back")
    rec = out["Records"][0]
    near_now(rec.pop("ApproximateArrivalTimestamp"), "ApproximateArrivalTimestamp")
    eq(rec, {"SequenceNumber": put["SequenceNumber"], "Data": data, "PartitionKey": "binary", "EncryptionType": "NONE"},
       "record read back")
    eq(out["MillisBehindLatest"], 0, "MillisBehindLatest")
    again = kinesis.get_records(ShardIterator=out["NextShardIterator"])
    eq(again["Records"], [], "records after the last one")

    # AT_TIMESTAMP with a datetime finds the record too.
    it = kinesis.get_shard_iterator(StreamName="py-main", ShardId="shardId-000000000000",
                                    ShardIteratorType="AT_TIMESTAMP",
                                    Timestamp=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1))
    out = kinesis.get_records(ShardIterator=it["ShardIterator"], Limit=1)
    eq([r["Data"] for r in out["Records"]], [data], "records AT_TIMESTAMP")


def check_put_records_partial_failure(kinesis):
    """A burst above the shard's 1 MiB/s fails per record, not as a whole."""
    entries = [{"Data": bytes([i % 256]) * 4096, "PartitionKey": f"pk-{i}"} for i in range(500)]
    out = kinesis.put_records(StreamName="py-throttled", Records=entries)
    results = out["Records"]
    eq(len(results), 500, "PutRecords result entries")
    failed = [i for i, r in enumerate(results) if "ErrorCode" in r]
    eq(out["FailedRecordCount"], len(failed), "FailedRecordCount")
    true(0 < len(failed) < 500, f"{len(failed)} of 500 records failed; want a partial failure")
    for i in failed:
        eq(results[i], {
            "ErrorCode": "ProvisionedThroughputExceededException",
            "ErrorMessage": f"Rate exceeded for shard shardId-000000000000 in stream py-throttled under account {ACCOUNT}.",
        }, f"failed entry {i}")
    written = [i for i, r in enumerate(results) if "ErrorCode" not in r]
    seqs = [results[i]["SequenceNumber"] for i in written]
    eq(seqs, sorted(seqs, key=int), "sequence numbers of the written records")
    for i in written:
        eq(results[i]["ShardId"], "shardId-000000000000", f"entry {i} shard")

    # Exactly the records reported written are in the shard, in order.
    it = kinesis.get_shard_iterator(StreamName="py-throttled", ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = kinesis.get_records(ShardIterator=it)["Records"]
    eq([(r["SequenceNumber"], r["Data"], r["PartitionKey"]) for r in got],
       [(results[i]["SequenceNumber"], entries[i]["Data"], entries[i]["PartitionKey"]) for i in written],
       "records stored by the partial PutRecords")


def check_pagination(kinesis):
    pages = list(kinesis.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1}))
    eq([p["StreamNames"] for p in pages], [["py-extra"], ["py-main"], ["py-throttled"]], "list_streams pages")
    eq([s["StreamName"] for p in pages for s in p["StreamSummaries"]], ["py-extra", "py-main", "py-throttled"],
       "list_streams summaries")

    want = ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    whole = list(kinesis.get_paginator("list_shards").paginate(StreamName="py-main"))
    eq([[s["ShardId"] for s in p["Shards"]] for p in whole], [want], "list_shards in one page")

    # botocore's ListShards paginator repeats StreamName next to NextToken,
    # which AWS refuses (boto/botocore#2009); the server must refuse it too.
    pages = kinesis.get_paginator("list_shards").paginate(StreamName="py-main", PaginationConfig={"PageSize": 1})
    try:
        list(pages)
    except ClientError as e:
        eq(e.response["Error"]["Code"], "InvalidArgumentException", "paginator error")
        eq(e.response["Error"]["Message"], "NextToken and StreamName cannot be provided together.", "paginator message")
    else:
        raise CheckFailed("ListShards accepted StreamName with NextToken")

    # Paging by hand, as AWS documents it, walks every shard.
    page = kinesis.list_shards(StreamName="py-main", MaxResults=1)
    seen = [s["ShardId"] for s in page["Shards"]]
    while "NextToken" in page:
        page = kinesis.list_shards(NextToken=page["NextToken"], MaxResults=1)
        seen += [s["ShardId"] for s in page["Shards"]]
    eq(seen, want, "ListShards pages by NextToken")

    for name in ("c1", "c2", "c3"):
        kinesis.register_stream_consumer(StreamARN=arn("py-extra"), ConsumerName=name)
    pages = list(kinesis.get_paginator("list_stream_consumers").paginate(
        StreamARN=arn("py-extra"), PaginationConfig={"PageSize": 1}))
    eq([[c["ConsumerName"] for c in p["Consumers"]] for p in pages], [["c1"], ["c2"], ["c3"]],
       "list_stream_consumers pages")


def check_errors(kinesis):
    e = expect_error("ResourceNotFoundException", f"Stream py-missing under account {ACCOUNT} not found.",
                     kinesis.describe_stream_summary, StreamName="py-missing")
    true(isinstance(e, kinesis.exceptions.ResourceNotFoundException), "not the modelled exception class")
    expect_error("ResourceInUseException", f"Stream py-main under account {ACCOUNT} already exists.",
                 kinesis.create_stream, StreamName="py-main", ShardCount=1)
    expect_error("ValidationException",
                 "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: "
                 "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                 kinesis.describe_stream_summary, StreamName="bad name!")
    expect_error("InvalidArgumentException",
                 "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber "
                 "or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
                 "Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.",
                 kinesis.get_shard_iterator, StreamName="py-main", ShardId="shardId-000000000000",
                 ShardIteratorType="AT_SEQUENCE_NUMBER")
    expect_error("InvalidArgumentException",
                 "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                 f"Specified value was {MAX_HASH + 1}",
                 kinesis.put_record, StreamName="py-main", Data=b"x", PartitionKey="k",
                 ExplicitHashKey=str(MAX_HASH + 1))

    unsigned = boto3.client("kinesis", endpoint_url=kinesis.meta.endpoint_url, region_name=REGION,
                            config=Config(signature_version=botocore.UNSIGNED, retries={"total_max_attempts": 1}))
    expect_error("MissingAuthenticationTokenException", "Missing Authentication Token",
                 unsigned.list_streams)


def main(endpoint):
    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION,
                           config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    checks = [
        check_create_and_wait,
        check_control_plane,
        check_binary_round_trip,
        check_put_records_partial_failure,
        check_pagination,
        check_errors,
    ]
    for check in checks:
        check(kinesis)
        print("ok", check.__name__)
    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}: all checks passed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: boto3_e2e.py ENDPOINT")
    try:
        main(sys.argv[1])
    except CheckFailed as e:
        sys.exit(f"FAIL: {e}")
