package testenv

import (
	"context"
	"fmt"
	"net/http"
)

func newPost(ctx context.Context, url string) (func() error, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return nil, err
	}
	return func() error {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("testenv: POST %s: %w", url, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("testenv: POST %s: %s", url, resp.Status)
		}
		return nil
	}, nil
}
