// Package fanout tests runnel's enhanced fan-out (SubscribeToShard) with
// the clients people consume it with: aws-sdk-go-v2 over HTTP/1.1, over
// HTTP/2 negotiated by ALPN on TLS and over HTTP/2 with prior knowledge on
// the plain port; the AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis)
// with its default HTTP/2 handler, over h2c and over TLS, and with its
// HTTP/1.1 handler; and botocore's subscribe_to_shard, over http:// and
// https://. Every client runs one scenario (scenario_test.go): records put
// before and after it subscribed, a resume from a continuation sequence
// number, and a resharding whose parent stream ends with its children.
// Records are compared exactly: sequence number, partition key, data and
// arrival time, in order.
//
// Beside it: a reader that stops reading, to show that the server's memory
// and its other clients do not depend on it, and botocore's view of the
// idle heartbeat.
//
// Every test starts the real server in process (package testserver) on
// 127.0.0.1. The JavaScript client runs testdata/js/subscribe.mjs with the
// exact dependencies of testdata/js/package-lock.json, which the first test
// that needs them installs with `npm ci` into the user's cache directory
// (jsModules); botocore's runs testdata/botocore_subscribe.py with the
// python3 on PATH. Both are driven over stdin and stdout (driver_test.go).
package fanout
