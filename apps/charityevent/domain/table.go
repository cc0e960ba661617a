package domain

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table layout (one DynamoDB table, string keys pk/sk):
//
//	pk                      sk                         what
//	DONATION#<id>           DONATION                   a pledge (idempotency anchor)
//	SONGS#<yyyy-mm-ddThh>   <acceptedAt>#<donation id> a song request, bucketed by UTC hour
//	PARTICIPANT#<id>        PROFILE                    a sign-up
//	PAYMENT#<event id>      PAYMENT                    a confirmed charge (idempotency anchor)
//	TOTAL                   TOTAL                      counters: pledgedCents, donations, paidCents, participants
//	CHARITY#<id>            TOTAL                      counters per charity: pledgedCents, donations, paidCents
//
// Song requests are bucketed by hour so that no single partition takes
// every song write at the peak; counters are coalesced by the writer.
const (
	PK            = "pk"
	SK            = "sk"
	TotalKey      = "TOTAL"
	songsBucketTZ = "2006-01-02T15"
)

// Counter attribute names.
const (
	AttrPledgedCents = "pledgedCents"
	AttrDonations    = "donations"
	AttrPaidCents    = "paidCents"
	AttrParticipants = "participants"
)

// CharityKey is the pk of a charity's counters.
func CharityKey(id string) string { return "CHARITY#" + id }

// SongBucket is the pk of the song-request bucket holding time t.
func SongBucket(t time.Time) string { return "SONGS#" + t.UTC().Format(songsBucketTZ) }

// Reader is the read side of the store this package needs (DynamoDB SDK
// signatures: *dynamodb.Client and the embedded store satisfy it).
type Reader interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Totals is the live counter and leaderboard.
type Totals struct {
	Campaign     string         `json:"campaign"`
	Currency     string         `json:"currency"`
	TotalCents   int64          `json:"totalCents"`
	Count        int64          `json:"count"`
	PaidCents    int64          `json:"paidCents"`
	Participants int64          `json:"participants"`
	Charities    []CharityTotal `json:"charities"`
	AsOf         time.Time      `json:"asOf"`
}

// CharityTotal is one leaderboard row.
type CharityTotal struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	TotalCents int64  `json:"totalCents"`
	Count      int64  `json:"count"`
	PaidCents  int64  `json:"paidCents"`
}

func num(item map[string]types.AttributeValue, name string) int64 {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{PK: &types.AttributeValueMemberS{Value: pk}, SK: &types.AttributeValueMemberS{Value: sk}}
}

// totalsCache keeps the last totals for a short time so a warm execution
// environment answers the hot read without touching the table every time.
type totalsCache struct {
	mu   sync.Mutex
	ttl  time.Duration
	at   time.Time
	last *Totals
}

func (s *Service) readTotals(ctx context.Context) (*Totals, error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.now()
	if c.last != nil && now.Sub(c.at) < c.ttl {
		return c.last, nil
	}
	t := &Totals{Campaign: s.settings.Campaign, Currency: s.settings.Currency, AsOf: now.UTC(), Charities: []CharityTotal{}}
	items, err := s.getCounters(ctx)
	if err != nil {
		return nil, err
	}
	total := items[TotalKey]
	t.TotalCents, t.Count = num(total, AttrPledgedCents), num(total, AttrDonations)
	t.PaidCents, t.Participants = num(total, AttrPaidCents), num(total, AttrParticipants)
	for _, ch := range s.settings.Charities {
		it := items[CharityKey(ch.ID)]
		t.Charities = append(t.Charities, CharityTotal{ID: ch.ID, Name: ch.Name,
			TotalCents: num(it, AttrPledgedCents), Count: num(it, AttrDonations), PaidCents: num(it, AttrPaidCents)})
	}
	sortLeaderboard(t.Charities)
	c.last, c.at = t, now
	return t, nil
}

// getCounters reads the grand total and every charity's counters in one
// BatchGetItem (at most 100 keys: config allows 99 charities), retrying
// unprocessed keys briefly; the result is keyed by pk.
func (s *Service) getCounters(ctx context.Context) (map[string]map[string]types.AttributeValue, error) {
	keys := []map[string]types.AttributeValue{key(TotalKey, TotalKey)}
	for _, ch := range s.settings.Charities {
		keys = append(keys, key(CharityKey(ch.ID), TotalKey))
	}
	out := make(map[string]map[string]types.AttributeValue, len(keys))
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys}}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt == 4 {
			return nil, fmt.Errorf("get totals: %d key(s) still unprocessed after %d attempts", len(req[s.table].Keys), attempt)
		}
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(10<<attempt) * time.Millisecond):
			}
		}
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("get totals: %w", err)
		}
		for _, it := range res.Responses[s.table] {
			out[str(it, PK)] = it
		}
		req = res.UnprocessedKeys
	}
	return out, nil
}

