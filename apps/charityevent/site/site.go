// Package site embeds the charity event's static web page: a donation form,
// the live counter, the leaderboard and the presenters' song requests. Plain
// HTML, CSS and JavaScript — no build chain. EdgeCachedSite deploys Public
// to S3; the local stack serves it with the same headers and rewrites.
package site

import (
	"embed"
	"io/fs"
)

//go:embed public
var public embed.FS

// Public is the site root (index.html at its top).
func Public() fs.FS {
	sub, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
