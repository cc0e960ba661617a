package queue

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// recordMeta is the stored metadata of a message; the body follows it.
type recordMeta struct {
	ID    string                `json:"i"`
	Group string                `json:"g,omitempty"`
	Dedup string                `json:"d,omitempty"`
	Sent  int64                 `json:"t"` // unix ms
	Attrs map[string]recordAttr `json:"a,omitempty"`
}

// recordAttr is a stored message attribute.
type recordAttr struct {
	Type  string   `json:"t"`
	S     *string  `json:"s,omitempty"`
	B     []byte   `json:"b,omitempty"`
	SList []string `json:"sl,omitempty"`
	BList [][]byte `json:"bl,omitempty"`
}

// loadMeta is the part of recordMeta needed to rebuild the index.
type loadMeta struct {
	Group string `json:"g,omitempty"`
}

var errBadRecord = errors.New("corrupt message record")

// encodeRecord lays out uvarint(len(meta JSON)) | meta JSON | body.
func encodeRecord(meta recordMeta, body string) ([]byte, error) {
	mb, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, binary.MaxVarintLen64+len(mb)+len(body))
	out = binary.AppendUvarint(out, uint64(len(mb)))
	out = append(out, mb...)
	out = append(out, body...)
	return out, nil
}

// decodeRecord splits a record. With full false only the group is decoded
// and the body is not returned.
func decodeRecord(v []byte, full bool) (recordMeta, string, error) {
	n, w := binary.Uvarint(v)
	if w <= 0 || uint64(len(v)-w) < n {
		return recordMeta{}, "", errBadRecord
	}
	mb := v[w : w+int(n)]
	if !full {
		var lm loadMeta
		if err := json.Unmarshal(mb, &lm); err != nil {
			return recordMeta{}, "", err
		}
		return recordMeta{Group: lm.Group}, "", nil
	}
	var m recordMeta
	if err := json.Unmarshal(mb, &m); err != nil {
		return recordMeta{}, "", err
	}
	return m, string(v[w+int(n):]), nil
}

// toRecordAttrs converts SDK message attributes for storage.
func toRecordAttrs(in map[string]types.MessageAttributeValue) map[string]recordAttr {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]recordAttr, len(in))
	for k, v := range in {
		out[k] = recordAttr{Type: aws.ToString(v.DataType), S: v.StringValue, B: v.BinaryValue, SList: v.StringListValues, BList: v.BinaryListValues}
	}
	return out
}

// sdkAttrs converts stored attributes back, keeping those wanted.
func sdkAttrs(in map[string]recordAttr, want func(string) bool) map[string]types.MessageAttributeValue {
	var out map[string]types.MessageAttributeValue
	for k, v := range in {
		if !want(k) {
			continue
		}
		if out == nil {
			out = make(map[string]types.MessageAttributeValue, len(in))
		}
		out[k] = types.MessageAttributeValue{DataType: aws.String(v.Type), StringValue: v.S, BinaryValue: v.B, StringListValues: v.SList, BinaryListValues: v.BList}
	}
	return out
}

// sortDedupLog sorts by expiry.
func sortDedupLog(l []dedupRec) {
	sort.Slice(l, func(i, j int) bool { return l[i].expires < l[j].expires })
}
