package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func main() {
	for _, c := range []struct{ m, p, t, body string }{
		{"GET", "/2015-03-31/event-source-mappings/%00", "", ""},
		{"GET", "/2015-03-31/event-source-mappings/%FF%FE", "", ""},
		{"DELETE", "/2015-03-31/event-source-mappings/%00", "", ""},
		{"GET", "/2015-03-31/functions/%00", "", ""},
		{"POST", "/", "secretsmanager.GetSecretValue", `{"SecretId":"a\u0000b"}`},
		{"POST", "/", "secretsmanager.CreateSecret", `{"Name":"a\u0000b","SecretString":"x"}`},
		{"POST", "/", "secretsmanager.CreateSecret", `{"Name":"ok","SecretString":"x\u0000y"}`},
		{"POST", "/", "secretsmanager.DescribeSecret", "{\"SecretId\":\"\xff\xfe\"}"},
		{"POST", "/2015-03-31/event-source-mappings", "", "{\"FunctionName\":\"a\\u0000\",\"EventSourceArn\":\"x\"}"},
		{"POST", "/2015-03-31/functions", "", "{\"FunctionName\":\"a\\u0000b\",\"Role\":\"arn:aws:iam::123456789012:role/x\",\"Runtime\":\"provided.al2023\",\"Code\":{\"ZipFile\":\"AA==\"}}"},
	} {
		req, _ := http.NewRequest(c.m, "http://127.0.0.1:19071"+c.p, bytes.NewReader([]byte(c.body)))
		req.URL.RawPath = c.p
		svc := "lambda"
		if c.t != "" {
			req.Header.Set("X-Amz-Target", c.t)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			svc = "secretsmanager"
		}
		sum := sha256.Sum256([]byte(c.body))
		v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDSERVICETEST", SecretAccessKey: "servicetest-secret-key"}, req, hex.EncodeToString(sum[:]), svc, "us-east-1", time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(c.m, c.p, c.t, resp.StatusCode, string(b))
	}
}
