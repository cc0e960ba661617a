package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Message attribute names the Producer sets on every message.
const (
	// AttrIdempotencyKey carries Envelope.IdempotencyKey (String).
	AttrIdempotencyKey = "IdempotencyKey"
	// AttrKind carries Envelope.Kind (String).
	AttrKind = "Kind"
)

// MaxMessageBytes is the default limit on a message's size (body plus
// message attributes), SQS's classic 256 KiB.
const MaxMessageBytes = 256 * 1024

// maxBatchEntries is SQS's limit on entries per batch call.
const maxBatchEntries = 10

// Sentinel errors returned (wrapped) by Producer.Enqueue, EnqueueBatch and
// DecodeEnvelope; test with errors.Is.
var (
	// ErrEmptyIdempotencyKey: Envelope.IdempotencyKey is empty.
	ErrEmptyIdempotencyKey = errors.New("queue: empty idempotency key")
	// ErrInvalidIdempotencyKey: the key (or GroupID) is longer than 128
	// characters or holds characters SQS refuses in a deduplication or group
	// id (allowed: letters, digits and ASCII punctuation).
	ErrInvalidIdempotencyKey = errors.New("queue: invalid idempotency key or group id")
	// ErrEmptyKind: Envelope.Kind is empty.
	ErrEmptyKind = errors.New("queue: empty kind")
	// ErrInvalidData: Envelope.Data is not valid JSON.
	ErrInvalidData = errors.New("queue: data is not valid JSON")
	// ErrMessageTooLarge: the encoded message exceeds the size limit.
	ErrMessageTooLarge = errors.New("queue: message too large")
	// ErrBatchIncomplete: EnqueueBatch could not enqueue every entry; the
	// per-entry results say which.
	ErrBatchIncomplete = errors.New("queue: batch incomplete")
)

// Envelope is what a producer enqueues and a consumer decodes: the message
// body is its JSON encoding.
type Envelope struct {
	// Kind names the record type ("donation", "vote"); required.
	Kind string `json:"kind"`
	// IdempotencyKey identifies the logical write; consumers use it to make
	// replays harmless, FIFO queues use it as MessageDeduplicationId. Required,
	// at most 128 letters, digits or ASCII punctuation.
	IdempotencyKey string `json:"idempotencyKey"`
	// GroupID is the FIFO message group (ordering scope). Optional; on FIFO
	// queues it defaults to the producer's group function of the key. Not
	// used on standard queues.
	GroupID string `json:"groupId,omitempty"`
	// EnqueuedAt is set by the producer when zero.
	EnqueuedAt time.Time `json:"enqueuedAt"`
	// Data is the record itself (any JSON value); required.
	Data json.RawMessage `json:"data"`
}

// DecodeEnvelope parses a message body written by a Producer and checks the
// required fields.
func DecodeEnvelope(body string) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	if env.Kind == "" {
		return env, fmt.Errorf("decode envelope: %w", ErrEmptyKind)
	}
	if env.IdempotencyKey == "" {
		return env, fmt.Errorf("decode envelope: %w", ErrEmptyIdempotencyKey)
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return env, fmt.Errorf("decode envelope %s: %w", env.IdempotencyKey, ErrInvalidData)
	}
	return env, nil
}

// Producer enqueues Envelopes on one queue through a Sender. It is safe for
// concurrent use. Build one per queue and execution environment.
type Producer struct {
	sender   Sender
	url      string
	fifo     bool
	maxBytes int
	now      func() time.Time
	group    func(key string) string
}

// ProducerOption configures a Producer.
type ProducerOption func(*Producer)

// WithMaxMessageBytes changes the size limit (default MaxMessageBytes).
func WithMaxMessageBytes(n int) ProducerOption {
	return func(p *Producer) { p.maxBytes = n }
}

// WithClock replaces time.Now for EnqueuedAt (tests).
func WithClock(now func() time.Time) ProducerOption {
	return func(p *Producer) { p.now = now }
}

