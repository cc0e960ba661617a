package queue_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/campaignkit/campaignkit/internal/queue"
)

// The kill -9 test re-executes this test binary as a child that sends
// messages as fast as it can and prints "ack <body>" for each one the queue
// acknowledged; the parent kills it with SIGKILL mid-burst.
const (
	killChildEnv    = "QUEUE_KILL_CHILD"  // the queue file: run as child
	killPrefixEnv   = "QUEUE_KILL_PREFIX" // body prefix of this child
	killSingleSend  = 12                  // goroutines using SendMessage
	killBatchSend   = 4                   // goroutines using SendMessageBatch
	killQueue       = "burst"             // the queue the child writes to
	killFIFOQueue   = "burst.fifo"        // and its FIFO sibling
	killAckPrefix   = "ack "              // line prefix of an acknowledged body
	killMinAcks     = 3000                // acks to see before killing
	killTimeout     = 60 * time.Second    // give up waiting for acks
	drainVisibility = 600                 // visibility while draining, seconds
)

// killChild is the child's main: it never returns normally.
func killChild(path string) int {
	prefix := os.Getenv(killPrefixEnv)
	e, err := queue.OpenEmbedded(path, queue.EmbeddedOptions{OpenTimeout: 10 * time.Second, Queues: []queue.QueueConfig{
		{Name: killQueue}, {Name: killFIFOQueue, FIFO: true},
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 2
	}
	var mu sync.Mutex
	ack := func(bodies ...string) {
		var b strings.Builder
		for _, s := range bodies {
			b.WriteString(killAckPrefix + s + "\n")
		}
		mu.Lock()
		os.Stdout.WriteString(b.String()) // unbuffered: one write(2) per call
		mu.Unlock()
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child send:", err)
		os.Exit(3)
	}
	ctx := context.Background()
	for g := range killSingleSend {
		go func() {
			for i := 0; ; i++ {
				body := fmt.Sprintf("%s-s%02d-%07d", prefix, g, i)
				in := &sqs.SendMessageInput{QueueUrl: aws.String(queue.EmbeddedURL(killQueue)), MessageBody: aws.String(body)}
				if g%4 == 0 { // some go to the FIFO queue, deduplicated by body
					in.QueueUrl = aws.String(queue.EmbeddedURL(killFIFOQueue))
					in.MessageGroupId, in.MessageDeduplicationId = aws.String(strconv.Itoa(i%7)), aws.String(body)
				}
				if _, err := e.SendMessage(ctx, in); err != nil {
					fail(err)
				}
				ack(body)
			}
		}()
	}
	for g := range killBatchSend {
		go func() {
			for i := 0; ; i++ {
				in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(queue.EmbeddedURL(killQueue))}
				var bs []string
				for j := range 10 {
					body := fmt.Sprintf("%s-b%02d-%07d-%d", prefix, g, i, j)
					bs = append(bs, body)
					in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(body)})
				}
				out, err := e.SendMessageBatch(ctx, in)
				if err != nil {
					fail(err)
				}
				if len(out.Failed) > 0 {
					fail(fmt.Errorf("batch entries failed: %+v", out.Failed))
				}
				ack(bs...)
			}
		}()
	}
	select {} // until SIGKILL
}

// runKilledChild starts a child on path, kills it after at least minAcks
// acknowledgements and returns the acknowledged bodies.
func runKilledChild(t *testing.T, path, prefix string, minAcks int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path, killPrefixEnv+"="+prefix)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(killTimeout, func() { cmd.Process.Kill() })
	defer timer.Stop()
	var acked []string
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() { // after the kill, read what the child wrote before it died
		line := sc.Text()
		if body, ok := strings.CutPrefix(line, killAckPrefix); ok {
			acked = append(acked, body)
		}
		if !killed && len(acked) >= minAcks {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !killed || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed mid-burst (acks %d, err %v): %s", len(acked), err, stderr.String())
	}
	return acked
}

// drain receives and deletes every message of url, counting bodies.
func drain(t *testing.T, e *queue.Embedded, url string, counts map[string]int) {
	t.Helper()
	ctx := context.Background()
	for {
		out, err := e.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: drainVisibility})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return
		}
		var entries []types.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			counts[aws.ToString(m.Body)]++
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if _, err := e.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKill9LosesNoAcknowledgedMessage: GIVEN a process sending a burst to
// an embedded queue, WHEN it is killed with SIGKILL (twice, the second
// child continuing on the recovered file), THEN after reopening every
// acknowledged message is stored exactly once.
func TestKill9LosesNoAcknowledgedMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "burst.db")
	var acked []string
	for _, prefix := range []string{"one", "two"} {
		acked = append(acked, runKilledChild(t, path, prefix, killMinAcks)...)
	}
	e, err := queue.OpenEmbedded(path, queue.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	counts := map[string]int{}
	drain(t, e, queue.EmbeddedURL(killQueue), counts)
	drain(t, e, queue.EmbeddedURL(killFIFOQueue), counts)
	missing := 0
	for _, b := range acked {
		if counts[b] != 1 {
			missing++
			if missing < 10 {
				t.Errorf("acknowledged message %s stored %d times, want 1", b, counts[b])
			}
		}
	}
	dups := 0
	for b, n := range counts {
		if n > 1 {
			dups++
			if dups < 10 {
				t.Errorf("message %s stored %d times", b, n)
			}
		}
	}
	t.Logf("acknowledged %d, stored %d (the rest were committed but the child died before printing the ack)", len(acked), len(counts))
	if missing > 0 || dups > 0 {
		t.Fatalf("%d acknowledged messages lost, %d duplicated", missing, dups)
	}
}
