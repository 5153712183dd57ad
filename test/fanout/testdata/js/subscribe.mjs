// subscribe.mjs subscribes to shards with the AWS SDK for JavaScript v3 on
// behalf of the Go tests in test/fanout (js_test.go), which drive it over
// stdin and stdout with one JSON object per line.
//
// Usage: node subscribe.mjs ENDPOINT HANDLER
//
// HANDLER is "default" (the client's own request handler, NodeHttp2Handler:
// HTTP/2 with prior knowledge on http://, h2 via ALPN on https://) or "http1"
// (NodeHttpHandler, HTTP/1.1).
//
// Commands (stdin):
//   {"op":"subscribe","sub":ID,"consumer":ARN,"shard":SHARD,"type":TYPE,"seq":SEQ}
//   {"op":"close","sub":ID}
// Replies (stdout), each tagged with the subscription's ID:
//   {"sub":ID,"type":"subscribed","protocol":"http/1.1"|"h2"|"h2c"}
//   {"sub":ID,"type":"event","event":{...}}  one SubscribeToShardEvent, Data in base64,
//                                           ApproximateArrivalTimestamp in Unix ms
//   {"sub":ID,"type":"end","error":""|"Code: message"}  last reply of a subscription
// A subscription is read with `for await` over the SDK's EventStream; close
// aborts it. End of stdin ends every subscription and the process.

import { createInterface } from "node:readline";
import { KinesisClient, SubscribeToShardCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";

const [endpoint, handler] = process.argv.slice(2);
if (!endpoint || !["default", "http1"].includes(handler)) {
  console.error("usage: node subscribe.mjs ENDPOINT default|http1");
  process.exit(2);
}

const client = new KinesisClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDFANOUTJS", secretAccessKey: "fanout-secret" },
  maxAttempts: 1,
  ...(handler === "http1" ? { requestHandler: new NodeHttpHandler() } : {}),
});

const aborts = new Map(); // subscription ID -> AbortController

function reply(msg) {
  process.stdout.write(JSON.stringify(msg) + "\n");
}

// protocolOf names the protocol a response arrived over, from the Node
// object the handler left as the body: an http.IncomingMessage for HTTP/1.x,
// an http2 stream whose session negotiated "h2" (TLS) or "h2c" otherwise.
function protocolOf(body) {
  if (body?.httpVersion) return "http/" + body.httpVersion;
  if (body?.session) return body.session.alpnProtocol;
  return "unknown";
}

function toEvent(ev) {
  return {
    Records: (ev.Records ?? []).map((r) => ({
      SequenceNumber: r.SequenceNumber,
      PartitionKey: r.PartitionKey,
      Data: Buffer.from(r.Data).toString("base64"),
      ApproximateArrivalTimestamp: r.ApproximateArrivalTimestamp.getTime(),
    })),
    ContinuationSequenceNumber: ev.ContinuationSequenceNumber ?? null,
    MillisBehindLatest: ev.MillisBehindLatest,
    ChildShards: ev.ChildShards ?? null,
  };
}

function errorText(err) {
  return `${err.name}: ${err.message}`;
}

async function subscribe(cmd) {
  const abort = new AbortController();
  aborts.set(cmd.sub, abort);
  let protocol = "unknown";
  const command = new SubscribeToShardCommand({
    ConsumerARN: cmd.consumer,
    ShardId: cmd.shard,
    StartingPosition: { Type: cmd.type, ...(cmd.seq ? { SequenceNumber: cmd.seq } : {}) },
  });
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      protocol = protocolOf(result.response.body);
      return result;
    },
    { step: "deserialize", name: "recordProtocol" },
  );
  let error = "";
  try {
    const out = await client.send(command, { abortSignal: abort.signal });
    reply({ sub: cmd.sub, type: "subscribed", protocol });
    for await (const ev of out.EventStream) {
      if (!ev.SubscribeToShardEvent) {
        throw new Error("unexpected event " + JSON.stringify(Object.keys(ev)));
      }
      reply({ sub: cmd.sub, type: "event", event: toEvent(ev.SubscribeToShardEvent) });
    }
  } catch (err) {
    error = errorText(err);
  } finally {
    aborts.delete(cmd.sub);
  }
  if (abort.signal.aborted) {
    // Over HTTP/2 the aborted stream just ends; over HTTP/1.1 it throws.
    error = "closed";
  }
  reply({ sub: cmd.sub, type: "end", error });
}

const running = [];
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line);
  switch (cmd.op) {
    case "subscribe":
      running.push(subscribe(cmd));
      break;
    case "close":
      aborts.get(cmd.sub)?.abort();
      break;
    default:
      console.error("unknown command", line);
      process.exit(2);
  }
}
for (const abort of aborts.values()) abort.abort();
await Promise.all(running);
client.destroy();
