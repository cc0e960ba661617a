package queue

import (
	"container/heap"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// The SQS API of Embedded. Errors are the SDK's error types where SQS has
// one (types.QueueDoesNotExist, types.ReceiptHandleIsInvalid,
// types.MessageNotInflight, types.TooManyEntriesInBatchRequest, ...),
// otherwise a smithy.GenericAPIError with SQS's code (InvalidParameterValue,
// MissingParameter), wrapped with context; test them with errors.As.

// Limits SQS enforces and Embedded copies.
const (
	maxDelaySeconds      = 900
	maxVisibilitySeconds = 43200
	maxWaitSeconds       = 20
)

func apiErr(code, format string, args ...any) error {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

func invalidParam(format string, args ...any) error {
	return apiErr("InvalidParameterValue", format, args...)
}

// queueName takes the queue name from a queue URL: its last path segment.
func queueName(url string) string {
	url = strings.TrimRight(url, "/")
	if i := strings.LastIndexByte(url, '/'); i >= 0 {
		return url[i+1:]
	}
	return url
}

// lookup returns the queue of url. Caller holds e.mu.
func (e *Embedded) lookup(url *string) (*equeue, error) {
	if e.closing {
		return nil, ErrClosed
	}
	q := e.queues[queueName(aws.ToString(url))]
	if q == nil {
		return nil, &types.QueueDoesNotExist{Message: aws.String("The specified queue does not exist: " + aws.ToString(url))}
	}
	return q, nil
}

// sendReq is one message to send, from SendMessage or a batch entry.
type sendReq struct {
	body  string
	attrs map[string]types.MessageAttributeValue
	group string
	dedup string
	delay int32
	// filled by prepare
	id  string
	rec []byte
}

// prepare validates r against the queue config and encodes its record.
func prepareSend(cfg QueueConfig, r *sendReq, maxBytes int) error {
	if r.body == "" {
		return apiErr("MissingParameter", "The request must contain the parameter MessageBody.")
	}
	if n := len(r.body) + attrsSize(r.attrs); n > maxBytes {
		return invalidParam("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", maxBytes)
	}
	if !validBody(r.body) {
		return &types.InvalidMessageContents{Message: aws.String("Invalid characters found in the message body.")}
	}
	if len(r.attrs) > 10 {
		return invalidParam("Number of message attributes [%d] exceeds the allowed maximum [10].", len(r.attrs))
	}
	for k, v := range r.attrs {
		t := aws.ToString(v.DataType)
		if k == "" || !(strings.HasPrefix(t, "String") || strings.HasPrefix(t, "Number") || strings.HasPrefix(t, "Binary")) {
			return invalidParam("The message attribute '%s' has an invalid message attribute type '%s'.", k, t)
		}
	}
	if r.delay < 0 || r.delay > maxDelaySeconds {
		return invalidParam("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and %d.", r.delay, maxDelaySeconds)
	}
	if cfg.FIFO {
		if r.group == "" {
			return apiErr("MissingParameter", "The request must contain the parameter MessageGroupId.")
		}
		if !validSQSID(r.group) {
			return invalidParam("Value %s for parameter MessageGroupId is invalid.", r.group)
		}
		if r.delay != 0 {
			return invalidParam("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", r.delay)
		}
		if r.dedup == "" {
			if !cfg.ContentBasedDeduplication {
				return invalidParam("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(r.body))
			r.dedup = hex.EncodeToString(sum[:])
		} else if !validSQSID(r.dedup) {
			return invalidParam("Value %s for parameter MessageDeduplicationId is invalid.", r.dedup)
		}
	} else {
		if r.dedup != "" {
			return invalidParam("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", r.dedup)
		}
		r.group = "" // fair queues: accepted, no ordering
	}
	r.id = uuid.NewString() // SQS message ids are UUIDs
	rec, err := encodeRecord(recordMeta{ID: r.id, Group: r.group, Dedup: r.dedup, Sent: time.Now().UnixMilli(), Attrs: toRecordAttrs(r.attrs)}, r.body)
	if err != nil {
		return invalidParam("message attributes: %v", err)
	}
	r.rec = rec
	return nil
}

// validBody reports whether body holds only characters SQS accepts:
// #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
func validBody(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != 0x9 && c != 0xA && c != 0xD {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r > 0xD7FF && r < 0xE000 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// admit stores a prepared message in the current round, or finds the
// original of a FIFO duplicate. It returns the round to wait for, the
// message id and sequence number. Caller holds e.mu.
func (e *Embedded) admit(q *equeue, r *sendReq) (*round, string, uint64) {
	now := time.Now().UnixNano()
	if r.dedup != "" {
		if d, ok := q.dedup[r.dedup]; ok && d.expires > now {
			return d.round, d.id, d.seq
		}
	}
	e.seq++
	seq := e.seq
	o := op{kind: opPut, q: q, seq: seq, rec: r.rec, group: r.group, msg: &message{seq: seq, tidx: -1, vidx: -1}, delayNs: int64(r.delay) * int64(time.Second)}
	if r.dedup != "" {
		exp := now + int64(DedupWindow)
		v := make([]byte, 16+len(r.id))
		binary.BigEndian.PutUint64(v, uint64(exp))
		binary.BigEndian.PutUint64(v[8:], seq)
		copy(v[16:], r.id)
		o.dedup, o.dedupV = r.dedup, v
		rd := e.cur
		q.dedup[r.dedup] = dedupEntry{expires: exp, id: r.id, seq: seq, round: rd}
		q.dedupLog = append(q.dedupLog, dedupRec{r.dedup, exp})
	}
	return e.enqueue(o), r.id, seq
}

// wait blocks until r is committed (or ctx ends: the message may still be
// committed, as with a lost SQS response).
func wait(ctx context.Context, r *round) error {
	if r == nil {
		return nil
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// configOf returns q's config under the lock.
func (e *Embedded) configOf(url *string) (*equeue, QueueConfig, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q, err := e.lookup(url)
	if err != nil {
		return nil, QueueConfig{}, err
	}
	return q, q.cfg, nil
}

// SendMessage stores one message and returns once it is fsynced. On FIFO
// queues a duplicate MessageDeduplicationId within DedupWindow is accepted
// and dropped, returning the original's id.
func (e *Embedded) SendMessage(ctx context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q, cfg, err := e.configOf(in.QueueUrl)
	if err != nil {
		return nil, fmt.Errorf("embedded: send message: %w", err)
	}
	r := sendReq{body: aws.ToString(in.MessageBody), attrs: in.MessageAttributes, group: aws.ToString(in.MessageGroupId), dedup: aws.ToString(in.MessageDeduplicationId), delay: in.DelaySeconds}
	if err := prepareSend(cfg, &r, e.maxBytes); err != nil {
		return nil, fmt.Errorf("embedded: send message to %s: %w", cfg.Name, err)
	}
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		return nil, fmt.Errorf("embedded: send message: %w", ErrClosed)
	}
	rd, id, seq := e.admit(q, &r)
	e.join(rd)
	e.mu.Unlock()
	if err := wait(ctx, rd); err != nil {
		return nil, fmt.Errorf("embedded: send message to %s: %w", cfg.Name, err)
	}
	out := &sqs.SendMessageOutput{MessageId: aws.String(id), MD5OfMessageBody: aws.String(md5Hex(r.body))}
	if cfg.FIFO {
		out.SequenceNumber = aws.String(strconv.FormatUint(seq, 10))
	}
	return out, nil
}

// SendMessageBatch stores up to ten messages in one commit. Invalid entries
// are reported in Failed; the call fails only for an invalid request.
func (e *Embedded) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	q, cfg, err := e.configOf(in.QueueUrl)
	if err != nil {
		return nil, fmt.Errorf("embedded: send message batch: %w", err)
	}
	ids := make([]string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = aws.ToString(en.Id)
	}
	if err := checkBatch(ids); err != nil {
		return nil, fmt.Errorf("embedded: send message batch to %s: %w", cfg.Name, err)
	}
	reqs := make([]sendReq, len(in.Entries))
	errs := make([]error, len(in.Entries))
	total := 0
	for i, en := range in.Entries {
		reqs[i] = sendReq{body: aws.ToString(en.MessageBody), attrs: en.MessageAttributes, group: aws.ToString(en.MessageGroupId), dedup: aws.ToString(en.MessageDeduplicationId), delay: en.DelaySeconds}
		total += len(reqs[i].body) + attrsSize(reqs[i].attrs)
		errs[i] = prepareSend(cfg, &reqs[i], e.maxBytes)
	}
	if total > e.maxBytes {
		return nil, fmt.Errorf("embedded: send message batch to %s: %w", cfg.Name, &types.BatchRequestTooLong{Message: aws.String(fmt.Sprintf("Batch requests cannot be longer than %d bytes.", e.maxBytes))})
	}
	type sent struct {
		id  string
		seq uint64
	}
	res := make([]sent, len(reqs))
	var rounds []*round
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		return nil, fmt.Errorf("embedded: send message batch: %w", ErrClosed)
	}
	for i := range reqs {
		if errs[i] != nil {
			continue
		}
		rd, id, seq := e.admit(q, &reqs[i])
		res[i] = sent{id, seq}
		if rd != nil && !slices.Contains(rounds, rd) {
			rounds = append(rounds, rd)
			e.join(rd)
		}
	}
	e.mu.Unlock()
	for _, rd := range rounds {
		if err := wait(ctx, rd); err != nil {
			return nil, fmt.Errorf("embedded: send message batch to %s: %w", cfg.Name, err)
		}
	}
	out := &sqs.SendMessageBatchOutput{}
	for i := range reqs {
		if errs[i] != nil {
			out.Failed = append(out.Failed, batchError(ids[i], errs[i]))
			continue
		}
		ok := types.SendMessageBatchResultEntry{Id: aws.String(ids[i]), MessageId: aws.String(res[i].id), MD5OfMessageBody: aws.String(md5Hex(reqs[i].body))}
		if cfg.FIFO {
			ok.SequenceNumber = aws.String(strconv.FormatUint(res[i].seq, 10))
		}
		out.Successful = append(out.Successful, ok)
	}
	return out, nil
}

// checkBatch applies SQS's batch request rules to the entry ids.
func checkBatch(ids []string) error {
	if len(ids) == 0 {
		return &types.EmptyBatchRequest{Message: aws.String("There should be at least one entry in the request.")}
	}
	if len(ids) > maxBatchEntries {
		return &types.TooManyEntriesInBatchRequest{Message: aws.String(fmt.Sprintf("Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, len(ids)))}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || len(id) > 80 || strings.IndexFunc(id, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) >= 0 {
			return &types.InvalidBatchEntryId{Message: aws.String("A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")}
		}
		if seen[id] {
			return &types.BatchEntryIdsNotDistinct{Message: aws.String("Id " + id + " repeated.")}
		}
		seen[id] = true
	}
	return nil
}

// batchError turns an entry error into a batch result error entry.
func batchError(id string, err error) types.BatchResultErrorEntry {
	code := "InternalError"
	sender := false
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, sender = ae.ErrorCode(), ae.ErrorFault() != smithy.FaultServer
	}
	return types.BatchResultErrorEntry{Id: aws.String(id), Code: aws.String(code), Message: aws.String(err.Error()), SenderFault: sender}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// picked is a message handed out by ReceiveMessage.
type picked struct {
	seq       uint64
	handle    string
	receives  int32
	firstRecv int64
}

// ReceiveMessage hands out up to MaxNumberOfMessages (default 1, at most
// 10) visible messages and hides them for VisibilityTimeout (default: the
// queue's). With WaitTimeSeconds > 0 it long-polls until a message is
// visible. A message that has already been received MaxReceiveCount times
// is moved to the dead-letter queue instead of being returned. FIFO queues
// return messages in group order and skip groups with messages in flight.
func (e *Embedded) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	max := int(in.MaxNumberOfMessages)
	if max == 0 {
		max = 1
	}
	if max < 1 || max > maxBatchEntries {
		return nil, fmt.Errorf("embedded: receive message: %w", invalidParam("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10.", max))
	}
	if in.WaitTimeSeconds < 0 || in.WaitTimeSeconds > maxWaitSeconds {
		return nil, fmt.Errorf("embedded: receive message: %w", invalidParam("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20.", in.WaitTimeSeconds))
	}
	if in.VisibilityTimeout < 0 || in.VisibilityTimeout > maxVisibilitySeconds {
		return nil, fmt.Errorf("embedded: receive message: %w", invalidParam("Value %d for parameter VisibilityTimeout is invalid.", in.VisibilityTimeout))
	}
	until := time.Now().Add(time.Duration(in.WaitTimeSeconds) * time.Second)
	var (
		q     *equeue
		got   []picked
		timer *time.Timer
	)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("embedded: receive message: %w", err)
		}
		e.mu.Lock()
		var err error
		q, err = e.lookup(in.QueueUrl)
		if err != nil {
			e.mu.Unlock()
			return nil, fmt.Errorf("embedded: receive message: %w", err)
		}
		now := time.Now()
		got = e.pick(q, max, in.VisibilityTimeout, now)
		if len(got) > 0 || !now.Before(until) {
			e.mu.Unlock()
			break
		}
		wake := q.wake
		q.waiters++
		sleep := until.Sub(now)
		if next := q.nextDeadline(); next > 0 && time.Duration(next-now.UnixNano()) < sleep {
			sleep = time.Duration(next - now.UnixNano())
		}
		e.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(sleep)
			defer timer.Stop()
		} else {
			timer.Reset(sleep)
		}
		var werr error
		select {
		case <-wake:
		case <-timer.C:
		case <-e.closed:
			werr = ErrClosed
		case <-ctx.Done():
			werr = ctx.Err()
		}
		e.mu.Lock()
		q.waiters--
		e.mu.Unlock()
		if werr != nil {
			return nil, fmt.Errorf("embedded: receive message: %w", werr)
		}
	}
	out := &sqs.ReceiveMessageOutput{}
	if len(got) == 0 {
		return out, nil
	}
	sysWant := systemAttrFilter(in.AttributeNames, in.MessageSystemAttributeNames)
	attrWant := attrFilter(in.MessageAttributeNames)
	err := e.db.View(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bktQueues).Bucket(q.bucket).Bucket(bktMsgs)
		for _, p := range got {
			v := mb.Get(seqKey(p.seq))
			if v == nil {
				continue // deleted meanwhile by a later receiver (visibility 0)
			}
			meta, body, err := decodeRecord(v, true)
			if err != nil {
				return fmt.Errorf("message %d: %w", p.seq, err)
			}
			m := types.Message{
				MessageId:         aws.String(meta.ID),
				ReceiptHandle:     aws.String(p.handle),
				Body:              aws.String(body),
				MD5OfBody:         aws.String(md5Hex(body)),
				MessageAttributes: sdkAttrs(meta.Attrs, attrWant),
			}
			attrs := map[string]string{}
			add := func(name types.MessageSystemAttributeName, val string) {
				if sysWant(string(name)) {
					attrs[string(name)] = val
				}
			}
			add(types.MessageSystemAttributeNameSenderId, "EMBEDDED")
			add(types.MessageSystemAttributeNameSentTimestamp, strconv.FormatInt(meta.Sent, 10))
			add(types.MessageSystemAttributeNameApproximateReceiveCount, strconv.Itoa(int(p.receives)))
			add(types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp, strconv.FormatInt(p.firstRecv, 10))
			if q.cfg.FIFO {
				add(types.MessageSystemAttributeNameMessageGroupId, meta.Group)
				add(types.MessageSystemAttributeNameMessageDeduplicationId, meta.Dedup)
				add(types.MessageSystemAttributeNameSequenceNumber, strconv.FormatUint(p.seq, 10))
			}
			if len(attrs) > 0 {
				m.Attributes = attrs
			}
			out.Messages = append(out.Messages, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: receive message: %w", err)
	}
	return out, nil
}

// pick chooses up to max messages, marks them in flight and records the
// receive counts (and dead-letter moves) for the next commit. Caller holds
// e.mu.
func (e *Embedded) pick(q *equeue, max int, visSeconds int32, now time.Time) []picked {
	nowNs := now.UnixNano()
	if q.expire(nowNs) {
		q.notify()
	}
	if q.nvisible == 0 {
		return nil
	}
	vis := q.cfg.VisibilityTimeout
	if vis == 0 {
		vis = DefaultVisibilityTimeout
	}
	if visSeconds > 0 {
		vis = time.Duration(visSeconds) * time.Second
	}
	var dlq *equeue
	if q.cfg.MaxReceiveCount > 0 {
		dlq = e.queues[q.cfg.DeadLetterQueue]
	}
	var out []picked
	take := func(m *message) bool { // false: dead-lettered
		if dlq != nil && int(m.receives) >= q.cfg.MaxReceiveCount {
			gid := ""
			if m.group != nil {
				gid = m.group.id
			}
			q.nvisible--
			delete(q.msgs, m.seq)
			e.seq++
			e.enqueue(op{kind: opMove, q: q, seq: m.seq, dst: dlq, dstSeq: e.seq, group: gid, msg: &message{tidx: -1, vidx: -1}})
			return false
		}
		q.nvisible--
		e.nonce++
		m.nonce = e.nonce
		m.receives++
		if m.firstRecv == 0 {
			m.firstRecv = now.UnixMilli()
		}
		m.state = stateInFlight
		m.deadline = nowNs + int64(vis)
		q.inflight++
		pushTimer(q, m)
		e.enqueue(op{kind: opCount, q: q, seq: m.seq, count: m.receives, first: m.firstRecv})
		out = append(out, picked{seq: m.seq, receives: m.receives, firstRecv: m.firstRecv,
			handle: fmt.Sprintf("%08x-%x-%x", e.epoch, m.seq, m.nonce)})
		return true
	}
	if !q.cfg.FIFO {
		for len(out) < max && len(q.visible) > 0 {
			take(heap.Pop(&q.visible).(*message))
		}
		return out
	}
	for len(out) < max && len(q.ready) > 0 {
		g := heap.Pop(&q.ready).(*group)
		for len(out) < max && len(g.msgs) > 0 {
			m := g.msgs[0]
			g.msgs[0] = nil
			g.msgs = g.msgs[1:]
			if take(m) {
				g.inflight++
			}
		}
		if g.inflight == 0 && len(g.msgs) > 0 {
			heap.Push(&q.ready, g)
		}
		q.dropGroupIfIdle(g)
	}
	return out
}

// pushTimer schedules m's deadline; waiters recompute their sleep when it
// is the earliest.
func pushTimer(q *equeue, m *message) {
	heap.Push(&q.timers, m)
	if m.tidx == 0 {
		q.notify()
	}
}

// systemAttrFilter says which system attributes a receive asked for.
func systemAttrFilter(old []types.QueueAttributeName, names []types.MessageSystemAttributeName) func(string) bool {
	want := map[string]bool{}
	for _, n := range old {
		want[string(n)] = true
	}
	for _, n := range names {
		want[string(n)] = true
	}
	if want["All"] {
		return func(string) bool { return true }
	}
	return func(n string) bool { return want[n] }
}

// attrFilter says which message attributes a receive asked for: "All",
// ".*", exact names or "prefix.*".
func attrFilter(names []string) func(string) bool {
	return func(n string) bool {
		for _, w := range names {
			if w == "All" || w == ".*" || w == n || strings.HasSuffix(w, ".*") && strings.HasPrefix(n, strings.TrimSuffix(w, "*")) {
				return true
			}
		}
		return false
	}
}

// parseHandle splits a receipt handle made by pick.
func parseHandle(h string) (epoch uint32, seq, nonce uint64, ok bool) {
	parts := strings.Split(h, "-")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	ep, err1 := strconv.ParseUint(parts[0], 16, 32)
	s, err2 := strconv.ParseUint(parts[1], 16, 64)
	n, err3 := strconv.ParseUint(parts[2], 16, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, 0, false
	}
	return uint32(ep), s, n, true
}

// current returns the message a receipt handle refers to if it is the
// latest receive of a still stored message, nil otherwise. Caller holds e.mu.
func (e *Embedded) current(q *equeue, handle string) (*message, error) {
	ep, seq, nonce, ok := parseHandle(handle)
	if !ok {
		return nil, &types.ReceiptHandleIsInvalid{Message: aws.String("The input receipt handle \"" + handle + "\" is not a valid receipt handle.")}
	}
	if ep != e.epoch {
		return nil, nil // issued before a restart: stale
	}
	m := q.msgs[seq]
	if m == nil || m.nonce != nonce {
		return nil, nil
	}
	return m, nil
}

// deleteLocked deletes the message of handle. A handle of an already
// deleted message, or one superseded by a later receive, is accepted and
// does nothing (SQS: "the request succeeds, but the message might not be
// deleted"). Caller holds e.mu.
func (e *Embedded) deleteLocked(q *equeue, handle string) (*round, error) {
	m, err := e.current(q, handle)
	if err != nil || m == nil {
		return nil, err
	}
	q.remove(m)
	return e.enqueue(op{kind: opDelete, q: q, seq: m.seq}), nil
}

// DeleteMessage deletes a received message; it returns once the deletion
// is fsynced.
func (e *Embedded) DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	e.mu.Lock()
	q, err := e.lookup(in.QueueUrl)
	var rd *round
	if err == nil {
		rd, err = e.deleteLocked(q, aws.ToString(in.ReceiptHandle))
	}
	if rd != nil {
		e.join(rd)
	}
	e.mu.Unlock()
	if err == nil {
		err = wait(ctx, rd)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: delete message: %w", err)
	}
	return &sqs.DeleteMessageOutput{}, nil
}

// DeleteMessageBatch deletes up to ten received messages in one commit.
func (e *Embedded) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	ids := make([]string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = aws.ToString(en.Id)
	}
	if err := checkBatch(ids); err != nil {
		return nil, fmt.Errorf("embedded: delete message batch: %w", err)
	}
	out := &sqs.DeleteMessageBatchOutput{}
	e.mu.Lock()
	q, err := e.lookup(in.QueueUrl)
	if err != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("embedded: delete message batch: %w", err)
	}
	var rd *round
	for i, en := range in.Entries {
		r, err := e.deleteLocked(q, aws.ToString(en.ReceiptHandle))
		if err != nil {
			out.Failed = append(out.Failed, batchError(ids[i], err))
			continue
		}
		if r != nil {
			rd = r
		}
		out.Successful = append(out.Successful, types.DeleteMessageBatchResultEntry{Id: aws.String(ids[i])})
	}
	if rd != nil {
		e.join(rd)
	}
	e.mu.Unlock()
	if err := wait(ctx, rd); err != nil {
		return nil, fmt.Errorf("embedded: delete message batch: %w", err)
	}
	return out, nil
}

// changeLocked sets the visibility timeout of an in-flight message,
// counted from now; 0 makes it visible at once. Caller holds e.mu.
func (e *Embedded) changeLocked(q *equeue, handle string, seconds int32) error {
	if seconds < 0 || seconds > maxVisibilitySeconds {
		return invalidParam("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and %d.", seconds, maxVisibilitySeconds)
	}
	m, err := e.current(q, handle)
	if err != nil {
		return err
	}
	if m == nil || m.state != stateInFlight {
		return &types.MessageNotInflight{Message: aws.String("The message referred to is not in flight.")}
	}
	if seconds == 0 {
		q.endInFlight(m)
		q.makeVisible(m, "")
		q.notify()
		return nil
	}
	m.deadline = time.Now().UnixNano() + int64(seconds)*int64(time.Second)
	heap.Fix(&q.timers, int(m.tidx))
	q.notify() // the earliest deadline may have moved
	return nil
}

// ChangeMessageVisibility changes one in-flight message's visibility
// timeout (in memory only: after a restart all messages are visible).
func (e *Embedded) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q, err := e.lookup(in.QueueUrl)
	if err == nil {
		err = e.changeLocked(q, aws.ToString(in.ReceiptHandle), in.VisibilityTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: change message visibility: %w", err)
	}
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

// ChangeMessageVisibilityBatch changes up to ten in-flight messages'
// visibility timeouts; per-entry problems are reported in Failed.
func (e *Embedded) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	ids := make([]string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = aws.ToString(en.Id)
	}
	if err := checkBatch(ids); err != nil {
		return nil, fmt.Errorf("embedded: change message visibility batch: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	q, err := e.lookup(in.QueueUrl)
	if err != nil {
		return nil, fmt.Errorf("embedded: change message visibility batch: %w", err)
	}
	out := &sqs.ChangeMessageVisibilityBatchOutput{}
	for i, en := range in.Entries {
		if err := e.changeLocked(q, aws.ToString(en.ReceiptHandle), en.VisibilityTimeout); err != nil {
			out.Failed = append(out.Failed, batchError(ids[i], err))
			continue
		}
		out.Successful = append(out.Successful, types.ChangeMessageVisibilityBatchResultEntry{Id: aws.String(ids[i])})
	}
	return out, nil
}
