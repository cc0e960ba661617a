package awsenv_test

import (
	"context"
	"testing"

	"github.com/campaignkit/campaignkit/internal/awsenv"
)

func TestConfig(t *testing.T) {
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "tok",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2"}
	get := func(k string) string { return env[k] }
	cfg, err := awsenv.Config(get, "AWS_ENDPOINT_URL_DYNAMODB")
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := cfg.Credentials.Retrieve(context.Background())
	if cfg.Region != "eu-west-1" || creds.SessionToken != "tok" || *cfg.BaseEndpoint != "http://127.0.0.1:2" {
		t.Fatalf("config %+v creds %+v endpoint %s", cfg.Region, creds, *cfg.BaseEndpoint)
	}
	if cfg, _ := awsenv.Config(get); *cfg.BaseEndpoint != "http://127.0.0.1:1" {
		t.Fatalf("generic endpoint: %s", *cfg.BaseEndpoint)
	}
	delete(env, "AWS_REGION")
	if _, err := awsenv.Config(get); err == nil {
		t.Fatal("missing region accepted")
	}
	env["AWS_REGION"] = "x"
	delete(env, "AWS_SECRET_ACCESS_KEY")
	if _, err := awsenv.Config(get); err == nil {
		t.Fatal("missing credentials accepted")
	}
}
