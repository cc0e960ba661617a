package queue

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Group commit: every state change that must reach the file is appended, as
// an op, to the current round while e.mu is held. One committer goroutine
// takes the whole round, writes it in a single bbolt transaction (one
// fsync) and then applies its in-memory effects; callers that need
// durability (send, delete) wait for the round's done channel. While one
// round commits, the next one fills up, so under load each fsync carries
// many messages.

// opKind says what an op writes.
type opKind uint8

const (
	opPut      opKind = iota // store a new message (and its dedup id)
	opDelete                 // delete a message and its receive count
	opCount                  // store a receive count (nobody waits)
	opMove                   // move a message to the dead-letter queue
	opDedupDel               // forget an expired dedup id
)

// op is one pending write.
type op struct {
	kind    opKind
	q       *equeue
	seq     uint64
	rec     []byte   // opPut: the record
	msg     *message // opPut, opMove: index entry to publish after commit
	group   string   // opPut, opMove: FIFO group id
	dedup   string   // opPut: FIFO dedup id; opDedupDel: the id
	dedupV  []byte   // opPut: dedup value
	dst     *equeue  // opMove: dead-letter queue
	dstSeq  uint64   // opMove: seq in the dead-letter queue
	count   int32    // opCount
	first   int64    // opCount: first receive, unix ms
	delayNs int64    // opPut: DelaySeconds as ns
}

// round is a set of ops committed together.
type round struct {
	ops     []op
	callers int // calls that wait for this round (see join)
	maxSeq  uint64
	done    chan struct{}
	err     error
}

func newRound() *round { return &round{done: make(chan struct{})} }

// enqueue appends an op to the current round and wakes the committer.
// Caller holds e.mu.
func (e *Embedded) enqueue(o op) *round {
	r := e.cur
	r.ops = append(r.ops, o)
	if o.kind == opPut && o.seq > r.maxSeq {
		r.maxSeq = o.seq
	}
	if o.kind == opMove && o.dstSeq > r.maxSeq {
		r.maxSeq = o.dstSeq
	}
	if len(r.ops) == 1 {
		e.cond.Signal()
	}
	return r
}

// join records that a caller will wait for r, so the committer knows how
// many concurrent callers a round served. Caller holds e.mu.
func (e *Embedded) join(r *round) {
	if r == e.cur {
		r.callers++
	}
}

// commitLoop is the committer goroutine.
func (e *Embedded) commitLoop() {
	defer close(e.done)
	lastPurge := time.Now()
	var target int // callers the next round should gather (see gather)
	var prevCommit time.Duration
	for {
		e.gather(target, prevCommit)
		e.mu.Lock()
		for len(e.cur.ops) == 0 && !e.closing {
			e.cond.Wait()
		}
		if now := time.Now(); now.Sub(lastPurge) > time.Second {
			lastPurge = now
			for _, q := range e.queues {
				for _, k := range q.purgeDedup(now.UnixNano()) {
					e.enqueue(op{kind: opDedupDel, q: q, dedup: k})
				}
			}
		}
		r := e.cur
		if len(r.ops) == 0 { // closing and nothing left
			e.mu.Unlock()
			close(r.done)
			return
		}
		e.cur = newRound()
		e.mu.Unlock()

		t0 := time.Now()
		err := e.db.Update(func(tx *bolt.Tx) error { return applyOps(tx, r) })
		prevCommit = time.Since(t0)
		e.commits.Add(1)
		e.commitOps.Add(int64(len(r.ops)))
		e.commitCallers.Add(int64(r.callers))
		e.commitNanos.Add(int64(prevCommit))

		e.mu.Lock()
		e.publish(r, err)
		target = 0
		if r.callers > 1 { // the released callers plus those already waiting
			target = r.callers + e.cur.callers
		}
		e.mu.Unlock()
		r.err = err
		r.ops = nil // dedup entries may keep r alive; drop the records
		close(r.done)
	}
}

