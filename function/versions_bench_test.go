package function

import (
	"context"
	"testing"
)

// BenchmarkInvokeQualified: invoking through an alias or a version costs what
// invoking $LATEST does (the alias is cached; every name resolves to a warm pool),
// with a reserve counting every invocation.
func BenchmarkInvokeQualified(b *testing.B) {
	te := newTestEnv(b, RegistryOptions{})
	ctx := context.Background()
	timeout := 10
	if _, err := te.reg.Create(ctx, CreateInput{Name: "bench", Runtime: "provided.al2023", Role: ptr(testRole), Handler: "bootstrap",
		Code: &Code{ZipFile: handlerZip(b)}, Timeout: &timeout, Publish: true}); err != nil {
		b.Fatal(err)
	}
	one := "1"
	if _, err := te.reg.CreateAlias(ctx, AliasInput{FunctionName: "bench", Name: "live", FunctionVersion: &one}); err != nil {
		b.Fatal(err)
	}
	if err := te.reg.PutConcurrency(ctx, "bench", ptr(10)); err != nil {
		b.Fatal(err)
	}
	event := mqEvent(b, "x")
	for _, name := range []string{"bench", "bench:1", "bench:live"} {
		b.Run(name, func(b *testing.B) {
			if _, err := te.reg.Invoke(ctx, name, event); err != nil { // warm
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				res, err := te.reg.Invoke(ctx, name, event)
				if err != nil || res.FunctionError != "" {
					b.Fatalf("%v %s", err, res.Payload)
				}
			}
		})
	}
}
