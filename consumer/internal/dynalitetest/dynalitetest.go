// Package dynalitetest runs dynalite, a DynamoDB-compatible server from
// npm, for tests of code that uses DynamoDB. The package.json and lock
// file are in consumer/testdata/dynalite; the first test to need the
// server installs them with `npm ci` into the user's cache (npmtest).
package dynalitetest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/runnel-dev/runnel/internal/npmtest"
)

// dir holds dynalite's package.json, lock file and the script that runs
// it, found from this file's location so that any package's tests can
// use it.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "dynalite")
}

// Start runs dynalite on 127.0.0.1 until the test ends and returns a
// client for it.
func Start(t testing.TB) *dynamodb.Client {
	t.Helper()
	modules := npmtest.Modules(t, dir(), "dynalite")
	cmd := exec.Command("node", filepath.Join(dir(), "serve.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(modules, "node_modules"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dynalite: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close() // serve.js exits when its stdin closes
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		port <- strings.TrimSpace(line)
	}()
	var p string
	select {
	case p = <-port:
	case <-time.After(20 * time.Second):
		t.Fatal("dynalite did not start in 20s")
	}
	if _, err := strconv.Atoi(p); err != nil {
		t.Fatalf("dynalite printed %q, want a port", p)
	}
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:" + p),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}
