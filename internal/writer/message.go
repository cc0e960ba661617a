package writer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Message is the generic JSON message body the default writer Lambda
// decodes (DecodeJSON) and producers send (EncodeMessage):
//
//	{"key":"donation#42",
//	 "put":[{"pk":"DONATION#42","sk":"DONATION","amount":2500,"charity":"x"}],
//	 "add":[{"pk":"TOTAL","sk":"TOTAL","attr":"amount","delta":2500}]}
//
// Put items are plain JSON objects: strings become S, numbers N (exact,
// never through float64), booleans BOOL, null NULL, arrays L, objects M.
type Message struct {
	Key string           `json:"key"`
	Put []map[string]any `json:"put,omitempty"`
	Add []MessageAdd     `json:"add,omitempty"`
}

// MessageAdd is one counter increment in a Message.
type MessageAdd struct {
	PK    string `json:"pk"`
	SK    string `json:"sk"`
	Attr  string `json:"attr"`
	Delta int64  `json:"delta"`
}

// DecodeJSON returns a Decode function for Config that reads a Message body
// and validates the record against the key attribute names (pk, sk).
// Unknown fields and trailing data are rejected.
func DecodeJSON(pkName, skName string) func(events.SQSMessage) (Record, error) {
	return func(m events.SQSMessage) (Record, error) {
		var msg Message
		dec := json.NewDecoder(bytes.NewReader([]byte(m.Body)))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(&msg); err != nil {
			return Record{}, fmt.Errorf("decode message %s: %w", m.MessageId, err)
		}
		if dec.More() {
			return Record{}, fmt.Errorf("decode message %s: trailing data", m.MessageId)
		}
		r := Record{IdempotencyKey: msg.Key}
		for i, p := range msg.Put {
			it, err := ItemFromJSON(p)
			if err != nil {
				return Record{}, fmt.Errorf("decode message %s: put %d: %w", m.MessageId, i, err)
			}
			r.Puts = append(r.Puts, it)
		}
		for _, a := range msg.Add {
			r.Adds = append(r.Adds, Add{Key: Key{PK: a.PK, SK: a.SK}, Attr: a.Attr, Delta: a.Delta})
		}
		if err := r.Validate(pkName, skName); err != nil {
			return Record{}, fmt.Errorf("message %s: %w", m.MessageId, err)
		}
		return r, nil
	}
}

// EncodeMessage renders r as a Message body for SendMessage.
func EncodeMessage(r Record) (string, error) {
	msg := Message{Key: r.IdempotencyKey}
	for i, it := range r.Puts {
		p, err := ItemToJSON(it)
		if err != nil {
			return "", fmt.Errorf("encode record %s: put %d: %w", r.IdempotencyKey, i, err)
		}
		msg.Put = append(msg.Put, p)
	}
	for _, a := range r.Adds {
		msg.Add = append(msg.Add, MessageAdd{PK: a.Key.PK, SK: a.Key.SK, Attr: a.Attr, Delta: a.Delta})
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return "", fmt.Errorf("encode record %s: %w", r.IdempotencyKey, err)
	}
	return string(b), nil
}

// ItemFromJSON converts a plain JSON object (decoded with UseNumber, or
// built by hand with string/json.Number/int/int64/float64/bool/nil/
// []any/map[string]any values) into an Item.
func ItemFromJSON(m map[string]any) (Item, error) {
	it := make(Item, len(m))
	for k, v := range m {
		av, err := valueFromJSON(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		it[k] = av
	}
	return it, nil
}

func valueFromJSON(v any) (types.AttributeValue, error) {
	switch x := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case json.Number:
		return &types.AttributeValueMemberN{Value: x.String()}, nil
	case int:
		return &types.AttributeValueMemberN{Value: fmt.Sprint(x)}, nil
	case int64:
		return &types.AttributeValueMemberN{Value: fmt.Sprint(x)}, nil
	case float64:
		return &types.AttributeValueMemberN{Value: json.Number(fmt.Sprint(x)).String()}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case []any:
		l := make([]types.AttributeValue, len(x))
		for i, e := range x {
			av, err := valueFromJSON(e)
			if err != nil {
				return nil, err
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case map[string]any:
		m, err := ItemFromJSON(x)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	default:
		return nil, fmt.Errorf("unsupported JSON value %T", v)
	}
}

// ItemToJSON converts an Item to a plain JSON object (numbers as
// json.Number). Binary and set attributes are not representable and return
// an error.
func ItemToJSON(it Item) (map[string]any, error) {
	m := make(map[string]any, len(it))
	keys := make([]string, 0, len(it))
	for k := range it {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := valueToJSON(it[k])
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		m[k] = v
	}
	return m, nil
}

func valueToJSON(av types.AttributeValue) (any, error) {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return x.Value, nil
	case *types.AttributeValueMemberN:
		return json.Number(x.Value), nil
	case *types.AttributeValueMemberBOOL:
		return x.Value, nil
	case *types.AttributeValueMemberNULL:
		return nil, nil
	case *types.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			v, err := valueToJSON(e)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	case *types.AttributeValueMemberM:
		return ItemToJSON(x.Value)
	case nil:
		return nil, errors.New("nil attribute value")
	default:
		return nil, fmt.Errorf("attribute type %T has no JSON form", av)
	}
}
