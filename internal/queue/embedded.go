package queue

import (
	"container/heap"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// EmbeddedURLPrefix is how embedded queue URLs start: the URL of queue
// "orders" is "http://127.0.0.1/queue/orders". The host is never contacted;
// Embedded only looks at the last path segment, so SQS-style URLs
// (".../123456789012/orders") name the same queue.
const EmbeddedURLPrefix = "http://127.0.0.1/queue/"

// EmbeddedURL returns the embedded queue URL of the queue called name.
func EmbeddedURL(name string) string { return EmbeddedURLPrefix + name }

// EmbeddedARN returns the ARN the embedded queue reports for queue name
// (region "local", account 000000000000).
func EmbeddedARN(name string) string { return "arn:aws:sqs:local:000000000000:" + name }

// DefaultVisibilityTimeout is SQS's default visibility timeout.
const DefaultVisibilityTimeout = 30 * time.Second

// DedupWindow is how long a FIFO queue remembers a MessageDeduplicationId.
const DedupWindow = 5 * time.Minute

// ErrClosed is returned by Embedded's methods after Close.
var ErrClosed = errors.New("queue: embedded queue closed")

// QueueConfig declares one embedded queue.
type QueueConfig struct {
	// Name is the queue name (1-80 letters, digits, '-' or '_'; FIFO queues
	// end in ".fifo"). Required.
	Name string `json:"name"`
	// FIFO makes a FIFO queue: ordering within a message group, one in-flight
	// batch per group, deduplication. Requires the ".fifo" suffix. Default
	// false (standard queue).
	FIFO bool `json:"fifo,omitempty"`
	// VisibilityTimeout is how long a received message stays hidden unless
	// deleted. Default DefaultVisibilityTimeout (30 s).
	VisibilityTimeout time.Duration `json:"visibilityTimeout,omitempty"`
	// MaxReceiveCount, with DeadLetterQueue, moves a message to the
	// dead-letter queue when it is about to be received more than this many
	// times. Default 0: never dead-letter.
	MaxReceiveCount int `json:"maxReceiveCount,omitempty"`
	// DeadLetterQueue names the queue (of the same type, declared too) that
	// receives dead-lettered messages. Default none.
	DeadLetterQueue string `json:"deadLetterQueue,omitempty"`
	// ContentBasedDeduplication makes a FIFO queue derive a missing
	// MessageDeduplicationId from the body's SHA-256. Default false.
	ContentBasedDeduplication bool `json:"contentBasedDeduplication,omitempty"`
}

// Validate reports the first problem with c, naming the field and the fix.
func (c QueueConfig) Validate() error {
	name := strings.TrimSuffix(c.Name, ".fifo")
	if name == "" || len(c.Name) > 80 {
		return fmt.Errorf("queue: QueueConfig.Name %q must be 1-80 characters", c.Name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("queue: QueueConfig.Name %q may hold only letters, digits, '-' and '_'", c.Name)
		}
	}
	if c.FIFO != strings.HasSuffix(c.Name, ".fifo") {
		return fmt.Errorf("queue: QueueConfig %q: FIFO (%t) must match the \".fifo\" name suffix", c.Name, c.FIFO)
	}
	if c.VisibilityTimeout < 0 || c.VisibilityTimeout > 12*time.Hour {
		return fmt.Errorf("queue: QueueConfig %q: VisibilityTimeout (%s) must be between 0 and 12h", c.Name, c.VisibilityTimeout)
	}
	if c.MaxReceiveCount < 0 || c.MaxReceiveCount > 1000 {
		return fmt.Errorf("queue: QueueConfig %q: MaxReceiveCount (%d) must be between 0 and 1000", c.Name, c.MaxReceiveCount)
	}
	if (c.MaxReceiveCount > 0) != (c.DeadLetterQueue != "") {
		return fmt.Errorf("queue: QueueConfig %q: set both MaxReceiveCount and DeadLetterQueue, or neither", c.Name)
	}
	if c.DeadLetterQueue == c.Name && c.Name != "" {
		return fmt.Errorf("queue: QueueConfig %q: DeadLetterQueue must be another queue", c.Name)
	}
	if c.ContentBasedDeduplication && !c.FIFO {
		return fmt.Errorf("queue: QueueConfig %q: ContentBasedDeduplication needs a FIFO queue", c.Name)
	}
	return nil
}

// EmbeddedOptions configures OpenEmbedded.
type EmbeddedOptions struct {
	// Queues are created, or reconfigured when the file already has them.
	// Queues the file holds but Queues omits keep their stored config.
	Queues []QueueConfig
	// NoSync skips fsync on commit: faster, but a machine crash (not a
	// process crash) may lose acknowledged messages. Default false (durable).
	NoSync bool
	// MaxMessageBytes limits a message (body plus attributes) and a
	// SendMessageBatch call. Default MaxMessageBytes (256 KiB, what the
	// Producer enforces; SQS and moto now accept up to 1 MiB).
	MaxMessageBytes int
	// OpenTimeout bounds the wait for the file lock when another process has
	// the file open. Default 1 s.
	OpenTimeout time.Duration
}

// Embedded is an in-process queue service with SQS semantics, persisted in
// one bbolt file: SendMessage returns after the message is committed and
// fsynced (concurrent senders share one commit), so a process killed with
// SIGKILL loses no acknowledged message. It implements Sender and Receiver
// with the SDK's types; queue URLs are EmbeddedURL(name).
//
// Semantics kept from SQS: at-least-once delivery; received messages are
// invisible until deleted or until the visibility timeout expires, then
// redelivered with ApproximateReceiveCount incremented;
// ChangeMessageVisibility; dead-lettering when a message would be received
// more than MaxReceiveCount times; per-message DelaySeconds (standard
// queues); long polling (WaitTimeSeconds); FIFO queues with ordering per
// MessageGroupId, at most one in-flight batch per group and a five-minute
// deduplication window (explicit or content-based).
//
// Not kept: message retention (messages stay until deleted), queue-level
// delay, MD5OfMessageAttributes, permissions, tags. Receive counts are
// persisted lazily (a crash may lose the last increments: a message may be
// received slightly more often before dead-lettering), in-flight state is
// not persisted: after a restart every stored message is visible again.
type Embedded struct {
	db       *bolt.DB
	epoch    uint32
	maxBytes int

	mu      sync.Mutex
	cond    *sync.Cond // signals the committer: work pending or closing
	queues  map[string]*equeue
	seq     uint64 // last assigned message sequence number
	nonce   uint64 // last receipt nonce
	cur     *round // operations waiting for the next commit
	closing bool
	closed  chan struct{}
	done    chan struct{} // closed when the committer has exited

	commits, commitOps, commitCallers, commitNanos atomic.Int64 // see Stats
}

// equeue is one embedded queue's in-memory state.
type equeue struct {
	cfg      QueueConfig
	bucket   []byte
	msgs     map[uint64]*message // every stored, committed message
	visible  seqHeap             // standard queues
	groups   map[string]*group   // FIFO queues
	ready    groupHeap           // FIFO: unlocked groups with visible messages
	timers   timerHeap           // in-flight and delayed messages
	nvisible int
	inflight int
	delayed  int
	dedup    map[string]dedupEntry
	dedupLog []dedupRec    // insertion (= expiry) order, for purging
	wake     chan struct{} // closed (and replaced) by notify
	waiters  int           // long-polling receivers waiting on wake
}

// dedupEntry remembers a FIFO deduplication id.
type dedupEntry struct {
	expires int64 // unix ns
	id      string
	seq     uint64
	round   *round // commit that stores the original; nil when loaded
}

// dedupRec is a dedupLog entry.
type dedupRec struct {
	key     string
	expires int64
}

// bbolt layout: bucket "queues" → one bucket per queue name holding key
// "config" (QueueConfig JSON) and sub-buckets "m" (seq → record), "c" (seq →
// receive count, first receive ms) and "d" (dedup id → expiry ns, seq, id).
// Key "seq" of bucket "meta" holds the last sequence number.
var (
	bktQueues = []byte("queues")
	bktMeta   = []byte("meta")
	bktMsgs   = []byte("m")
	bktCounts = []byte("c")
	bktDedup  = []byte("d")
	keyConfig = []byte("config")
	keySeq    = []byte("seq")
)

// OpenEmbedded opens (creating if needed) the embedded queue file at path,
// loads its messages (all visible) and applies opts.Queues. Only one
// process may have the file open; Close releases it.
func OpenEmbedded(path string, opts EmbeddedOptions) (*Embedded, error) {
	names := map[string]QueueConfig{}
	for _, c := range opts.Queues {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		names[c.Name] = c
	}
	timeout := opts.OpenTimeout
	if timeout == 0 {
		timeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        timeout,
		NoSync:         opts.NoSync,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("open embedded queue %s: %w", path, err)
	}
	var ep [4]byte
	_, _ = rand.Read(ep[:])
	maxBytes := opts.MaxMessageBytes
	if maxBytes <= 0 {
		maxBytes = MaxMessageBytes
	}
	e := &Embedded{
		maxBytes: maxBytes,
		db:       db,
		epoch:    binary.BigEndian.Uint32(ep[:]),
		queues:   map[string]*equeue{},
		cur:      newRound(),
		closed:   make(chan struct{}),
		done:     make(chan struct{}),
	}
	e.cond = sync.NewCond(&e.mu)
	if err := e.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open embedded queue %s: %w", path, err)
	}
	for _, c := range opts.Queues {
		if c.DeadLetterQueue != "" {
			if _, ok := names[c.DeadLetterQueue]; !ok && e.queues[c.DeadLetterQueue] == nil {
				db.Close()
				return nil, fmt.Errorf("queue: QueueConfig %q: DeadLetterQueue %q is not declared", c.Name, c.DeadLetterQueue)
			}
		}
	}
	if len(opts.Queues) > 0 {
		if err := db.Update(func(tx *bolt.Tx) error {
			for _, c := range opts.Queues {
				if err := putConfig(tx, c); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			db.Close()
			return nil, fmt.Errorf("open embedded queue %s: create queues: %w", path, err)
		}
		for _, c := range opts.Queues {
			e.ensureQueue(c)
		}
	}
	for _, q := range e.queues {
		if d := q.cfg.DeadLetterQueue; d != "" {
			if dq := e.queues[d]; dq == nil || dq.cfg.FIFO != q.cfg.FIFO {
				db.Close()
				return nil, fmt.Errorf("queue: QueueConfig %q: DeadLetterQueue %q must exist and be of the same type (FIFO or standard)", q.cfg.Name, d)
			}
		}
	}
	go e.commitLoop()
	return e, nil
}

// CreateQueue declares a queue at run time (idempotent; an existing queue
// takes the new config) and returns its URL.
func (e *Embedded) CreateQueue(c QueueConfig) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		return "", ErrClosed
	}
	if d := c.DeadLetterQueue; d != "" {
		if dq := e.queues[d]; dq == nil || dq.cfg.FIFO != c.FIFO {
			e.mu.Unlock()
			return "", fmt.Errorf("queue: QueueConfig %q: DeadLetterQueue %q must exist and be of the same type (FIFO or standard)", c.Name, d)
		}
	}
	e.mu.Unlock()
	if err := e.db.Update(func(tx *bolt.Tx) error { return putConfig(tx, c) }); err != nil {
		return "", fmt.Errorf("create queue %s: %w", c.Name, err)
	}
	e.mu.Lock()
	e.ensureQueue(c)
	e.mu.Unlock()
	return EmbeddedURL(c.Name), nil
}

