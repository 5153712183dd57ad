package bench

import (
	"io"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Dummy credentials: local endpoints check only that requests are signed.
const (
	accessKeyID     = "AKIDRUNNELBENCH"
	secretAccessKey = "runnel-bench-secret"
)

// newClient returns a Kinesis client for cfg that never retries, so that
// every failure reaches the report.
func newClient(cfg Config, httpClient *http.Client) *kinesis.Client {
	opts := kinesis.Options{
		Region:      cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""),
		HTTPClient:  readOnlyBodies{httpClient},
		Retryer:     aws.NopRetryer{},
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	return kinesis.New(opts)
}

// newHTTPClient returns the client all workers share, with an idle
// connection kept for each of conns concurrent callers so that connections
// are reused rather than redialled. It ignores proxy settings: a proxy would
// be measured along with the endpoint.
func newHTTPClient(conns int) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		DialContext:           dialer.DialContext,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		ForceAttemptHTTP2:     true,
	}}
}

// readOnlyBodies works around a race in smithy-go (seen in v1.28.8): the SDK
// closes a request's body as soon as the response headers arrive, and once
// closed, the body's WriteTo returns io.EOF. net/http ends every body it sends
// with a last WriteTo that checks for excess bytes; when the server answers
// before that call, net/http takes the io.EOF for a failed request, closes
// the connection and the response body with it, and the call fails with "use
// of closed network connection". Hiding WriteTo makes net/http use Read, which
// returns io.EOF after Close, the ordinary end of a body.
type readOnlyBodies struct {
	client *http.Client
}

func (c readOnlyBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = readOnlyBody{req.Body}
	}
	return c.client.Do(req)
}

// readOnlyBody hides every method of a body but Read and Close.
type readOnlyBody struct {
	body io.ReadCloser
}

func (b readOnlyBody) Read(p []byte) (int, error) { return b.body.Read(p) }
func (b readOnlyBody) Close() error               { return b.body.Close() }