// WithGroupFunc sets how a FIFO MessageGroupId is derived from the
// idempotency key when Envelope.GroupID is empty. The default uses the key
// itself: every record is its own group (maximum parallelism, ordering only
// per key). Return a coarser value (a campaign id, a user id) to order
// related records.
func WithGroupFunc(f func(key string) string) ProducerOption {
	return func(p *Producer) { p.group = f }
}

// WithFIFO overrides FIFO detection (by default a queue URL ending in
// ".fifo" is FIFO).
func WithFIFO(fifo bool) ProducerOption {
	return func(p *Producer) { p.fifo = fifo }
}

// NewProducer returns a Producer for the queue at queueURL.
func NewProducer(sender Sender, queueURL string, opts ...ProducerOption) *Producer {
	p := &Producer{
		sender:   sender,
		url:      queueURL,
		fifo:     strings.HasSuffix(queueURL, ".fifo"),
		maxBytes: MaxMessageBytes,
		now:      time.Now,
		group:    func(key string) string { return key },
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// QueueURL returns the queue this producer writes to.
func (p *Producer) QueueURL() string { return p.url }

// entry is a validated, encoded envelope ready to send.
type entry struct {
	body  string
	attrs map[string]types.MessageAttributeValue
	group *string
	dedup *string
}

// prepare validates env and builds its SQS message.
func (p *Producer) prepare(env Envelope) (entry, error) {
	if env.Kind == "" {
		return entry{}, ErrEmptyKind
	}
	if env.IdempotencyKey == "" {
		return entry{}, ErrEmptyIdempotencyKey
	}
	if !validSQSID(env.IdempotencyKey) {
		return entry{}, fmt.Errorf("key %q: %w", env.IdempotencyKey, ErrInvalidIdempotencyKey)
	}
	if len(env.Data) == 0 || !json.Valid(env.Data) {
		return entry{}, fmt.Errorf("key %s: %w", env.IdempotencyKey, ErrInvalidData)
	}
	if env.EnqueuedAt.IsZero() {
		env.EnqueuedAt = p.now().UTC()
	}
	e := entry{attrs: map[string]types.MessageAttributeValue{
		AttrIdempotencyKey: {DataType: aws.String("String"), StringValue: aws.String(env.IdempotencyKey)},
		AttrKind:           {DataType: aws.String("String"), StringValue: aws.String(env.Kind)},
	}}
	if p.fifo {
		if env.GroupID == "" {
			env.GroupID = p.group(env.IdempotencyKey)
		}
		if !validSQSID(env.GroupID) {
			return entry{}, fmt.Errorf("key %s: group %q: %w", env.IdempotencyKey, env.GroupID, ErrInvalidIdempotencyKey)
		}
		e.group, e.dedup = aws.String(env.GroupID), aws.String(env.IdempotencyKey)
	} else {
		env.GroupID = ""
	}
	b, err := json.Marshal(env)
	if err != nil {
		return entry{}, fmt.Errorf("key %s: %w: %v", env.IdempotencyKey, ErrInvalidData, err)
	}
	e.body = string(b)
	if n := len(e.body) + attrsSize(e.attrs); n > p.maxBytes {
		return entry{}, fmt.Errorf("key %s: %d bytes > %d: %w", env.IdempotencyKey, n, p.maxBytes, ErrMessageTooLarge)
	}
	return e, nil
}

// Enqueue validates env, sends it and returns the queue's message id. It
// returns once the queue acknowledged the message (for SQS and Embedded:
// durably stored). Safe to retry with the same envelope: FIFO queues drop
// the duplicate within five minutes, consumers dedupe by key otherwise.
func (p *Producer) Enqueue(ctx context.Context, env Envelope) (string, error) {
	e, err := p.prepare(env)
	if err != nil {
		return "", fmt.Errorf("enqueue: %w", err)
	}
	out, err := p.sender.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:               aws.String(p.url),
		MessageBody:            aws.String(e.body),
		MessageAttributes:      e.attrs,
		MessageGroupId:         e.group,
		MessageDeduplicationId: e.dedup,
	})
	if err != nil {
		return "", fmt.Errorf("enqueue %s %s: %w", env.Kind, env.IdempotencyKey, err)
	}
	return aws.ToString(out.MessageId), nil
}

