// Command webfn is a web-tier function built the campaignkit way —
// httpapi middleware, obs logs, lambdahttp adapter — so that the harness
// can check the whole runtime end to end in a real bootstrap.
package main

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/campaignkit/campaignkit/internal/httpapi"
	"github.com/campaignkit/campaignkit/internal/lambdahttp"
	"github.com/campaignkit/campaignkit/internal/obs"
)

type echo struct {
	Query     string `json:"query,omitempty"`
	Session   string `json:"session,omitempty"`
	Name      string `json:"name,omitempty"`
	RequestID string `json:"requestId"`
	Cold      bool   `json:"cold"`
}

func main() {
	log := obs.NewLogger(os.Stdout, slog.LevelInfo)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/echo", func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "echo")
		out := echo{Query: r.URL.Query().Get("q"), RequestID: obs.RequestID(r.Context()), Cold: obs.ColdStart(r.Context())}
		if c, err := r.Cookie("session"); err == nil {
			out.Session = c.Value
		}
		http.SetCookie(w, &http.Cookie{Name: "seen", Value: "1", HttpOnly: true})
		_ = httpapi.WriteJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /api/echo", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Name string `json:"name"`
		}
		if err := httpapi.DecodeJSON(w, r, &in, 1024); err != nil {
			httpapi.Error(w, r, log, err)
			return
		}
		_ = httpapi.WriteJSON(w, http.StatusCreated, echo{Name: in.Name, RequestID: obs.RequestID(r.Context())})
	})
	mux.HandleFunc("GET /api/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	lambdahttp.Start(httpapi.Wrap(httpapi.Mux(mux), log))
}
