// Package records turns the charity event's queue messages into the writer
// runtime's exactly-once records (items plus coalesced counters). Only the
// writer imports it, so the web tier's bootstrap links neither the writer
// runtime nor its PostgreSQL driver.
package records

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/internal/queue"
	"github.com/campaignkit/campaignkit/internal/writer"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// Decode turns one queue message into the writes it stands for. It is
// the charity event's writer.Config.Decode: anything malformed is an error
// (a poison record, reported failed and dead-lettered, never blocking the batch).
func Decode(msg events.SQSMessage) (writer.Record, error) {
	env, err := queue.DecodeEnvelope(msg.Body)
	if err != nil {
		return writer.Record{}, err
	}
	switch env.Kind {
	case domain.KindDonation:
		var d domain.Donation
		if err := strictJSON(env.Data, &d); err != nil || d.ID == "" || d.CharityID == "" || d.AmountCents <= 0 {
			return writer.Record{}, fmt.Errorf("donation %s: malformed (%v)", env.IdempotencyKey, err)
		}
		return donationRecord(d), nil
	case domain.KindRegistration:
		var r domain.Registration
		if err := strictJSON(env.Data, &r); err != nil || r.ID == "" || r.Email == "" {
			return writer.Record{}, fmt.Errorf("registration %s: malformed (%v)", env.IdempotencyKey, err)
		}
		return registrationRecord(r), nil
	case domain.KindPayment:
		var p domain.Payment
		if err := strictJSON(env.Data, &p); err != nil || p.EventID == "" || p.DonationID == "" || p.AmountCents <= 0 {
			return writer.Record{}, fmt.Errorf("payment %s: malformed (%v)", env.IdempotencyKey, err)
		}
		return paymentRecord(p), nil
	}
	return writer.Record{}, fmt.Errorf("unknown message kind %q", env.Kind)
}

func strictJSON(raw json.RawMessage, v any) error { return json.Unmarshal(raw, v) }

func donationRecord(d domain.Donation) writer.Record {
	item := writer.Item{domain.PK: s("DONATION#" + d.ID), domain.SK: s("DONATION"), "type": s(domain.KindDonation),
		"id": s(d.ID), "charityId": s(d.CharityID), "amountCents": n(d.AmountCents), "currency": s(d.Currency),
		"acceptedAt": s(d.AcceptedAt.UTC().Format(time.RFC3339Nano)), "status": s("pledged")}
	if d.DonorName != "" {
		item["donorName"] = s(d.DonorName)
	}
	rec := writer.Record{IdempotencyKey: "donation#" + d.ID, Puts: []writer.Item{item}, Adds: []writer.Add{
		{Key: writer.Key{PK: domain.TotalKey, SK: domain.TotalKey}, Attr: domain.AttrPledgedCents, Delta: d.AmountCents},
		{Key: writer.Key{PK: domain.TotalKey, SK: domain.TotalKey}, Attr: domain.AttrDonations, Delta: 1},
		{Key: writer.Key{PK: domain.CharityKey(d.CharityID), SK: domain.TotalKey}, Attr: domain.AttrPledgedCents, Delta: d.AmountCents},
		{Key: writer.Key{PK: domain.CharityKey(d.CharityID), SK: domain.TotalKey}, Attr: domain.AttrDonations, Delta: 1},
	}}
	if d.Song != nil {
		song := writer.Item{domain.PK: s(domain.SongBucket(d.AcceptedAt)), domain.SK: s(domain.SongSK(d.AcceptedAt, d.ID)), "type": s("song"),
			"donationId": s(d.ID), "title": s(d.Song.Title), "charityId": s(d.CharityID), "amountCents": n(d.AmountCents),
			"requestedAt": s(d.AcceptedAt.UTC().Format(time.RFC3339Nano))}
		for k, v := range map[string]string{"artist": d.Song.Artist, "message": d.Song.Message, "dedication": d.Song.Dedication, "donorName": d.DonorName} {
			if v != "" {
				song[k] = s(v)
			}
		}
		rec.Puts = append(rec.Puts, song)
	}
	return rec
}

func registrationRecord(r domain.Registration) writer.Record {
	item := writer.Item{domain.PK: s("PARTICIPANT#" + r.ID), domain.SK: s("PROFILE"), "type": s(domain.KindRegistration),
		"id": s(r.ID), "name": s(r.Name), "email": s(r.Email), "acceptedAt": s(r.AcceptedAt.UTC().Format(time.RFC3339Nano))}
	if r.FundraiserURL != "" {
		item["fundraiserUrl"] = s(r.FundraiserURL)
	}
	return writer.Record{IdempotencyKey: "registration#" + r.ID, Puts: []writer.Item{item}, Adds: []writer.Add{
		{Key: writer.Key{PK: domain.TotalKey, SK: domain.TotalKey}, Attr: domain.AttrParticipants, Delta: 1},
	}}
}

func paymentRecord(p domain.Payment) writer.Record {
	item := writer.Item{domain.PK: s("PAYMENT#" + p.EventID), domain.SK: s("PAYMENT"), "type": s(domain.KindPayment),
		"donationId": s(p.DonationID), "charityId": s(p.CharityID), "amountCents": n(p.AmountCents),
		"currency": s(p.Currency), "paidAt": s(p.PaidAt.UTC().Format(time.RFC3339Nano))}
	rec := writer.Record{IdempotencyKey: "payment#" + p.EventID, Puts: []writer.Item{item}, Adds: []writer.Add{
		{Key: writer.Key{PK: domain.TotalKey, SK: domain.TotalKey}, Attr: domain.AttrPaidCents, Delta: p.AmountCents},
	}}
	if p.CharityID != "" {
		rec.Adds = append(rec.Adds, writer.Add{Key: writer.Key{PK: domain.CharityKey(p.CharityID), SK: domain.TotalKey}, Attr: domain.AttrPaidCents, Delta: p.AmountCents})
	}
	return rec
}