// EnqueueResult is the outcome of one EnqueueBatch entry.
type EnqueueResult struct {
	// MessageID is the queue's id when the entry was enqueued.
	MessageID string
	// Err is why the entry was not enqueued (validation, a per-entry SQS
	// failure, or the failed call it was part of); nil on success.
	Err error
}

// EnqueueBatch enqueues envs with as few SendMessageBatch calls as SQS
// allows (at most ten entries and MaxMessageBytes per call). The results
// line up with envs. The error is nil when every entry was enqueued,
// otherwise it wraps ErrBatchIncomplete (and the first entry error); the
// caller retries only the failed entries.
func (p *Producer) EnqueueBatch(ctx context.Context, envs []Envelope) ([]EnqueueResult, error) {
	res := make([]EnqueueResult, len(envs))
	type pending struct {
		idx int
		e   entry
	}
	var chunk []pending
	size := 0
	flush := func() {
		if len(chunk) == 0 {
			return
		}
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(p.url)}
		for i, c := range chunk {
			in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{
				Id:                     aws.String(strconv.Itoa(i)),
				MessageBody:            aws.String(c.e.body),
				MessageAttributes:      c.e.attrs,
				MessageGroupId:         c.e.group,
				MessageDeduplicationId: c.e.dedup,
			})
		}
		out, err := p.sender.SendMessageBatch(ctx, in)
		if err != nil {
			for _, c := range chunk {
				res[c.idx].Err = fmt.Errorf("send batch: %w", err)
			}
		} else {
			done := make([]bool, len(chunk))
			for _, ok := range out.Successful {
				if i, err := strconv.Atoi(aws.ToString(ok.Id)); err == nil && i >= 0 && i < len(chunk) {
					res[chunk[i].idx].MessageID = aws.ToString(ok.MessageId)
					done[i] = true
				}
			}
			for _, f := range out.Failed {
				if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < len(chunk) {
					res[chunk[i].idx].Err = fmt.Errorf("send batch entry: %s: %s (sender fault %t)", aws.ToString(f.Code), aws.ToString(f.Message), f.SenderFault)
					done[i] = true
				}
			}
			for i, d := range done {
				if !d {
					res[chunk[i].idx].Err = errors.New("send batch entry: no result from queue")
				}
			}
		}
		chunk, size = chunk[:0], 0
	}
	for i, env := range envs {
		e, err := p.prepare(env)
		if err != nil {
			res[i].Err = err
			continue
		}
		n := len(e.body) + attrsSize(e.attrs)
		if len(chunk) == maxBatchEntries || size+n > p.maxBytes {
			flush()
		}
		chunk = append(chunk, pending{i, e})
		size += n
	}
	flush()
	failed, first := 0, error(nil)
	for _, r := range res {
		if r.Err != nil {
			if first == nil {
				first = r.Err
			}
			failed++
		}
	}
	if failed > 0 {
		return res, fmt.Errorf("enqueue batch: %d of %d entries failed: %w (first: %w)", failed, len(envs), ErrBatchIncomplete, first)
	}
	return res, nil
}

// attrsSize counts message attributes the way SQS does toward the size
// limit: name, data type and value bytes.
func attrsSize(attrs map[string]types.MessageAttributeValue) int {
	n := 0
	for k, v := range attrs {
		n += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
		for _, s := range v.StringListValues {
			n += len(s)
		}
		for _, b := range v.BinaryListValues {
			n += len(b)
		}
	}
	return n
}

// validSQSID reports whether s is a valid MessageDeduplicationId or
// MessageGroupId: 1-128 characters from a-z, A-Z, 0-9 and ASCII punctuation.
func validSQSID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
