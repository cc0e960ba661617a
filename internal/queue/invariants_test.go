package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// checkInvariants verifies the in-memory index of every queue. Caller
// must not hold e.mu.
func (e *Embedded) checkInvariants() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for name, q := range e.queues {
		var vis, inf, del int
		for seq, m := range q.msgs {
			if m.seq != seq {
				return fmt.Errorf("%s: message %d indexed as %d", name, m.seq, seq)
			}
			switch m.state {
			case stateVisible:
				vis++
				if !q.cfg.FIFO && (m.vidx < 0 || int(m.vidx) >= len(q.visible) || q.visible[m.vidx] != m) {
					return fmt.Errorf("%s: visible message %d not in the visible heap", name, seq)
				}
			case stateInFlight, stateDelayed:
				if m.state == stateInFlight {
					inf++
				} else {
					del++
				}
				if m.tidx < 0 || int(m.tidx) >= len(q.timers) || q.timers[m.tidx] != m {
					return fmt.Errorf("%s: hidden message %d not in the timer heap", name, seq)
				}
			}
		}
		if vis != q.nvisible || inf != q.inflight || del != q.delayed {
			return fmt.Errorf("%s: counted %d/%d/%d visible/in flight/delayed, index says %d/%d/%d", name, vis, inf, del, q.nvisible, q.inflight, q.delayed)
		}
		if len(q.timers) != inf+del {
			return fmt.Errorf("%s: %d timers for %d hidden messages", name, len(q.timers), inf+del)
		}
		if !q.cfg.FIFO {
			if len(q.visible) != vis {
				return fmt.Errorf("%s: visible heap %d, visible %d", name, len(q.visible), vis)
			}
			continue
		}
		gvis, ginf := 0, map[*group]int{}
		for _, m := range q.msgs {
			if m.state == stateInFlight {
				ginf[m.group]++
			}
		}
		for id, g := range q.groups {
			if g.id != id {
				return fmt.Errorf("%s: group %q indexed as %q", name, g.id, id)
			}
			for i, m := range g.msgs {
				if m.state != stateVisible || m.group != g || i > 0 && g.msgs[i-1].seq >= m.seq {
					return fmt.Errorf("%s: group %s message %d out of place", name, id, m.seq)
				}
			}
			gvis += len(g.msgs)
			if g.inflight != ginf[g] {
				return fmt.Errorf("%s: group %s says %d in flight, has %d", name, id, g.inflight, ginf[g])
			}
			ready := g.inflight == 0 && len(g.msgs) > 0
			if ready != (g.hidx >= 0) || g.hidx >= 0 && q.ready[g.hidx] != g {
				return fmt.Errorf("%s: group %s ready=%t but heap index %d", name, id, ready, g.hidx)
			}
		}
		if gvis != vis {
			return fmt.Errorf("%s: groups hold %d visible, index %d", name, gvis, vis)
		}
	}
	return nil
}

// TestEmbeddedStress runs concurrent senders and consumers that delete,
// abandon, or release messages at random, checking the index invariants
// throughout and that every message is finally consumed or dead-lettered.
func TestEmbeddedStress(t *testing.T) {
	e, err := OpenEmbedded(filepath.Join(t.TempDir(), "q.db"), EmbeddedOptions{NoSync: true, Queues: []QueueConfig{
		{Name: "dlq"}, {Name: "dlq.fifo", FIFO: true},
		{Name: "std", VisibilityTimeout: 50 * time.Millisecond, MaxReceiveCount: 4, DeadLetterQueue: "dlq"},
		{Name: "f.fifo", FIFO: true, VisibilityTimeout: 50 * time.Millisecond, MaxReceiveCount: 4, DeadLetterQueue: "dlq.fifo"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const perQueue = 2000
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, name := range []string{"std", "f.fifo"} {
		url := EmbeddedURL(name)
		for s := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perQueue / 4 {
					in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("%d-%d", s, i))}
					if name == "f.fifo" {
						in.MessageGroupId = aws.String(strconv.Itoa(i % 13))
						in.MessageDeduplicationId = aws.String(fmt.Sprintf("%d-%d", s, i))
					}
					if _, err := e.SendMessage(ctx, in); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	var mu sync.Mutex
	consumed := map[string]map[string]bool{"std": {}, "f.fifo": {}}
	done := make(chan struct{})
	var cwg sync.WaitGroup
	for _, name := range []string{"std", "f.fifo"} {
		url := EmbeddedURL(name)
		for c := range 3 {
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				rng := rand.New(rand.NewPCG(uint64(c), 7))
				for {
					select {
					case <-done:
						return
					default:
					}
					out, err := e.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
					if err != nil {
						t.Error(err)
						return
					}
					for _, m := range out.Messages {
						switch r := rng.IntN(10); {
						case r < 6:
							if _, err := e.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
								t.Error(err)
							}
							mu.Lock()
							consumed[name][aws.ToString(m.Body)] = true
							mu.Unlock()
						case r < 8:
							// MessageNotInflight: its 50 ms visibility already ran out, as on SQS.
							if _, err := e.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil && !errors.As(err, new(*types.MessageNotInflight)) {
								t.Error(err)
							}
						default: // abandon: visibility timeout returns it
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if err := e.checkInvariants(); err != nil {
			t.Fatal(err)
		}
		if e.Depth("std")+e.InFlight("std")+e.Depth("f.fifo")+e.InFlight("f.fifo") == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(done)
	cwg.Wait()
	if err := e.checkInvariants(); err != nil {
		t.Fatal(err)
	}
	// Every message was consumed or dead-lettered. (A consumer whose
	// visibility ran out may "delete" a message that meanwhile went to the
	// DLQ: the call succeeds without deleting, as on SQS, so the two sets
	// may overlap.)
	for _, pair := range [][2]string{{"std", "dlq"}, {"f.fifo", "dlq.fifo"}} {
		if left := e.Depth(pair[0]) + e.InFlight(pair[0]); left != 0 {
			t.Errorf("%s: %d messages left", pair[0], left)
		}
		all := map[string]bool{}
		for b := range consumed[pair[0]] {
			all[b] = true
		}
		dead := 0
		for {
			out, err := e.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(EmbeddedURL(pair[1])), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) == 0 {
				break
			}
			for _, m := range out.Messages { // delete: FIFO groups stay locked otherwise
				all[aws.ToString(m.Body)] = true
				dead++
				if _, err := e.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(EmbeddedURL(pair[1])), ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(all) != perQueue {
			t.Errorf("%s: %d distinct messages consumed or dead-lettered, want %d", pair[0], len(all), perQueue)
		}
		t.Logf("%s: %d consumed, %d dead-lettered", pair[0], len(consumed[pair[0]]), dead)
	}
}
