// Command target serves a load-test target on 127.0.0.1 for benchmarks
// and CLI smoke runs: a bare net/http handler answering 200 "ok" (the
// benchmark's fixed point), or with -charity the fake charity-event API
// (donations applied after a delay, for reconciliation). It writes the
// endpoint file `campaignkit loadtest run -local` reads when -data-dir is set.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/campaignkit/campaignkit/loadtests/internal/fakeapi"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	charity := flag.Bool("charity", false, "serve the fake charity-event API instead of a bare 200")
	dataDir := flag.String("data-dir", "", "write <data-dir>/endpoint.json {\"url\": ...}")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || (host != "127.0.0.1" && host != "localhost") {
		log.Fatalf("target: listen on 127.0.0.1 only, got %q", *addr)
	}
	var url string
	var stop func()
	if *charity {
		s := fakeapi.Start(fakeapi.Options{WriteDelay: 200 * time.Millisecond})
		url, stop = s.URL, s.Close
	} else {
		l, err := net.Listen("tcp", *addr)
		if err != nil {
			log.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("ok"))
		})}
		go func() { _ = srv.Serve(l) }()
		url, stop = "http://"+l.Addr().String(), func() { _ = srv.Close() }
	}
	if *dataDir != "" {
		if err := os.MkdirAll(*dataDir, 0o755); err != nil {
			log.Fatal(err)
		}
		b, _ := json.Marshal(map[string]string{"url": url})
		if err := os.WriteFile(filepath.Join(*dataDir, "endpoint.json"), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(url)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	stop()
}