// gather briefly delays the next commit while concurrent callers are
// still arriving. Without it, callers split into cohorts that alternate
// between commits (one waits on the running commit while the other fills
// the next round), dividing the messages per fsync. It waits until the
// round serves target callers (those just released by the last commit,
// which typically come straight back, plus those already waiting), or a
// quarter of the last commit's duration (at most 2 ms) has passed, so the
// cohorts merge into one. A lone caller (target 0) is never delayed.
func (e *Embedded) gather(target int, prevCommit time.Duration) {
	if target < 2 {
		return
	}
	deadline := time.Now().Add(min(prevCommit/4, 2*time.Millisecond))
	for {
		e.mu.Lock()
		n, closing := e.cur.callers, e.closing
		e.mu.Unlock()
		if n >= target || closing || !time.Now().Before(deadline) {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// EmbeddedStats describes the committer's work since OpenEmbedded.
type EmbeddedStats struct {
	// Commits is the number of bbolt transactions (each one fsync pair).
	Commits int64
	// Ops is the number of writes committed (messages stored or deleted,
	// receive counts, dead-letter moves).
	Ops int64
	// Callers is the number of send/delete calls that waited for a commit;
	// Callers/Commits is how many callers shared each fsync.
	Callers int64
	// CommitTime is the total time spent in commits.
	CommitTime time.Duration
}

// Stats returns the committer's counters.
func (e *Embedded) Stats() EmbeddedStats {
	return EmbeddedStats{Commits: e.commits.Load(), Ops: e.commitOps.Load(), Callers: e.commitCallers.Load(), CommitTime: time.Duration(e.commitNanos.Load())}
}

// qBuckets caches one queue's buckets within a transaction.
type qBuckets struct{ m, c, d *bolt.Bucket }

// applyOps writes r's ops in tx.
func applyOps(tx *bolt.Tx, r *round) error {
	root := tx.Bucket(bktQueues)
	cache := map[*equeue]qBuckets{}
	get := func(q *equeue) qBuckets {
		if b, ok := cache[q]; ok {
			return b
		}
		qb := root.Bucket(q.bucket)
		b := qBuckets{qb.Bucket(bktMsgs), qb.Bucket(bktCounts), qb.Bucket(bktDedup)}
		cache[q] = b
		return b
	}
	for i := range r.ops {
		o := &r.ops[i]
		b := get(o.q)
		k := seqKey(o.seq)
		switch o.kind {
		case opPut:
			if err := b.m.Put(k, o.rec); err != nil {
				return err
			}
			if o.dedup != "" {
				if err := b.d.Put([]byte(o.dedup), o.dedupV); err != nil {
					return err
				}
			}
		case opDelete:
			if err := b.m.Delete(k); err != nil {
				return err
			}
			if err := b.c.Delete(k); err != nil {
				return err
			}
		case opCount:
			if b.m.Get(k) == nil {
				continue
			}
			var v [12]byte
			binary.BigEndian.PutUint32(v[:], uint32(o.count))
			binary.BigEndian.PutUint64(v[4:], uint64(o.first))
			if err := b.c.Put(k, v[:]); err != nil {
				return err
			}
		case opMove:
			v := b.m.Get(k)
			if v == nil {
				continue
			}
			rec := append([]byte(nil), v...)
			if err := get(o.dst).m.Put(seqKey(o.dstSeq), rec); err != nil {
				return err
			}
			if err := b.m.Delete(k); err != nil {
				return err
			}
			if err := b.c.Delete(k); err != nil {
				return err
			}
		case opDedupDel:
			if err := b.d.Delete([]byte(o.dedup)); err != nil {
				return err
			}
		}
	}
	if r.maxSeq > 0 {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], r.maxSeq)
		if err := tx.Bucket(bktMeta).Put(keySeq, v[:]); err != nil {
			return err
		}
	}
	return nil
}

// publish applies a committed round to the in-memory index (or undoes what
// a failed one promised). Caller holds e.mu.
func (e *Embedded) publish(r *round, err error) {
	now := time.Now().UnixNano()
	woken := map[*equeue]bool{}
	for i := range r.ops {
		o := &r.ops[i]
		switch o.kind {
		case opPut:
			if err != nil {
				if d, ok := o.q.dedup[o.dedup]; ok && o.dedup != "" && d.seq == o.seq {
					delete(o.q.dedup, o.dedup)
				}
				continue
			}
			o.q.msgs[o.seq] = o.msg
			if o.delayNs > 0 {
				o.msg.state = stateDelayed
				o.msg.deadline = now + o.delayNs
				o.q.delayed++
				pushTimer(o.q, o.msg)
				woken[o.q] = true // receivers must learn the new deadline
				continue
			}
			o.q.makeVisible(o.msg, o.group)
			woken[o.q] = true
		case opMove:
			q, seq := o.dst, o.dstSeq
			if err != nil { // still stored in the source queue: put it back
				q, seq = o.q, o.seq
			}
			m := o.msg
			m.seq, m.group, m.tidx, m.vidx = seq, nil, -1, -1
			q.msgs[seq] = m
			q.makeVisible(m, o.group)
			woken[q] = true
		}
	}
	for q := range woken {
		q.notify()
	}
}
