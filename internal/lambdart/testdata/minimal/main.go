// Command minimal is the baseline for init-time and size comparisons: the
// smallest aws-lambda-go function there is.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (string, error) { return "hello", nil })
}
