package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

type testCA struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// keystore issues a server certificate for 127.0.0.1 and writes it with its key as a
// JKS keystore (password "password", scripts/activemq's default): PEM, then PKCS12
// with openssl, then JKS with keytool.
func (ca *testCA) keystore(t *testing.T, dir string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano() + 1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := filepath.Join(dir, "server.pem")
	keyPEM := filepath.Join(dir, "server.key")
	os.WriteFile(certPEM, append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca.pem...), 0o600)
	os.WriteFile(keyPEM, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	p12 := filepath.Join(dir, "server.p12")
	jks := filepath.Join(dir, "broker.jks")
	for _, cmd := range [][]string{
		{"openssl", "pkcs12", "-export", "-in", certPEM, "-inkey", keyPEM, "-out", p12, "-passout", "pass:password", "-name", "broker"},
		{"keytool", "-importkeystore", "-noprompt", "-srckeystore", p12, "-srcstoretype", "PKCS12", "-srcstorepass", "password",
			"-destkeystore", jks, "-deststoretype", "JKS", "-deststorepass", "password", "-destkeypass", "password"},
	} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmd, " "), err, out)
		}
	}
	return jks
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TLS to the broker with the right custom CA carries messages; with another CA the
// handshake is refused, the mapping says why, and no message is taken.
func TestSecurityBrokerTLS(t *testing.T) {
	for _, tool := range []string{"openssl", "keytool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	ca := newCA(t, "mqtrigger test CA")
	other := newCA(t, "some other CA")
	sslPort := freeTCPPort(t)
	b := brokertest.Start(t, brokertest.Options{SSLPort: sslPort, Keystore: ca.keystore(t, dir)})
	caFile := filepath.Join(dir, "ca.pem")
	otherFile := filepath.Join(dir, "other-ca.pem")
	os.WriteFile(caFile, ca.pem, 0o644)
	os.WriteFile(otherFile, other.pem, 0o644)
	ssl := fmt.Sprintf("ssl://127.0.0.1:%d", sslPort)
	const wrongARN = "arn:aws:mq:us-east-1:123456789012:broker:wrongca:b-wrongca"

	fn, url := newCounter(t, nil)
	svc := servicetest.Start(t, servicetest.Options{
		Functions: []servicetest.Function{{Name: "counter", URL: url}},
		Extra: fmt.Sprintf(`brokers:
  - name: e2e
    arn: %s
    endpoints: [%q]
    tls: {caFile: %q}
  - name: wrongca
    arn: %s
    endpoints: [%q]
    tls: {caFile: %q}
`, brokerARN, ssl, caFile, wrongARN, ssl, otherFile),
	})
	secret, err := svc.CreateBasicAuthSecret(t.Context(), "tls", b.User, b.Password)
	if err != nil {
		t.Fatal(err)
	}
	queue := fmt.Sprintf("e2e.tls.%d", time.Now().UnixNano())
	createMapping(t, svc, mappingInput("counter", queue, secret, 10, 1))
	produce(t, b, queue, 0, 5)
	checkfor.Within(t, 60*time.Second, func() error {
		if d := fn.distinct(); d < 5 {
			return fmt.Errorf("%d of 5 messages over TLS", d)
		}
		return nil
	})

	wrongQueue := queue + ".wrongca"
	in := mappingInput("counter", wrongQueue, secret, 10, 1)
	in.EventSourceArn = aws.String(wrongARN)
	out, err := svc.Lambda().CreateEventSourceMapping(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	produce(t, b, wrongQueue, 100, 103)
	var result string
	checkfor.Within(t, 60*time.Second, func() error {
		m, err := svc.Lambda().GetEventSourceMapping(t.Context(), &lambda.GetEventSourceMappingInput{UUID: out.UUID})
		if err != nil {
			return err
		}
		result = aws.ToString(m.LastProcessingResult)
		if !strings.HasPrefix(result, "PROBLEM") {
			return fmt.Errorf("wrong CA: LastProcessingResult %q", result)
		}
		return nil
	})
	if !strings.Contains(result, "TLS") || !strings.Contains(result, "certificate") {
		t.Errorf("LastProcessingResult %q does not say the broker's certificate was refused", result)
	}
	t.Logf("wrong CA: %s", result)
	if d := fn.distinct(); d != 5 {
		t.Fatalf("%d distinct messages reached the function; only the 5 over the right CA should", d)
	}
	// the three messages are still on the broker
	conn, err := openwire.Dial(t.Context(), b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	k, err := sess.NewConsumer(t.Context(), wrongQueue, openwire.ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ctx, cancel := contextWithTimeout(t, 10*time.Second)
		m, err := k.Receive(ctx)
		cancel()
		if err != nil {
			t.Fatalf("message %d of 3 not on the broker: %v", i+1, err)
		}
		if err := k.Ack(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	healthy(t, svc)
}
