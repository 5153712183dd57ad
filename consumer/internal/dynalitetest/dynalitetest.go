// Package dynalitetest runs dynalite, a DynamoDB-compatible server from
// npm, for tests of code that uses DynamoDB. The package.json and lock
// file are in consumer/testdata/dynalite; the first test to need the
// server installs it there with `npm ci`.
package dynalitetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
	installDynalite(t)
	cmd := exec.Command("node", "serve.js")
	cmd.Dir = dir()
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

var dynaliteInstall struct {
	once sync.Once
	err  error
}

// installDynalite runs `npm ci` in testdata/dynalite unless its
// node_modules is in place (npm writes node_modules/.package-lock.json
// last). A file lock keeps the test processes of several packages from
// installing at once.
func installDynalite(t testing.TB) {
	t.Helper()
	dynaliteInstall.once.Do(func() { dynaliteInstall.err = install(dir()) })
	if dynaliteInstall.err != nil {
		t.Fatalf("install dynalite: %v", dynaliteInstall.err)
	}
}

func install(dir string) error {
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	npm := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--omit=optional", "--no-audit", "--no-fund", "--loglevel=error")
	npm.Dir = dir
	if out, err := npm.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci: %w\n%s", err, out)
	}
	return nil
}
