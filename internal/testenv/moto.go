package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Moto is a running moto_server on 127.0.0.1.
type Moto struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:40123.
	Endpoint string
	cmd      *exec.Cmd
	exited   <-chan error
	log      *os.File
	once     sync.Once
}

// StartMoto starts moto_server on a free loopback port and waits until it
// answers. Call Stop when done (TestMain: after m.Run()).
func StartMoto(ctx context.Context) (*Moto, error) {
	bin, err := lookPath("moto_server", "run `make setup`, or pip install 'moto[server]'")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = keepEnv("AWS_DEFAULT_REGION=us-east-1")
	exited, err := startProcess(cmd)
	if err != nil {
		return nil, err
	}
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, exited: exited, log: logf}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := waitTCP(wctx, fmt.Sprintf("127.0.0.1:%d", port), cmd, exited); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

// AWSConfig returns an SDK config pointed at this moto with static test
// credentials (moto accepts any) in the given region.
func (m *Moto) AWSConfig(ctx context.Context, region string) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithBaseEndpoint(m.Endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
	)
}

// Reset clears all of moto's state (between independent tests).
func (m *Moto) Reset(ctx context.Context) error {
	req, err := newPost(ctx, m.Endpoint+"/moto-api/reset")
	if err != nil {
		return err
	}
	return req()
}

// Stop terminates moto_server and removes its log.
func (m *Moto) Stop() {
	m.once.Do(func() {
		stopGroup(m.cmd, m.exited)
		m.log.Close()
		os.Remove(m.log.Name())
	})
}