// putConfig stores c, creating the queue's buckets.
func putConfig(tx *bolt.Tx, c QueueConfig) error {
	root, err := tx.CreateBucketIfNotExists(bktQueues)
	if err != nil {
		return err
	}
	qb, err := root.CreateBucketIfNotExists([]byte(c.Name))
	if err != nil {
		return err
	}
	for _, n := range [][]byte{bktMsgs, bktCounts, bktDedup} {
		if _, err := qb.CreateBucketIfNotExists(n); err != nil {
			return err
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return qb.Put(keyConfig, b)
}

// ensureQueue creates the in-memory queue or updates its config. Caller
// holds e.mu (or is OpenEmbedded).
func (e *Embedded) ensureQueue(c QueueConfig) *equeue {
	if q := e.queues[c.Name]; q != nil {
		q.cfg = c
		return q
	}
	q := &equeue{
		cfg:    c,
		bucket: []byte(c.Name),
		msgs:   map[uint64]*message{},
		groups: map[string]*group{},
		dedup:  map[string]dedupEntry{},
		wake:   make(chan struct{}),
	}
	e.queues[c.Name] = q
	return q
}

// load rebuilds the in-memory index from the file.
func (e *Embedded) load() error {
	now := time.Now().UnixNano()
	return e.db.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bktMeta); b != nil {
			if v := b.Get(keySeq); len(v) == 8 {
				e.seq = binary.BigEndian.Uint64(v)
			}
		} else if _, err := tx.CreateBucket(bktMeta); err != nil {
			return err
		}
		root, err := tx.CreateBucketIfNotExists(bktQueues)
		if err != nil {
			return err
		}
		return root.ForEachBucket(func(name []byte) error {
			qb := root.Bucket(name)
			var c QueueConfig
			if err := json.Unmarshal(qb.Get(keyConfig), &c); err != nil {
				return fmt.Errorf("queue %s: config: %w", name, err)
			}
			q := e.ensureQueue(c)
			counts := qb.Bucket(bktCounts)
			err := qb.Bucket(bktMsgs).ForEach(func(k, v []byte) error {
				seq := binary.BigEndian.Uint64(k)
				var meta recordMeta
				if c.FIFO { // only FIFO queues need the group to rebuild the index
					var err error
					if meta, _, err = decodeRecord(v, false); err != nil {
						return fmt.Errorf("queue %s: message %d: %w", name, seq, err)
					}
				}
				m := &message{seq: seq, tidx: -1, vidx: -1}
				if cv := counts.Get(k); len(cv) == 12 {
					m.receives = int32(binary.BigEndian.Uint32(cv))
					m.firstRecv = int64(binary.BigEndian.Uint64(cv[4:]))
				}
				if seq > e.seq {
					e.seq = seq
				}
				q.msgs[seq] = m
				q.makeVisible(m, meta.Group)
				return nil
			})
			if err != nil {
				return err
			}
			var stale [][]byte
			err = qb.Bucket(bktDedup).ForEach(func(k, v []byte) error {
				if len(v) < 16 {
					return nil
				}
				exp := int64(binary.BigEndian.Uint64(v))
				if exp <= now {
					stale = append(stale, append([]byte(nil), k...))
					return nil
				}
				q.dedup[string(k)] = dedupEntry{expires: exp, seq: binary.BigEndian.Uint64(v[8:]), id: string(v[16:])}
				q.dedupLog = append(q.dedupLog, dedupRec{string(k), exp})
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range stale {
				if err := qb.Bucket(bktDedup).Delete(k); err != nil {
					return err
				}
			}
			// dedupLog must be in expiry order for purging.
			sortDedupLog(q.dedupLog)
			return nil
		})
	})
}

// makeVisible puts a committed (or returning) message in the visible set.
// groupID is needed only for a message that has no group yet (FIFO load or
// first commit).
func (q *equeue) makeVisible(m *message, groupID string) {
	m.state = stateVisible
	q.nvisible++
	q.notify()
	if !q.cfg.FIFO {
		heap.Push(&q.visible, m)
		return
	}
	g := m.group
	if g == nil {
		g = q.groups[groupID]
		if g == nil {
			g = &group{id: groupID, hidx: -1}
			q.groups[groupID] = g
		}
		m.group = g
	}
	// Insert in seq order: new messages append, returning ones go near the front.
	i := len(g.msgs)
	for i > 0 && g.msgs[i-1].seq > m.seq {
		i--
	}
	g.msgs = append(g.msgs, nil)
	copy(g.msgs[i+1:], g.msgs[i:])
	g.msgs[i] = m
	if g.inflight == 0 {
		if g.hidx < 0 {
			heap.Push(&q.ready, g)
		} else if i == 0 {
			heap.Fix(&q.ready, g.hidx)
		}
	}
}

// removeVisible takes a visible message out of the visible set.
func (q *equeue) removeVisible(m *message) {
	q.nvisible--
	if !q.cfg.FIFO {
		if m.vidx >= 0 {
			heap.Remove(&q.visible, int(m.vidx))
		}
		return
	}
	g := m.group
	for i, x := range g.msgs {
		if x == m {
			g.msgs = append(g.msgs[:i], g.msgs[i+1:]...)
			if g.hidx >= 0 {
				if len(g.msgs) == 0 {
					heap.Remove(&q.ready, g.hidx)
				} else if i == 0 {
					heap.Fix(&q.ready, g.hidx)
				}
			}
			break
		}
	}
	q.dropGroupIfIdle(g)
}

// dropGroupIfIdle forgets an empty, unlocked group.
func (q *equeue) dropGroupIfIdle(g *group) {
	if len(g.msgs) == 0 && g.inflight == 0 && g.hidx < 0 {
		delete(q.groups, g.id)
	}
}

// endInFlight ends an in-flight or delayed period (delete, timeout,
// visibility change) without deciding what comes next.
func (q *equeue) endInFlight(m *message) {
	if m.tidx >= 0 {
		heap.Remove(&q.timers, int(m.tidx))
	}
	switch m.state {
	case stateInFlight:
		q.inflight--
		if g := m.group; g != nil {
			g.inflight--
			if g.inflight == 0 && len(g.msgs) > 0 && g.hidx < 0 {
				heap.Push(&q.ready, g) // the group is unlocked
				q.notify()
			}
		}
	case stateDelayed:
		q.delayed--
	}
}

// remove forgets m entirely (deleted or dead-lettered).
func (q *equeue) remove(m *message) {
	if m.state == stateVisible {
		q.removeVisible(m)
	} else {
		q.endInFlight(m)
		if m.group != nil {
			q.dropGroupIfIdle(m.group)
		}
	}
	delete(q.msgs, m.seq)
}

// expire makes visible every in-flight or delayed message whose time has
// come, and reports whether any did.
func (q *equeue) expire(now int64) bool {
	woke := false
	for len(q.timers) > 0 && q.timers[0].deadline <= now {
		m := q.timers[0]
		q.endInFlight(m)
		q.makeVisible(m, "")
		woke = true
	}
	return woke
}

// nextDeadline returns the earliest in-flight/delayed deadline, or 0.
func (q *equeue) nextDeadline() int64 {
	if len(q.timers) == 0 {
		return 0
	}
	return q.timers[0].deadline
}

// notify wakes long-polling receivers of q, if any, so they look again:
// called whenever a message may have become receivable or the earliest
// visibility deadline moved. Caller holds e.mu.
func (q *equeue) notify() {
	if q.waiters == 0 {
		return
	}
	close(q.wake)
	q.wake = make(chan struct{})
}

// purgeDedup forgets expired deduplication ids and returns their keys
// (to delete from the file).
func (q *equeue) purgeDedup(now int64) []string {
	var keys []string
	i := 0
	for ; i < len(q.dedupLog) && q.dedupLog[i].expires <= now; i++ {
		r := q.dedupLog[i]
		if d, ok := q.dedup[r.key]; ok && d.expires == r.expires {
			delete(q.dedup, r.key)
			keys = append(keys, r.key)
		}
	}
	if i > 0 {
		q.dedupLog = append(q.dedupLog[:0], q.dedupLog[i:]...)
	}
	return keys
}

// counts expires due visibility timeouts and delays of queue name (waking
// its long polls when messages became visible) and returns its visible,
// in-flight and delayed message counts; zeros for an unknown queue.
func (e *Embedded) counts(name string) (visible, inflight, delayed int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queues[name]
	if q == nil {
		return 0, 0, 0
	}
	if q.expire(time.Now().UnixNano()) {
		q.notify()
	}
	return q.nvisible, q.inflight, q.delayed
}

// Depth returns the number of visible messages of queue name (SQS's
// ApproximateNumberOfMessages); 0 for an unknown queue.
func (e *Embedded) Depth(name string) int {
	v, _, _ := e.counts(name)
	return v
}

// InFlight returns the number of received, not yet deleted messages whose
// visibility timeout has not expired (ApproximateNumberOfMessagesNotVisible);
// 0 for an unknown queue.
func (e *Embedded) InFlight(name string) int {
	_, n, _ := e.counts(name)
	return n
}

// Delayed returns the number of messages of queue name still in their
// DelaySeconds; 0 for an unknown queue.
func (e *Embedded) Delayed(name string) int {
	_, _, d := e.counts(name)
	return d
}

// Queues returns the configs of all queues, in no particular order.
func (e *Embedded) Queues() []QueueConfig {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]QueueConfig, 0, len(e.queues))
	for _, q := range e.queues {
		out = append(out, q.cfg)
	}
	return out
}

// Path returns the bbolt file's path.
func (e *Embedded) Path() string { return e.db.Path() }

// Close waits for pending commits, stops long polls and closes the file.
// Methods called afterwards return ErrClosed.
func (e *Embedded) Close() error {
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		<-e.done
		return nil
	}
	e.closing = true
	close(e.closed)
	e.cond.Broadcast()
	e.mu.Unlock()
	<-e.done
	if err := e.db.Close(); err != nil {
		return fmt.Errorf("close embedded queue: %w", err)
	}
	return nil
}

// seqKey encodes a sequence number as a bbolt key (big-endian: send order).
func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}
