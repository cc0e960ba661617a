package local_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/campaignkit/campaignkit/internal/local"
	"github.com/campaignkit/campaignkit/internal/local/demoapp"
)

// An app is a local.App; Start runs it in-process (Run does the same for
// a registered app until its context ends).
func ExampleStart() {
	dir, _ := os.MkdirTemp("", "campaignkit-example-")
	defer os.RemoveAll(dir)
	s, err := local.Start(context.Background(), demoapp.App(0), local.Options{Addr: "127.0.0.1:0", DataDir: dir, Out: io.Discard})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Shutdown(context.Background())

	res, err := http.Get(s.URL() + "/api/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, res.Header.Get("X-Frame-Options"))
	fmt.Print(string(body))
	// Output:
	// 200 DENY
	// {"message":"hello"}
}
