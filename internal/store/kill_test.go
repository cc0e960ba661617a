package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/campaignkit/campaignkit/internal/store"
)

// childEnv names the store file when the test binary is re-executed as
// the writer that gets killed.
const childEnv = "CK_STORE_KILL_CHILD"

const killTable = "kill"

// runKillChild writes forever from 8 goroutines, the writer's way: a
// transaction of a conditional marker put and a counter ADD. After each
// acknowledged write it prints the marker's id on stdout.
func runKillChild(path string) int {
	ctx := context.Background()
	e, err := store.OpenEmbedded(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := store.EnsureTable(ctx, e, killTable, "pk", "sk"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	run := os.Getenv(childEnv + "_RUN")
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("%s-%d-%d", run, g, i)
				_, err := e.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
					{Put: &types.Put{TableName: aws.String(killTable), Item: itemWith("M", id), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
					{Update: &types.Update{TableName: aws.String(killTable), Key: key("TOTAL", "TOTAL"),
						UpdateExpression: aws.String("ADD n :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")}}},
				}})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				os.Stdout.WriteString(id + "\n")
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return 0
}

// TestEmbeddedSurvivesKill9 kills a writing process mid-burst (SIGKILL,
// no chance to flush) twice, reopens the file each time and checks that
// every acknowledged write is there and that transactions stayed atomic.
func TestEmbeddedSurvivesKill9(t *testing.T) {
	path := t.TempDir() + "/kill.db"
	acked := map[string]bool{}
	for run := 0; run < 2; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+path, fmt.Sprintf("%s_RUN=r%d", childEnv, run))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		deadline := time.Now().Add(20 * time.Second)
		for sc.Scan() {
			acked[sc.Text()] = true
			n++
			if n == 3000 || time.Now().After(deadline) {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		// Lines already written before the kill were acknowledged too.
		for sc.Scan() {
			acked[sc.Text()] = true
			n++
		}
		_ = cmd.Wait()
		if n < 100 {
			t.Fatalf("run %d: child acknowledged only %d writes", run, n)
		}
		t.Logf("run %d: killed after %d acknowledged writes", run, n)

		e, err := store.OpenEmbedded(path)
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		present := map[string]bool{}
		var start map[string]types.AttributeValue
		for {
			q, err := e.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(killTable),
				KeyConditionExpression:    aws.String("pk = :m"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":m": s("M")}, ExclusiveStartKey: start})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range q.Items {
				present[it["sk"].(*types.AttributeValueMemberS).Value] = true
			}
			if start = q.LastEvaluatedKey; start == nil {
				break
			}
		}
		missing := 0
		for id := range acked {
			if !present[id] {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("run %d: %d acknowledged writes lost", run, missing)
		}
		tot, err := e.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(killTable), Key: key("TOTAL", "TOTAL")})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tot.Item["n"].(*types.AttributeValueMemberN).Value, fmt.Sprint(len(present)); got != want {
			t.Errorf("run %d: TOTAL = %s but %s markers: a transaction was torn", run, got, want)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
