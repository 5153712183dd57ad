// Package e2e tests runnel end to end with clients that nobody on the team
// wrote: the AWS CLI, boto3, requests encoded the way the AWS SDK for Java
// encodes CBOR, Go's HTTP/2 client in its three connection modes, and raw
// HTTP requests that probe the protocol's error paths. Every test starts the
// real server in process (package testserver) on 127.0.0.1 and talks to it
// over the loopback interface only.
//
// The package also holds FuzzServeHTTP, which drives the API handler with
// arbitrary bodies for every operation in both codecs.
//
// The tests need `aws` (v1 or v2) and a python3 with boto3 on PATH; they
// run them with a scrubbed environment (temporary HOME, config and
// credentials files, no AWS_* variables from the host) so that the
// machine's AWS configuration cannot change the outcome.
package e2e
