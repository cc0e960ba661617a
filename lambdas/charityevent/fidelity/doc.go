// Package fidelity runs the charity event's real Lambda bootstraps (built
// for the host) under a Lambda Runtime API server against moto: the API
// accepts a donation from a Function URL event and queues it in SQS, and
// the writer applies that very message to DynamoDB, twice, exactly once.
package fidelity
