package distributed

import "context"

// CreateStateMachineForTest creates a state machine through the same
// signed JSON protocol (moto needs one to start executions).
func CreateStateMachineForTest(ctx context.Context, c *SFNClient, name, definition string) (string, error) {
	var out struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	err := c.call(ctx, "CreateStateMachine", map[string]string{
		"name": name, "definition": definition, "roleArn": "arn:aws:iam::123456789012:role/lg",
	}, &out)
	return out.StateMachineArn, err
}