func sortLeaderboard(rows []CharityTotal) {
	for i := 1; i < len(rows); i++ { // insertion sort: a handful of charities
		for j := i; j > 0 && (rows[j].TotalCents > rows[j-1].TotalCents ||
			(rows[j].TotalCents == rows[j-1].TotalCents && rows[j].ID < rows[j-1].ID)); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// SongEntry is one song request in the presenters' list.
type SongEntry struct {
	DonationID  string    `json:"donationId"`
	Title       string    `json:"title"`
	Artist      string    `json:"artist,omitempty"`
	Message     string    `json:"message,omitempty"`
	Dedication  string    `json:"dedication,omitempty"`
	DonorName   string    `json:"donorName,omitempty"`
	CharityID   string    `json:"charityId"`
	AmountCents int64     `json:"amountCents"`
	RequestedAt time.Time `json:"requestedAt"`
}

// SongPage is a page of song requests, newest first.
type SongPage struct {
	Songs      []SongEntry `json:"songs"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

type songCursor struct {
	Bucket string `json:"b"`
	SK     string `json:"k,omitempty"`
}

// ErrBadCursor is returned for a cursor this service did not issue.
var ErrBadCursor = errors.New("cursor is not one this API returned")

// maxSongBuckets bounds how many hourly buckets one page may walk back.
const maxSongBuckets = 72

// songTimeLayout is fixed-width so sort keys order lexicographically by time.
const songTimeLayout = "2006-01-02T15:04:05.000000000Z"

// SongSK is the sort key of a song request.
func SongSK(at time.Time, donationID string) string {
	return at.UTC().Format(songTimeLayout) + "#" + donationID
}

func (s *Service) listSongs(ctx context.Context, limit int, cursor string) (*SongPage, error) {
	bucketTime := s.now().UTC().Truncate(time.Hour)
	startSK := ""
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		var cur songCursor
		if err != nil || json.Unmarshal(raw, &cur) != nil || len(cur.Bucket) != len("SONGS#")+len(songsBucketTZ) {
			return nil, ErrBadCursor
		}
		t, err := time.Parse(songsBucketTZ, cur.Bucket[len("SONGS#"):])
		if err != nil {
			return nil, ErrBadCursor
		}
		bucketTime, startSK = t, cur.SK
	}
	page := &SongPage{Songs: []SongEntry{}}
	var lastSK string
	for walked := 0; walked < maxSongBuckets && len(page.Songs) < limit; {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ExpressionAttributeNames:  map[string]string{"#pk": PK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: SongBucket(bucketTime)}},
			ScanIndexForward:          aws.Bool(false),
			Limit:                     aws.Int32(int32(limit - len(page.Songs))),
		}
		if startSK != "" {
			in.ExclusiveStartKey = key(SongBucket(bucketTime), startSK)
		}
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query songs: %w", err)
		}
		for _, it := range out.Items {
			at, _ := time.Parse(time.RFC3339Nano, str(it, "requestedAt"))
			page.Songs = append(page.Songs, SongEntry{DonationID: str(it, "donationId"), Title: str(it, "title"),
				Artist: str(it, "artist"), Message: str(it, "message"), Dedication: str(it, "dedication"),
				DonorName: str(it, "donorName"), CharityID: str(it, "charityId"), AmountCents: num(it, "amountCents"), RequestedAt: at})
			lastSK = str(it, SK)
		}
		if out.LastEvaluatedKey != nil && len(page.Songs) < limit {
			startSK = str(out.LastEvaluatedKey, SK) // more in this bucket (1 MB page)
			continue
		}
		if len(page.Songs) < limit {
			bucketTime, startSK = bucketTime.Add(-time.Hour), ""
			walked++
		}
	}
	if len(page.Songs) == limit {
		raw, _ := json.Marshal(songCursor{Bucket: SongBucket(bucketTime), SK: lastSK})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(raw)
	}
	return page, nil
}
